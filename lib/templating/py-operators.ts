/**
 * Python's operators on template values: arithmetic with int/float kept apart (`7 // 2` is `3`,
 * `1 / 1` is `1.0`), sequence concatenation and repetition, `%` formatting, comparisons and unary
 * signs, with Python's TypeError messages when operand types do not fit.
 */
import type { BinOp, CmpOp } from './expr-ast.js';
import { JinjaError } from './jinja-error.js';
import { pyStr } from './py-repr.js';
import { printfFormat } from './py-string-format.js';
import {
  TUPLES,
  defined,
  isFloat,
  isInt,
  mkFloat,
  numValue,
  pyCompare,
  pyEq,
  pyIn,
  tuple,
  typeName,
} from './py-values.js';

function num(v: unknown, op: string, other: unknown): number {
  const n = numValue(v);
  if (n === undefined) {
    defined(v);
    defined(other);
    throw new JinjaError(
      'TypeError',
      `unsupported operand type(s) for ${op}: '${typeName(v)}' and '${typeName(other)}'`,
    );
  }
  return n;
}

/** Python's binary operators (and Jinja's `~`): `+` concatenates strings and lists, `%` formats. */
export function pyBinaryOp(op: BinOp, a: unknown, b: unknown): unknown {
  if (op === '~') return pyStr(a) + pyStr(b);
  if (op === '+') {
    if (typeof a === 'string' && typeof b === 'string') return a + b;
    if (Array.isArray(a) && Array.isArray(b) && TUPLES.has(a) === TUPLES.has(b)) {
      const r = [...a, ...b];
      return TUPLES.has(a) ? tuple(r) : r;
    }
    const custom = (a as { pyAdd?: (o: unknown) => unknown } | null)?.pyAdd;
    if (typeof custom === 'function') return custom.call(a, b);
  }
  if (op === '-') {
    const custom = (a as { pySub?: (o: unknown) => unknown } | null)?.pySub;
    if (typeof custom === 'function') return custom.call(a, b);
  }
  if (op === '*') {
    if ((typeof a === 'string' || Array.isArray(a)) && isInt(b)) return repeat(a, b);
    if ((typeof b === 'string' || Array.isArray(b)) && isInt(a)) return repeat(b, a);
  }
  if (op === '%' && typeof a === 'string') return printfFormat(a, b);
  const x = num(a, op, b);
  const y = num(b, op, a);
  const float = isFloat(a) || isFloat(b);
  const res = (n: number): unknown => (float ? mkFloat(n) : n);
  switch (op) {
    case '+':
      return res(x + y);
    case '-':
      return res(x - y);
    case '*':
      return res(x * y);
    case '/':
      if (y === 0) throw new JinjaError('ZeroDivisionError', 'division by zero');
      return mkFloat(x / y);
    case '//':
      if (y === 0) throw new JinjaError('ZeroDivisionError', 'integer division or modulo by zero');
      return res(Math.floor(x / y));
    case '%': {
      if (y === 0) throw new JinjaError('ZeroDivisionError', 'integer modulo by zero');
      const m = x % y;
      return res(m !== 0 && m < 0 !== y < 0 ? m + y : m);
    }
    default: {
      if (!float && y < 0) return mkFloat(x ** y);
      return res(x ** y);
    }
  }
}

function repeat(v: string | readonly unknown[], n: number): unknown {
  if (typeof v === 'string') return n > 0 ? v.repeat(n) : '';
  const out: unknown[] = [];
  for (let i = 0; i < n; i++) out.push(...v);
  return TUPLES.has(v) ? tuple(out) : out;
}

/** One comparison of a chain (`a < b`, `a in b`, ...). */
export function pyCompareOp(op: CmpOp, a: unknown, b: unknown): boolean {
  switch (op) {
    case '==':
      return pyEq(defined(a), defined(b));
    case '!=':
      return !pyEq(defined(a), defined(b));
    case 'in':
      return pyIn(a, b);
    case 'notin':
      return !pyIn(a, b);
    case '<':
      return pyCompare(a, b, op) < 0;
    case '<=':
      return pyCompare(a, b, op) <= 0;
    case '>':
      return pyCompare(a, b, op) > 0;
    default:
      return pyCompare(a, b, op) >= 0;
  }
}

/** Unary minus and plus: bools become ints, `-0` stays an int `0`, floats stay floats. */
export function pyUnaryOp(op: 'neg' | 'pos', v: unknown): unknown {
  const sign = op === 'neg' ? -1 : 1;
  const n = num(v, op === 'neg' ? 'unary -' : 'unary +', v);
  return isFloat(v) ? mkFloat(sign * n) : typeof v === 'boolean' ? sign * n : sign * n || 0;
}
