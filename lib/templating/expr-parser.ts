/**
 * Recursive-descent parser of Jinja expressions, following the precedence of Jinja2's parser: inline
 * if, or, and, not, comparisons, `+ -`, `~`, `* / // %`, `**`, unary minus, then postfix (attribute,
 * subscript, call) and filters/tests. Liquid's `| filter: a, b` argument syntax is accepted too, so
 * Liquid templates keep working. The tokens and the cursor over them are in expr-lexer.ts.
 */
import type { BinOp, CmpOp, Expr, Kwargs, Target } from './expr-ast.js';
import { TokenCursor } from './expr-lexer.js';
import { pyRepr } from './py-repr.js';

const CMP: Record<string, CmpOp> = { '==': '==', '!=': '!=', '<': '<', '<=': '<=', '>': '>', '>=': '>=' };
const PRIMARY_START = new Set(['name', 'string', 'number']);

function pathOf(e: Expr): string | null {
  if (e.t === 'name') return e.name;
  if (e.t === 'getattr' || e.t === 'getitem') return e.path;
  return null;
}

/** Jinja's expression grammar over a {@link TokenCursor}; the tags call it for their arguments. */
export class ExprParser extends TokenCursor {
  /** `a, b` as a tuple, or a single expression (Jinja's parse_tuple). */
  parseTuple(withCondexpr = true, endNames: readonly string[] = []): Expr {
    const items: Expr[] = [];
    let comma = false;
    for (;;) {
      if (items.length > 0) {
        if (!this.skipOp(',')) break;
        comma = true;
      }
      if (this.atEnd() || this.isOp(')') || endNames.some((n) => this.isName(n))) break;
      items.push(withCondexpr ? this.parseExpression() : this.parseOr());
    }
    if (!comma && items.length === 1) return items[0]!;
    if (items.length === 0 && !comma) this.fail('expected an expression');
    return { t: 'tuple', items };
  }

  /** A full expression including inline `x if c else y`. */
  parseExpression(): Expr {
    let e = this.parseOr();
    while (this.skipName('if')) {
      const test = this.parseOr();
      const els = this.skipName('else') ? this.parseExpression() : null;
      e = { t: 'cond', test, then: e, else: els };
    }
    return e;
  }

  private parseOr(): Expr {
    let l = this.parseAnd();
    while (this.skipName('or')) l = { t: 'or', l, r: this.parseAnd() };
    return l;
  }

  private parseAnd(): Expr {
    let l = this.parseNot();
    while (this.skipName('and')) l = { t: 'and', l, r: this.parseNot() };
    return l;
  }

  private parseNot(): Expr {
    if (this.skipName('not')) return { t: 'not', x: this.parseNot() };
    return this.parseCompare();
  }

  private parseCompare(): Expr {
    const first = this.parseMath1();
    const ops: [CmpOp, Expr][] = [];
    for (;;) {
      const c = this.cur.type === 'op' ? CMP[this.cur.value] : undefined;
      if (c) {
        this.next();
        ops.push([c, this.parseMath1()]);
      } else if (this.skipName('in')) ops.push(['in', this.parseMath1()]);
      else if (this.isName('not') && this.peek().type === 'name' && this.peek().value === 'in') {
        this.next();
        this.next();
        ops.push(['notin', this.parseMath1()]);
      } else break;
    }
    return ops.length === 0 ? first : { t: 'cmp', first, ops };
  }

  private binary(ops: readonly string[], sub: () => Expr): Expr {
    let l = sub();
    while (this.cur.type === 'op' && ops.includes(this.cur.value)) {
      const op = this.next().value as BinOp;
      l = { t: 'bin', op, l, r: sub() };
    }
    return l;
  }

  private parseMath1(): Expr {
    return this.binary(['+', '-'], () => this.parseConcat());
  }

  private parseConcat(): Expr {
    return this.binary(['~'], () => this.parseMath2());
  }

  private parseMath2(): Expr {
    return this.binary(['*', '/', '//', '%'], () => this.parsePow());
  }

  private parsePow(): Expr {
    return this.binary(['**'], () => this.parseUnary());
  }

  private parseUnary(withFilter = true): Expr {
    let e: Expr;
    if (this.skipOp('-')) e = { t: 'neg', x: this.parseUnary(false) };
    else if (this.skipOp('+')) e = { t: 'pos', x: this.parseUnary(false) };
    else e = this.parsePrimary();
    e = this.parsePostfix(e);
    return withFilter ? this.parseFilterExpr(e) : e;
  }

  private parsePrimary(): Expr {
    const tok = this.cur;
    if (tok.type === 'name') {
      this.next();
      if (tok.value === 'true' || tok.value === 'True') return { t: 'const', v: true };
      if (tok.value === 'false' || tok.value === 'False') return { t: 'const', v: false };
      if (tok.value === 'none' || tok.value === 'None') return { t: 'const', v: null };
      return { t: 'name', name: tok.value };
    }
    if (tok.type === 'string') {
      let s = '';
      while (this.cur.type === 'string') s += this.next().lit as string;
      return { t: 'const', v: s };
    }
    if (tok.type === 'number') {
      this.next();
      return { t: 'const', v: tok.lit };
    }
    if (this.skipOp('(')) {
      if (this.skipOp(')')) return { t: 'tuple', items: [] };
      const e = this.parseTuple();
      this.expectOp(')');
      return e;
    }
    if (this.skipOp('[')) {
      const items: Expr[] = [];
      while (!this.isOp(']')) {
        if (items.length > 0) this.expectOp(',');
        if (this.isOp(']')) break;
        items.push(this.parseExpression());
      }
      this.expectOp(']');
      return { t: 'list', items };
    }
    if (this.skipOp('{')) {
      const pairs: [Expr, Expr][] = [];
      while (!this.isOp('}')) {
        if (pairs.length > 0) this.expectOp(',');
        if (this.isOp('}')) break;
        const k = this.parseExpression();
        this.expectOp(':');
        pairs.push([k, this.parseExpression()]);
      }
      this.expectOp('}');
      return { t: 'dict', pairs };
    }
    return this.fail('unexpected token');
  }

