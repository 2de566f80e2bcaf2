/**
 * Attribute and item access as Jinja does it (`a.b` tries the attribute, then the item; `a['b']` the
 * item, then the attribute), and the Python str/list/dict methods templates call (`split`, `format`,
 * `items`, `get`, `startswith`, ...).
 */
/* eslint-disable no-control-regex -- Python's whitespace and line-break classes include \x1c-\x1f. */
import { JinjaError } from './jinja-error.js';
import { strFormat } from './py-string-format.js';
import { PyRange } from './py-range.js';
import { pyStr } from './py-repr.js';
import {
  TUPLES,
  Undef,
  defined,
  isDict,
  isInt,
  nativeFunction,
  pyEq,
  pyIn,
  pyIter,
  tuple,
  typeName,
} from './py-values.js';

type Method<T> = (self: T, args: unknown[], kwargs: Record<string, unknown>) => unknown;

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

const STR_METHODS: Record<string, Method<string>> = {
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
  format: (s, args, kwargs) =>
    strFormat(s, args, kwargs, (v, k, idx) =>
      idx && /^\d+$/.test(k) ? getitem(v, Number(k), k) : idx ? getitem(v, k, k) : getattr(v, k, k),
    ),
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

const LIST_METHODS: Record<string, Method<unknown[]>> = {
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

const DICT_METHODS: Record<string, Method<Record<string, unknown>>> = {
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

const FORBIDDEN = new Set([
  'constructor',
  '__proto__',
  'prototype',
  '__defineGetter__',
  '__defineSetter__',
  '__lookupGetter__',
  '__lookupSetter__',
]);

function bind<T>(self: T, m: Method<T>): unknown {
  return nativeFunction((_ctx, args, kwargs) => m(self, args, kwargs));
}

function missing(path: string, obj: unknown, attr: string): Undef {
  return new Undef(path, `'${path}' is undefined ('${typeName(obj)} object' has no attribute '${attr}')`);
}

/** A range's attributes: `start`, `stop`, `step` and the `index`/`count` methods. */
function rangeAttr(r: PyRange, attr: string, path: string): unknown {
  if (attr === 'start' || attr === 'stop' || attr === 'step') return r[attr];
  if (attr === 'count') return nativeFunction((_c, [x]) => (pyIn(x, r) ? 1 : 0));
  if (attr === 'index')
    return nativeFunction((_c, [x]) => {
      if (!pyIn(x, r)) throw new JinjaError('ValueError', `${pyStr(x)} is not in range`);
      return (Number(x) - r.start) / r.step;
    });
  return new Undef(path, `'${path}' is undefined ('range object' has no attribute '${attr}')`);
}

/** `obj.attr`: the attribute (methods of str/list/dict included), else the item, else undefined. */
export function getattr(obj: unknown, attr: string, path: string): unknown {
  if (obj instanceof PyRange) return rangeAttr(obj, attr, path);
  if (typeof obj === 'string') {
    const m = STR_METHODS[attr];
    return m ? bind(obj, m) : missing(path, obj, attr);
  }
  if (Array.isArray(obj)) {
    // Named tuples (groupby's grouper/list) carry their fields as own properties.
    if (Object.hasOwn(obj, attr) && !/^\d+$/.test(attr))
      return (obj as unknown as Record<string, unknown>)[attr];
    const m = !TUPLES.has(obj) || attr === 'index' || attr === 'count' ? LIST_METHODS[attr] : undefined;
    return m ? bind(obj, m) : missing(path, obj, attr);
  }
  if (isDict(obj)) {
    const m = Object.hasOwn(DICT_METHODS, attr) ? DICT_METHODS[attr] : undefined;
    if (m) return bind(obj, m);
    return Object.hasOwn(obj, attr) ? obj[attr] : missing(path, obj, attr);
  }
  if (obj instanceof Undef) throw obj.error();
  if (obj !== null && (typeof obj === 'object' || typeof obj === 'function') && !FORBIDDEN.has(attr)) {
    const v = (obj as Record<string, unknown>)[attr];
    const own = Object.hasOwn(obj, attr) || (v !== undefined && !(attr in Object.prototype));
    if (own && v !== undefined)
      return typeof v === 'function' && !Object.hasOwn(obj, attr) && !('jinjaNative' in v) ? v.bind(obj) : v;
  }
  return missing(path, obj, attr);
}

/** `obj[key]`: the item, else (for string keys) the attribute, else undefined. */
export function getitem(obj: unknown, key: unknown, path: string): unknown {
  if (Array.isArray(obj) || typeof obj === 'string') {
    if (isInt(key) || typeof key === 'boolean') {
      const n = Number(key);
      const len = typeof obj === 'string' ? obj.length : obj.length;
      const i = n < 0 ? len + n : n;
      if (i >= 0 && i < len) return obj[i];
      return new Undef(path, `'${path}' is undefined (${typeName(obj)} index out of range)`);
    }
  } else if (obj instanceof PyRange) {
    if (isInt(key) || typeof key === 'boolean') {
      const n = Number(key);
      const i = n < 0 ? obj.length + n : n;
      if (i >= 0 && i < obj.length) return obj.at(i);
      return new Undef(path, `'${path}' is undefined (range object index out of range)`);
    }
    if (typeof key !== 'string')
      return new Undef(path, `'${path}' is undefined (range object has no element ${pyStr(key)})`);
  } else if (isDict(obj)) {
    const k = typeof key === 'string' ? key : pyStr(key);
    if (Object.hasOwn(obj, k)) return obj[k];
    if (typeof key !== 'string') return new Undef(path);
  }
  if (obj instanceof Undef) throw obj.error();
  if (typeof key === 'string') return getattr(obj, key, path);
  return new Undef(path, `'${path}' is undefined ('${typeName(obj)} object' has no item ${pyStr(key)})`);
}

/** `obj[a:b:c]` on strings, lists and tuples. */
export function pySlice(obj: unknown, start: unknown, stop: unknown, step: unknown): unknown {
  if (obj instanceof PyRange) {
    const n = (v: unknown): number | null => (v === null ? null : Number(v));
    return obj.slice(n(start), n(stop), n(step));
  }
  const items = typeof obj === 'string' ? Array.from(obj) : Array.isArray(obj) ? obj : null;
  if (!items) throw new JinjaError('TypeError', `'${typeName(obj)}' object is not subscriptable`);
  const len = items.length;
  const st = step === null ? 1 : Number(step);
  if (st === 0) throw new JinjaError('ValueError', 'slice step cannot be zero');
  const norm = (v: unknown, dflt: number, lo: number, hi: number): number => {
    if (v === null) return dflt;
    let n = Number(v);
    if (n < 0) n += len;
    return Math.min(Math.max(n, lo), hi);
  };
  const out: unknown[] = [];
  if (st > 0)
    for (let i = norm(start, 0, 0, len), e = norm(stop, len, 0, len); i < e; i += st) out.push(items[i]);
  else
    for (let i = norm(start, len - 1, -1, len - 1), e = norm(stop, -1, -1, len - 1); i > e; i += st)
      out.push(items[i]);
  if (typeof obj === 'string') return out.join('');
  return TUPLES.has(obj as unknown[]) ? tuple(out) : out;
}
