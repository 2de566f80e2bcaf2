/**
 * The tags of the dialect, as liquidjs tags: output (`{{ }}`), comments, `if`/`elif`/`elsif`/`else`,
 * `for` (with `else`, `loop.*`, tuple unpacking and an `if` filter), `set` (both forms) and Liquid's
 * `assign`. liquidjs keeps its own `raw`, `break` and `continue`, its parse stream and its renderer.
 */
import { Tag } from 'liquidjs';
import type { Context, Emitter, Liquid, Template, TagToken, TopLevelToken } from 'liquidjs';
import type { Target } from './expr-ast.js';
import { compileExpr } from './expr-compile.js';
import { evaluate } from './expr-replay.js';
import type { Compiled } from './expr-scope.js';
import { ExprParser, parseExpressionSource } from './expr-parser.js';
import { JinjaError, syntaxError } from './jinja-error.js';
import { Namespace } from './kluctl-functions.js';
import { pyStr } from './py-repr.js';
import { Undef, nativeFunction, pyEq, pyIter, truthy } from './py-values.js';
import type { RenderState } from './render-state.js';

function stateOf(ctx: Context): RenderState {
  return ctx.environments as RenderState;
}

function isTag(t: TopLevelToken | undefined, ...names: string[]): t is TagToken {
  return t !== undefined && t.kind === 4 && names.includes((t as TagToken).name);
}

/** Parses tokens into templates until one of `ends`; returns the templates and the end token. */
function parseUntil(
  liquid: Liquid,
  remain: TopLevelToken[],
  ends: string[],
  opener: TagToken,
): [Template[], TagToken] {
  const out: Template[] = [];
  while (remain.length > 0) {
    const tok = remain.shift()!;
    if (isTag(tok, ...ends)) return [out, tok];
    out.push(liquid.parser.parseToken(tok, remain));
  }
  throw syntaxError(
    `Unexpected end of template. Jinja was looking for the following tags: ${ends.map((e) => `'${e}'`).join(' or ')}. The innermost block that needs to be closed is '${opener.name}'.`,
  );
}

function renderBody(liquid: Liquid, templates: Template[], ctx: Context, emitter: Emitter): unknown {
  return liquid.renderer.renderTemplates(templates, ctx, emitter);
}

function compileSource(src: string, tuple = true): Compiled {
  return compileExpr(parseExpressionSource(src, tuple));
}

/** Binds a target (`x`, `a, b`, `ns.attr`) to a value. */
function bindTarget(
  target: Target,
  value: unknown,
  assign: (name: string, v: unknown) => void,
  st: RenderState,
): void {
  if (target.t === 'name') assign(target.name, value);
  else if (target.t === 'nsattr') {
    const ns = st.lookup(target.name);
    if (!(ns instanceof Namespace))
      throw new JinjaError('TemplateRuntimeError', 'cannot assign attribute on non-namespace object');
    (ns as unknown as Record<string, unknown>)[target.attr] = value;
  } else {
    const items = pyIter(value);
    if (items.length !== target.items.length)
      throw new JinjaError(
        'ValueError',
        items.length > target.items.length
          ? `too many values to unpack (expected ${target.items.length})`
          : `not enough values to unpack (expected ${target.items.length}, got ${items.length})`,
      );
    target.items.forEach((t, i) => bindTarget(t, items[i], assign, st));
  }
}

/** `{{ expr }}`. */
export class OutputTag extends Tag {
  private readonly expr: Compiled;
  constructor(token: TagToken, remain: TopLevelToken[], liquid: Liquid) {
    super(token, remain, liquid);
    this.expr = compileSource(token.args);
  }
  *render(ctx: Context, emitter: Emitter): Generator<unknown, void, unknown> {
    const v = yield* evaluate(this.expr, stateOf(ctx));
    emitter.write(typeof v === 'string' ? v : pyStr(v));
  }
}

/** `{# ... #}`. */
export class CommentTag extends Tag {
  render(): void {}
}

/** `{% if %}` with `elif`/`elsif`/`else`. */
export class IfTag extends Tag {
  private readonly branches: { cond: Compiled | null; body: Template[] }[] = [];
  constructor(token: TagToken, remain: TopLevelToken[], liquid: Liquid) {
    super(token, remain, liquid);
    let cond: Compiled | null = compileSource(token.args, false);
    for (;;) {
      const [body, end] = parseUntil(liquid, remain, ['elif', 'elsif', 'else', 'endif'], token);
      this.branches.push({ cond, body });
      if (end.name === 'endif') break;
      if (cond === null) throw syntaxError(`Encountered unknown tag '${end.name}' after 'else'.`);
      cond = end.name === 'else' ? null : compileSource(end.args, false);
    }
  }
  *render(ctx: Context, emitter: Emitter): Generator<unknown, void, unknown> {
    const st = stateOf(ctx);
    for (const b of this.branches) {
      if (b.cond === null || truthy(yield* evaluate(b.cond, st))) {
        yield renderBody(this.liquid, b.body, ctx, emitter);
        return;
      }
    }
  }
}

