/**
 * Tokenizer of Jinja expressions (the inside of `{{ }}` and `{% %}`): names, Python string and number
 * literals and operators, as Jinja2's lexer produces them, and the cursor the parser reads them with.
 */
import { syntaxError } from './jinja-error.js';
import { PyFloat } from './py-values.js';

/** One token of an expression. */
export interface Tok {
  readonly type: 'name' | 'string' | 'number' | 'op' | 'eof';
  readonly value: string;
  /** The literal value of strings and numbers. */
  readonly lit?: unknown;
  readonly pos: number;
}

const OPERATORS = [
  '//',
  '**',
  '==',
  '!=',
  '<=',
  '>=',
  '+',
  '-',
  '*',
  '/',
  '%',
  '~',
  '<',
  '>',
  '=',
  '.',
  ':',
  '|',
  ',',
  '(',
  ')',
  '[',
  ']',
  '{',
  '}',
  ';',
];
const NAME = /[A-Za-z_][A-Za-z0-9_]*/y;
const FLOAT = /(?:\d+_)*\d+(?:(?:\.(?:\d+_)*\d+)?[eE][+-]?(?:\d+_)*\d+|\.(?:\d+_)*\d+)/y;
const INT = /0[bB](?:_?[01])+|0[oO](?:_?[0-7])+|0[xX](?:_?[\da-fA-F])+|(?:0(?:_?0)*|[1-9](?:_?\d)*)/y;
const ESCAPES: Record<string, string> = {
  n: '\n',
  t: '\t',
  r: '\r',
  '\\': '\\',
  "'": "'",
  '"': '"',
  a: '\x07',
  b: '\b',
  f: '\f',
  v: '\v',
  '0': '\0',
  '\n': '',
};

function unescape(body: string): string {
  return body.replace(/\\(x[\da-fA-F]{2}|u[\da-fA-F]{4}|U[\da-fA-F]{8}|[\s\S])/g, (m, e: string) => {
    if (e.length > 1) return String.fromCodePoint(parseInt(e.slice(1), 16));
    return ESCAPES[e] ?? m;
  });
}

/** Splits an expression source into tokens. */
function tokenize(src: string): Tok[] {
  const toks: Tok[] = [];
  let p = 0;
  while (p < src.length) {
    const ch = src[p]!;
    if (ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r') {
      p++;
      continue;
    }
    if (ch === '"' || ch === "'") {
      let q = p + 1;
      while (q < src.length && src[q] !== ch) q += src[q] === '\\' ? 2 : 1;
      if (q >= src.length) throw syntaxError(`unexpected end of string literal ${src.slice(p, p + 20)}`);
      toks.push({ type: 'string', value: src.slice(p, q + 1), lit: unescape(src.slice(p + 1, q)), pos: p });
      p = q + 1;
      continue;
    }
    if (ch >= '0' && ch <= '9' && src[p - 1] !== '.') {
      FLOAT.lastIndex = p;
      const f = FLOAT.exec(src);
      if (f) {
        const n = Number(f[0].replace(/_/g, ''));
        toks.push({ type: 'number', value: f[0], lit: Number.isInteger(n) ? new PyFloat(n) : n, pos: p });
        p += f[0].length;
        continue;
      }
    }
    if (ch >= '0' && ch <= '9') {
      INT.lastIndex = p;
      const m = INT.exec(src)!;
      toks.push({ type: 'number', value: m[0], lit: Number(m[0].replace(/_/g, '')), pos: p });
      p += m[0].length;
      continue;
    }
    NAME.lastIndex = p;
    const name = NAME.exec(src);
    if (name) {
      toks.push({ type: 'name', value: name[0], pos: p });
      p += name[0].length;
      continue;
    }
    const op = OPERATORS.find((o) => src.startsWith(o, p));
    if (!op) throw syntaxError(`unexpected char '${ch}' at ${p}`);
    toks.push({ type: 'op', value: op, pos: p });
    p += op.length;
  }
  toks.push({ type: 'eof', value: '', pos: src.length });
  return toks;
}

/**
 * A cursor over the tokens of one expression source: lookahead, consuming expected tokens, and syntax
 * errors that point at the current token.
 */
export class TokenCursor {
  private readonly toks: Tok[];
  private i = 0;

  constructor(readonly src: string) {
    this.toks = tokenize(src);
  }

  /** The current token (the end token once all are consumed). */
  protected get cur(): Tok {
    return this.toks[this.i]!;
  }

  /** The token `n` places ahead (the end token past the end). */
  protected peek(n = 1): Tok {
    return this.toks[Math.min(this.i + n, this.toks.length - 1)]!;
  }

  /** The token consumed last, if any. */
  protected previous(): Tok | undefined {
    return this.toks[this.i - 1];
  }

  protected isOp(v: string): boolean {
    return this.cur.type === 'op' && this.cur.value === v;
  }

  protected isName(v: string): boolean {
    return this.cur.type === 'name' && this.cur.value === v;
  }

  /** Consumes the current token and returns it. */
  protected next(): Tok {
    return this.toks[this.i++]!;
  }

  /** Steps back one token (after a `next()` that read too far). */
  protected back(): void {
    this.i--;
  }

  /** Consumes the operator `v` or fails with a syntax error. */
  protected expectOp(v: string): void {
    if (!this.isOp(v)) this.fail(`expected '${v}'`);
    this.i++;
  }

  /** Consumes a name token. */
  expectName(v?: string): string {
    if (this.cur.type !== 'name' || (v !== undefined && this.cur.value !== v))
      this.fail(v ? `expected '${v}'` : 'expected a name');
    return this.next().value;
  }

  /** Consumes the name `v` if it is next. */
  skipName(v: string): boolean {
    if (!this.isName(v)) return false;
    this.i++;
    return true;
  }

  /** Consumes the operator `v` if it is next. */
  skipOp(v: string): boolean {
    if (!this.isOp(v)) return false;
    this.i++;
    return true;
  }

  /** Whether the next token is the name `v`. */
  nextIsName(v: string): boolean {
    return this.isName(v);
  }

  /** Whether all tokens are consumed. */
  atEnd(): boolean {
    return this.cur.type === 'eof';
  }

  /** Fails unless all tokens are consumed. */
  expectEnd(): void {
    if (!this.atEnd()) this.fail(`expected end of expression, got '${this.cur.value}'`);
  }

  /** Throws a TemplateSyntaxError pointing at the current token. */
  fail(msg: string): never {
    const got = this.cur.type === 'eof' ? 'end of expression' : `'${this.cur.value}'`;
    throw syntaxError(`${msg} (at ${got} in '${this.src.trim()}')`);
  }
}
