/**
 * Attribute and item access as Jinja does it: `a.b` tries the attribute (methods of str/list/dict
 * included), then the item; `a['b']` the item, then the attribute; `a[1:3]` slices. What is missing
 * is an undefined value naming the full path.
 */
import { JinjaError } from './jinja-error.js';
import { DICT_METHODS, LIST_METHODS, STR_METHODS } from './py-methods.js';
import type { Method } from './py-methods.js';
import { PyRange } from './py-range.js';
import { pyStr } from './py-repr.js';
import { strFormat } from './py-string-format.js';
import { TUPLES, Undef, isDict, isInt, nativeFunction, pyIn, tuple, typeName } from './py-values.js';

/** str.format resolves `{0.name}` and `{0[key]}` with the access rules of this file. */
const STR_METHODS_WITH_FORMAT: Record<string, Method<string>> = {
  ...STR_METHODS,
  format: (s, args, kwargs) =>
    strFormat(s, args, kwargs, (v, k, idx) =>
      idx && /^\d+$/.test(k) ? getitem(v, Number(k), k) : idx ? getitem(v, k, k) : getattr(v, k, k),
    ),
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
    const m = STR_METHODS_WITH_FORMAT[attr];
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
