/**
 * The Python str/list/dict methods templates call (`split`, `items`, `get`, `startswith`, ...), as
 * tables that attribute access (py-access.ts) binds to their value; `str.format` is added there.
 */
/* eslint-disable no-control-regex -- Python's whitespace and line-break classes include \x1c-\x1f. */
import { JinjaError } from './jinja-error.js';
import { pyStr } from './py-repr.js';
import { defined, pyEq, pyIter, tuple, typeName } from './py-values.js';

/** A method: the value it is bound to, positional and keyword arguments. */
export type Method<T> = (self: T, args: unknown[], kwargs: Record<string, unknown>) => unknown;

const WS = /[\s\x1c-\x1f\x85]/;

function str(v: unknown, what: string): string {
  if (typeof v !== 'string')
    throw new JinjaError('TypeError', `${what} must be str, not ${typeName(defined(v))}`);
  return v;
}

function optInt(v: unknown, dflt: number): number {
  return v === undefined || v === null ? dflt : Number(v);
}

function stripChars(s: string, chars: unknown, left: boolean, right: boolean): string {
  const set = chars === undefined || chars === null ? null : str(chars, 'strip arg');
  const strip = (c: string): boolean => (set === null ? WS.test(c) : set.includes(c));
  const cs = Array.from(s);
  let a = 0;
  let b = cs.length;
  while (left && a < b && strip(cs[a]!)) a++;
  while (right && b > a && strip(cs[b - 1]!)) b--;
  return cs.slice(a, b).join('');
}

/** Python's str.split / rsplit. */
function pySplit(s: string, sep: unknown, maxsplit: unknown, fromRight = false): string[] {
  const max = optInt(maxsplit, -1);
  if (sep === undefined || sep === null) {
    const words = s.split(/[\s\x1c-\x1f\x85]+/).filter((w) => w !== '');
    if (max < 0 || words.length <= max + 1) return words;
    // Keep the remainder with its inner whitespace, as Python does.
    const re = /[^\s\x1c-\x1f\x85]+/g;
    const spans = [...s.matchAll(re)];
    if (fromRight) {
      const cut = spans[spans.length - max - 1]!;
      return [s.slice(0, cut.index + cut[0].length).trimStart(), ...words.slice(words.length - max)];
    }
    const cut = spans[max]!;
    return [...words.slice(0, max), s.slice(cut.index).trimEnd()];
  }
  const d = str(sep, 'separator');
  if (d === '') throw new JinjaError('ValueError', 'empty separator');
  const parts = s.split(d);
  if (max < 0 || parts.length <= max + 1) return parts;
  if (fromRight) return [parts.slice(0, parts.length - max).join(d), ...parts.slice(parts.length - max)];
  return [...parts.slice(0, max), parts.slice(max).join(d)];
}

/** Python's str.capitalize. */
export function pyCapitalize(s: string): string {
  return s.slice(0, 1).toUpperCase() + s.slice(1).toLowerCase();
}

/** Python's str.title. */
export function pyTitle(s: string): string {
  return s.replace(/[A-Za-z\u00C0-\uFFFF]+/g, (w) => w[0]!.toUpperCase() + w.slice(1).toLowerCase());
}

/** Python's str.splitlines. */
export function pySplitlines(s: string, keepends = false): string[] {
  const out: string[] = [];
  const re = /\r\n|[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]/g;
  let last = 0;
  for (const m of s.matchAll(re)) {
    out.push(s.slice(last, keepends ? m.index + m[0].length : m.index));
    last = m.index + m[0].length;
  }
  if (last < s.length) out.push(s.slice(last));
  return out;
}

function affix(s: string, arg: unknown, test: (s: string, a: string) => boolean): boolean {
  if (Array.isArray(arg)) return arg.some((a) => test(s, str(a, 'tuple item')));
  return test(s, str(arg, 'argument'));
}

function pad(s: string, width: unknown, fill: unknown, where: 'l' | 'r' | 'c'): string {
  const w = Number(width);
  const f = fill === undefined ? ' ' : str(fill, 'fill character');
  const n = w - Array.from(s).length;
  if (n <= 0) return s;
  if (where === 'l') return s + f.repeat(n);
  if (where === 'r') return f.repeat(n) + s;
  const left = Math.floor(n / 2) + (n & w & 1);
  return f.repeat(left) + s + f.repeat(n - left);
}

function find(s: string, sub: unknown, fromRight: boolean): number {
  return fromRight ? s.lastIndexOf(str(sub, 'substring')) : s.indexOf(str(sub, 'substring'));
}