/** Jinja's `loop` variable. */
class LoopInfo {
  index0 = 0;
  constructor(private readonly items: readonly unknown[]) {}
  get length(): number {
    return this.items.length;
  }
  get index(): number {
    return this.index0 + 1;
  }
  get revindex(): number {
    return this.items.length - this.index0;
  }
  get revindex0(): number {
    return this.items.length - this.index0 - 1;
  }
  get first(): boolean {
    return this.index0 === 0;
  }
  get last(): boolean {
    return this.index0 === this.items.length - 1;
  }
  get depth(): number {
    return 1;
  }
  get depth0(): number {
    return 0;
  }
  get previtem(): unknown {
    return this.index0 > 0
      ? this.items[this.index0 - 1]
      : new Undef('loop.previtem', "'loop.previtem' is undefined (there is no previous item)");
  }
  get nextitem(): unknown {
    return this.index0 < this.items.length - 1
      ? this.items[this.index0 + 1]
      : new Undef('loop.nextitem', "'loop.nextitem' is undefined (there is no next item)");
  }
  get cycle(): unknown {
    return nativeFunction((_c, args) => {
      if (args.length === 0) throw new JinjaError('TypeError', 'no items for cycling given');
      return args[this.index0 % args.length];
    });
  }
  private last_changed: unknown[] | undefined;
  get changed(): unknown {
    return nativeFunction((_c, args) => {
      if (this.last_changed !== undefined && pyEq(this.last_changed, args)) return false;
      this.last_changed = args;
      return true;
    });
  }
}

/** `{% for target in iterable [if cond] %}...{% else %}...{% endfor %}`. */
export class ForTag extends Tag {
  private readonly target: Target;
  private readonly iter: Compiled;
  private readonly filter: Compiled | null;
  private readonly body: Template[];
  private readonly elseBody: Template[] = [];
  constructor(token: TagToken, remain: TopLevelToken[], liquid: Liquid) {
    super(token, remain, liquid);
    const p = new ExprParser(token.args);
    this.target = p.parseTarget(false, ['in']);
    p.expectName('in');
    this.iter = compileExpr(p.parseTuple(false, ['if', 'recursive']));
    this.filter = p.skipName('if') ? compileExpr(p.parseExpression()) : null;
    if (p.nextIsName('recursive')) p.fail('recursive loops are not supported');
    p.expectEnd();
    const [body, end] = parseUntil(liquid, remain, ['else', 'endfor'], token);
    this.body = body;
    if (end.name === 'else') this.elseBody = parseUntil(liquid, remain, ['endfor'], token)[0];
  }
  *render(ctx: Context, emitter: Emitter): Generator<unknown, void, unknown> {
    const st = stateOf(ctx);
    let items = pyIter(yield* evaluate(this.iter, st));
    if (this.filter) {
      const kept: unknown[] = [];
      for (const item of items) {
        const frame: Record<string, unknown> = {};
        bindTarget(this.target, item, (n, v) => (frame[n] = v), st);
        st.push(frame);
        try {
          if (truthy(yield* evaluate(this.filter, st))) kept.push(item);
        } finally {
          st.pop();
        }
      }
      items = kept;
    }
    if (items.length === 0) {
      yield renderBody(this.liquid, this.elseBody, ctx, emitter);
      return;
    }
    const loop = new LoopInfo(items);
    for (let i = 0; i < items.length; i++) {
      loop.index0 = i;
      const frame: Record<string, unknown> = { loop };
      bindTarget(this.target, items[i], (n, v) => (frame[n] = v), st);
      st.push(frame);
      try {
        yield renderBody(this.liquid, this.body, ctx, emitter);
      } finally {
        st.pop();
      }
      ctx.continueCalled = false;
      if (ctx.breakCalled) {
        ctx.breakCalled = false;
        break;
      }
    }
  }
}

/** `{% set x = expr %}` and `{% set x %}...{% endset %}`; Liquid's `{% assign x = expr %}`. */
export class SetTag extends Tag {
  private readonly target: Target;
  private readonly value: Compiled | null = null;
  private readonly body: Template[] = [];
  private readonly filters: Compiled | null = null;
  constructor(token: TagToken, remain: TopLevelToken[], liquid: Liquid) {
    super(token, remain, liquid);
    const p = new ExprParser(token.args);
    this.target = p.parseTarget(true);
    if (p.skipOp('=')) {
      this.value = compileExpr(p.parseTuple());
      p.expectEnd();
    } else {
      if (token.name === 'assign') p.fail("expected '='");
      if (!p.atEnd()) {
        // `{% set x | upper %}...{% endset %}`: filters applied to the block's text.
        const src = `__block${token.args.slice(token.args.indexOf('|'))}`;
        this.filters = compileSource(src, false);
      }
      this.body = parseUntil(liquid, remain, ['endset'], token)[0];
    }
  }
  *render(ctx: Context): Generator<unknown, void, unknown> {
    const st = stateOf(ctx);
    let v: unknown;
    if (this.value) v = yield* evaluate(this.value, st);
    else {
      const emitter = {
        buffer: '',
        write(s: unknown) {
          this.buffer += String(s);
        },
      };
      yield renderBody(this.liquid, this.body, ctx, emitter as unknown as Emitter);
      v = emitter.buffer;
      if (this.filters) {
        st.push({ __block: v });
        try {
          v = yield* evaluate(this.filters, st);
        } finally {
          st.pop();
        }
      }
    }
    bindTarget(this.target, v, (n, x) => st.assign(n, x), st);
  }
}
