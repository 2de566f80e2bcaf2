/**
 * Python's `json.dumps` as the `to_json` (Kluctl) and `tojson` (Jinja) filters call it: default
 * separators, ensure_ascii, optional sorted keys and indentation.
 */
import { JinjaError } from './jinja-error.js';
import { PyRange } from './py-range.js';
import { pyNumberRepr } from './py-repr.js';
import { PyFloat, Undef, isDict } from './py-values.js';

function pyJsonString(s: string): string {
  // json.dumps defaults to ensure_ascii=True: everything outside ASCII becomes \uXXXX (UTF-16 units).
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const ch = s[i]!;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\b') out += '\\b';
    else if (ch === '\f') out += '\\f';
    else if (c < 0x20 || c > 0x7e) out += `\\u${c.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

/** Options of {@link pyJsonDumps} (the subset of json.dumps that Jinja's tojson uses). */
export interface JsonDumpsOptions {
  readonly sortKeys?: boolean;
  readonly indent?: number;
}

/** Python's `json.dumps(value)` with its default separators (`, ` and `: `) and ensure_ascii. */
export function pyJsonDumps(value: unknown, opts: JsonDumpsOptions = {}, level = 0): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number' || value instanceof PyFloat) {
    const n = value instanceof PyFloat ? value.v : value;
    if (!Number.isFinite(n)) return n > 0 ? 'Infinity' : n < 0 ? '-Infinity' : 'NaN';
    return pyNumberRepr(value);
  }
  if (typeof value === 'string') return pyJsonString(value);
  if (value instanceof Undef) throw value.error();
  if (value instanceof PyRange)
    throw new JinjaError('TypeError', 'Object of type range is not JSON serializable');
  const ind = opts.indent;
  const open = (items: string[], l: string, r: string): string => {
    if (items.length === 0) return l + r;
    if (ind === undefined) return `${l}${items.join(', ')}${r}`;
    const pad = '\n' + ' '.repeat(ind * (level + 1));
    return `${l}${pad}${items.join(`,${pad}`)}\n${' '.repeat(ind * level)}${r}`;
  };
  if (Array.isArray(value))
    return open(
      value.map((v) => pyJsonDumps(v, opts, level + 1)),
      '[',
      ']',
    );
  if (isDict(value)) {
    const keys = Object.keys(value);
    if (opts.sortKeys) keys.sort();
    return open(
      keys.map((k) => `${pyJsonString(k)}: ${pyJsonDumps(value[k], opts, level + 1)}`),
      '{',
      '}',
    );
  }
  return pyJsonString(String(value));
}