/** str methods, by name. */
export const STR_METHODS: Record<string, Method<string>> = {
  split: (s, [sep, max], kw) => pySplit(s, kw.sep ?? sep, kw.maxsplit ?? max),
  rsplit: (s, [sep, max], kw) => pySplit(s, kw.sep ?? sep, kw.maxsplit ?? max, true),
  splitlines: (s, [keep], kw) => pySplitlines(s, Boolean(kw.keepends ?? keep)),
  strip: (s, [c]) => stripChars(s, c, true, true),
  lstrip: (s, [c]) => stripChars(s, c, true, false),
  rstrip: (s, [c]) => stripChars(s, c, false, true),
  lower: (s) => s.toLowerCase(),
  upper: (s) => s.toUpperCase(),
  casefold: (s) => s.toLowerCase(),
  swapcase: (s) => Array.from(s, (c) => (c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase())).join(''),
  capitalize: (s) => pyCapitalize(s),
  title: (s) => pyTitle(s),
  replace: (s, [a, b, count]) => {
    const from = str(a, 'replace() argument 1');
    const to = str(b, 'replace() argument 2');
    let n = optInt(count, -1);
    if (from === '') return s;
    const parts = s.split(from);
    if (n < 0 || n >= parts.length - 1) return parts.join(to);
    let out = parts[0]!;
    for (let i = 1; i < parts.length; i++) out += (n-- > 0 ? to : from) + parts[i];
    return out;
  },
  startswith: (s, [p]) => affix(s, p, (x, a) => x.startsWith(a)),
  endswith: (s, [p]) => affix(s, p, (x, a) => x.endsWith(a)),
  find: (s, [sub]) => find(s, sub, false),
  rfind: (s, [sub]) => find(s, sub, true),
  index: (s, [sub]) => {
    const i = find(s, sub, false);
    if (i < 0) throw new JinjaError('ValueError', 'substring not found');
    return i;
  },
  count: (s, [sub]) => s.split(str(sub, 'substring')).length - 1,
  join: (s, [items]) =>
    pyIter(items)
      .map((x) => str(x, 'sequence item'))
      .join(s),
  zfill: (s, [w]) => {
    const sign = /^[-+]/.test(s) ? s[0]! : '';
    return sign + s.slice(sign.length).padStart(Number(w) - sign.length, '0');
  },
  ljust: (s, [w, f]) => pad(s, w, f, 'l'),
  rjust: (s, [w, f]) => pad(s, w, f, 'r'),
  center: (s, [w, f]) => pad(s, w, f, 'c'),
  partition: (s, [sep]) => {
    const i = s.indexOf(str(sep, 'separator'));
    return i < 0 ? tuple([s, '', '']) : tuple([s.slice(0, i), sep, s.slice(i + (sep as string).length)]);
  },
  rpartition: (s, [sep]) => {
    const i = s.lastIndexOf(str(sep, 'separator'));
    return i < 0 ? tuple(['', '', s]) : tuple([s.slice(0, i), sep, s.slice(i + (sep as string).length)]);
  },
  removeprefix: (s, [p]) => (s.startsWith(str(p, 'prefix')) ? s.slice((p as string).length) : s),
  removesuffix: (s, [p]) =>
    p !== '' && s.endsWith(str(p, 'suffix')) ? s.slice(0, -(p as string).length) : s,
  isdigit: (s) => /^\d+$/.test(s),
  isnumeric: (s) => /^\p{N}+$/u.test(s),
  isdecimal: (s) => /^\d+$/.test(s),
  isalpha: (s) => /^\p{L}+$/u.test(s),
  isalnum: (s) => /^[\p{L}\p{N}]+$/u.test(s),
  isspace: (s) => /^\s+$/.test(s),
  islower: (s) => /\p{Ll}/u.test(s) && s === s.toLowerCase(),
  isupper: (s) => /\p{Lu}/u.test(s) && s === s.toUpperCase(),
};

/** list methods (a tuple has only `index` and `count`), by name. */
export const LIST_METHODS: Record<string, Method<unknown[]>> = {
  index: (l, [x]) => {
    const i = l.findIndex((y) => pyEq(x, y));
    if (i < 0) throw new JinjaError('ValueError', `${pyStr(x)} is not in list`);
    return i;
  },
  count: (l, [x]) => l.filter((y) => pyEq(x, y)).length,
  append: (l, [x]) => (l.push(x), null),
  extend: (l, [x]) => (l.push(...pyIter(x)), null),
  insert: (l, [i, x]) => (l.splice(Number(i), 0, x), null),
  pop: (l, [i]) => {
    if (l.length === 0) throw new JinjaError('IndexError', 'pop from empty list');
    const idx = i === undefined ? l.length - 1 : Number(i) < 0 ? l.length + Number(i) : Number(i);
    return l.splice(idx, 1)[0];
  },
  remove: (l, [x]) => {
    const i = l.findIndex((y) => pyEq(x, y));
    if (i < 0) throw new JinjaError('ValueError', 'list.remove(x): x not in list');
    l.splice(i, 1);
    return null;
  },
  copy: (l) => [...l],
  reverse: (l) => (l.reverse(), null),
  clear: (l) => ((l.length = 0), null),
};

/** dict methods, by name. */
export const DICT_METHODS: Record<string, Method<Record<string, unknown>>> = {
  items: (d) => Object.entries(d).map(([k, v]) => tuple([k, v])),
  keys: (d) => Object.keys(d),
  values: (d) => Object.values(d),
  get: (d, [k, dflt = null]) => (Object.hasOwn(d, String(k)) ? d[String(k)] : dflt),
  copy: (d) => ({ ...d }),
  update: (d, [o], kw) => (Object.assign(d, o ?? {}, kw), null),
  pop: (d, [k, ...dflt]) => {
    const key = String(k);
    if (Object.hasOwn(d, key)) {
      const v = d[key];
      delete d[key];
      return v;
    }
    if (dflt.length > 0) return dflt[0];
    throw new JinjaError('KeyError', pyStr(k));
  },
  setdefault: (d, [k, v = null]) => (Object.hasOwn(d, String(k)) ? d[String(k)] : (d[String(k)] = v)),
  clear: (d) => {
    for (const k of Object.keys(d)) delete d[k];
    return null;
  },
};
