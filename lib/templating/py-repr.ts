/**
 * How Python turns values into text: `str()` for printed values (Jinja prints with str()) and `repr()`
 * inside lists and dicts. Rendered YAML depends on it (`enabled: {{ flag }}` prints `True`,
 * `{{ [1, 'x'] }}` prints `[1, 'x']`).
 */
import { PyFloat, TUPLES, Undef, isDict } from './py-values.js';
import type { JinjaCallable } from './py-values.js';

/** Python's repr of a string: single quotes unless the string holds one and no double quote. */
function pyReprString(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = '';
  for (const ch of s) {
    if (ch === '\\') out += '\\\\';
    else if (ch === quote) out += `\\${quote}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (ch < ' ' || ch === '\x7f') out += `\\x${ch.charCodeAt(0).toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return quote + out + quote;
}

/** Python's repr() of a float. */
export function pyFloatRepr(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const [mant = '', expStr = '0'] = x.toExponential().split('e');
  const exp = Number(expStr);
  const neg = mant.startsWith('-');
  const digits = mant.replace('-', '').replace('.', '');
  let body: string;
  if (exp < -4 || exp >= 16) {
    const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    body = `${m}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  } else if (exp >= 0) {
    const intPart = digits.slice(0, exp + 1).padEnd(exp + 1, '0');
    body = `${intPart}.${digits.slice(exp + 1) || '0'}`;
  } else {
    body = `0.${'0'.repeat(-exp - 1)}${digits}`;
  }
  return neg ? `-${body}` : body;
}

/** Python's repr() of an int or float (also how json.dumps spells finite numbers). */
export function pyNumberRepr(v: number | PyFloat): string {
  if (v instanceof PyFloat) return pyFloatRepr(v.v);
  if (Number.isInteger(v)) return Math.abs(v) < 1e21 ? String(v) : BigInt(v).toString();
  return pyFloatRepr(v);
}

/** Python's repr() (used inside printed lists and dicts). */
export function pyRepr(value: unknown): string {
  if (typeof value === 'string') return pyReprString(value);
  if (Array.isArray(value)) {
    const inner = value.map(pyRepr).join(', ');
    if (TUPLES.has(value)) return value.length === 1 ? `(${inner},)` : `(${inner})`;
    return `[${inner}]`;
  }
  if (isDict(value)) {
    const parts = Object.entries(value).map(([k, v]) => `${pyReprString(k)}: ${pyRepr(v)}`);
    return `{${parts.join(', ')}}`;
  }
  if (value instanceof Undef) return 'Undefined';
  return pyStr(value);
}

/** Python's str() of a value, as Jinja prints it. */
export function pyStr(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === null || value === undefined) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (typeof value === 'number' || value instanceof PyFloat) return pyNumberRepr(value);
  if (value instanceof Undef) throw value.error();
  if (Array.isArray(value) || isDict(value)) return pyRepr(value);
  if (typeof value === 'function') return (value as JinjaCallable).pyRepr ?? '<function>';
  return String(value);
}