  private parsePostfix(e: Expr): Expr {
    for (;;) {
      if (this.isOp('.') || this.isOp('[')) e = this.parseSubscript(e);
      else if (this.isOp('(')) e = this.parseCall(e);
      else return e;
    }
  }

  private parseSubscript(obj: Expr): Expr {
    const base = pathOf(obj);
    if (this.skipOp('.')) {
      const tok = this.next();
      if (tok.type === 'name')
        return {
          t: 'getattr',
          obj,
          attr: tok.value,
          path: base === null ? tok.value : `${base}.${tok.value}`,
        };
      if (tok.type === 'number' && typeof tok.lit === 'number')
        return { t: 'getitem', obj, key: { t: 'const', v: tok.lit }, path: `${base ?? ''}[${tok.value}]` };
      this.back();
      this.fail('expected a name or number after "."');
    }
    this.expectOp('[');
    const part = (): Expr | null => (this.isOp(':') || this.isOp(']') ? null : this.parseExpression());
    const start = part();
    if (this.skipOp(':')) {
      const stop = part();
      const step = this.skipOp(':') ? part() : null;
      this.expectOp(']');
      return { t: 'slice', obj, start, stop, step };
    }
    if (start === null) this.fail('expected a subscript');
    this.expectOp(']');
    const keyText = start.t === 'const' ? pyRepr(start.v) : '...';
    const path =
      start.t === 'const' && typeof start.v === 'string'
        ? `${base ?? ''}.${start.v}`
        : `${base ?? ''}[${keyText}]`;
    return { t: 'getitem', obj, key: start, path };
  }

  private parseCallArgs(): { args: Expr[]; kwargs: [string, Expr][] } {
    this.expectOp('(');
    const args: Expr[] = [];
    const kwargs: [string, Expr][] = [];
    while (!this.isOp(')')) {
      if (args.length + kwargs.length > 0) this.expectOp(',');
      if (this.isOp(')')) break;
      if (this.cur.type === 'name' && this.peek().type === 'op' && this.peek().value === '=') {
        const k = this.next().value;
        this.next();
        kwargs.push([k, this.parseExpression()]);
      } else {
        if (kwargs.length > 0) this.fail('positional argument follows keyword argument');
        args.push(this.parseExpression());
      }
    }
    this.expectOp(')');
    return { args, kwargs };
  }

  private parseCall(fn: Expr): Expr {
    const { args, kwargs } = this.parseCallArgs();
    return { t: 'call', fn, args, kwargs };
  }

  /** Liquid's `name: a, b` filter arguments. */
  private parseLiquidArgs(): { args: Expr[]; kwargs: Kwargs } {
    const args: Expr[] = [];
    do args.push(this.parseUnary(false));
    while (this.skipOp(','));
    return { args, kwargs: [] };
  }

  private parseFilterExpr(e: Expr): Expr {
    for (;;) {
      if (this.skipOp('|')) {
        let name = this.expectName();
        while (this.isOp('.') && this.peek().type === 'name') {
          this.next();
          name += `.${this.next().value}`;
        }
        const call = this.isOp('(')
          ? this.parseCallArgs()
          : this.skipOp(':')
            ? this.parseLiquidArgs()
            : { args: [], kwargs: [] };
        e = { t: 'filter', name, input: e, ...call };
      } else if (this.skipName('is')) {
        const negate = this.skipName('not');
        const name = this.expectName();
        let call: { args: Expr[]; kwargs: Kwargs } = { args: [], kwargs: [] };
        if (this.isOp('(')) call = this.parseCallArgs();
        else if (
          (PRIMARY_START.has(this.cur.type) || this.isOp('[') || this.isOp('{')) &&
          !['else', 'or', 'and', 'if', 'is', 'in', 'not'].includes(this.cur.value)
        )
          call = { args: [this.parsePostfix(this.parsePrimary())], kwargs: [] };
        e = { t: 'test', name, input: e, ...call, negate };
      } else if (this.isOp('(')) e = this.parseCall(e);
      else return e;
    }
  }

  /** An assignment target: `x`, `a, b` or `ns.attr` (for `{% set %}`). */
  parseTarget(allowNsAttr: boolean, endNames: readonly string[] = []): Target {
    const one = (): Target => {
      if (this.skipOp('(')) {
        const t = this.parseTarget(false);
        this.expectOp(')');
        return t;
      }
      const name = this.expectName();
      if (allowNsAttr && this.skipOp('.')) return { t: 'nsattr', name, attr: this.expectName() };
      return { t: 'name', name };
    };
    const items: Target[] = [one()];
    while (this.skipOp(',')) {
      if (this.atEnd() || endNames.some((n) => this.isName(n)) || this.isOp('=')) break;
      items.push(one());
    }
    return items.length === 1 && this.previous()?.value !== ',' ? items[0]! : { t: 'tuple', items };
  }
}

/** Parses a complete expression source (as in `{{ }}` or a `when:` condition). */
export function parseExpressionSource(src: string, tuple = true): Expr {
  const p = new ExprParser(src);
  const e = tuple ? p.parseTuple() : p.parseExpression();
  p.expectEnd();
  return e;
}
