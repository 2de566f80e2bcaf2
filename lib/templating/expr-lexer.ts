/**
 * Tokenizer of Jinja expressions (the inside of `{{ }}` and `{% %}`): names, Python string and number
 * literals and operators, as Jinja2's lexer produces them.
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
export function tokenize(src: string): Tok[] {
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
