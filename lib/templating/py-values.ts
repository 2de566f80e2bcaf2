/**
 * The value model of the Jinja evaluator: Python values mapped onto JavaScript ones. None is `null`,
 * bool/str/list/dict are boolean/string/Array/plain object, an int is an integral `number`, a float is
 * a non-integral `number` or a {@link PyFloat} box (so `2.0` keeps printing as `2.0`), a tuple is an
 * Array registered in {@link TUPLES}, and an undefined lookup is an {@link Undef} that fails when used.
 */
import { JinjaError } from './jinja-error.js';
import { PyRange } from './py-range.js';

/** A float whose value is integral (`2.0`); non-integral floats are plain numbers. */
export class PyFloat {
  constructor(readonly v: number) {}
}

/** Arrays that are Python tuples (printed `(1, 2)`). */
export const TUPLES = new WeakSet<readonly unknown[]>();

/** Makes a tuple from the given items. */
export function tuple(items: unknown[]): unknown[] {
  TUPLES.add(items);
  return items;
}

/** An undefined value (StrictUndefined): carries the full path it was looked up by. */
export class Undef {
  constructor(
    readonly name: string,
    readonly hint?: string,
  ) {}

  /** The error any use of this value raises. */
  error(): JinjaError {
    return new JinjaError('UndefinedError', this.hint ?? `'${this.name}' is undefined`, this.name);
  }
}

/** A callable that receives the call context, positional and keyword arguments. */
export interface JinjaCallable {
  (this: unknown, ...args: unknown[]): unknown;
  readonly jinjaNative?: (ctx: unknown, args: unknown[], kwargs: Record<string, unknown>) => unknown;
  /** What Python's str() shows for it (`<class 'range'>`); default `<function>`. */
  readonly pyRepr?: string;
}

/**
 * Marks a function as taking `(ctx, args, kwargs)` instead of plain positional arguments; `pyRepr`
 * is how printing it shows (Jinja's classes print as `<class '...'>`).
 */
export function nativeFunction(
  impl: (ctx: unknown, args: unknown[], kwargs: Record<string, unknown>) => unknown,
  pyRepr?: string,
): JinjaCallable {
  const f = (() => {
    throw new JinjaError('TypeError', 'native Jinja function called directly');
  }) as unknown as JinjaCallable;
  Object.defineProperty(f, 'jinjaNative', { value: impl });
  if (pyRepr !== undefined) Object.defineProperty(f, 'pyRepr', { value: pyRepr });
  return f;
}

/**
 * Calls a template-visible function: a {@link nativeFunction} gets `(ctx, args, kwargs)`, a plain one
 * the positional arguments plus, when there are keyword arguments, one trailing object of them, with
 * `ctx` as `this`.
 */
export function callFunction(
  ctx: unknown,
  fn: unknown,
  args: unknown[],
  kwargs: Record<string, unknown>,
): unknown {
  if (fn instanceof Undef) throw fn.error();
  if (typeof fn !== 'function') throw new JinjaError('TypeError', `'${typeName(fn)}' object is not callable`);
  const native = (fn as JinjaCallable).jinjaNative;
  if (native) return native(ctx, args, kwargs);
  const all = Object.keys(kwargs).length > 0 ? [...args, kwargs] : args;
  return (fn as (...a: unknown[]) => unknown).apply(ctx, all);
}

/** A plain dict (a JSON-like object, not a class instance). */
export function isDict(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  // Compared structurally, not with `=== Object.prototype`: values may come from another realm (vm).
  const proto = Object.getPrototypeOf(v) as object | null;
  return proto === null || (Object.getPrototypeOf(proto) === null && proto.constructor?.name === 'Object');
}

/** Whether `v` is a Python number (bool excluded). */
function isNumber(v: unknown): v is number | PyFloat {
  return typeof v === 'number' || v instanceof PyFloat;
}

/** Whether `v` is a Python float. */
export function isFloat(v: unknown): boolean {
  return v instanceof PyFloat || (typeof v === 'number' && !Number.isInteger(v));
}

/** Whether `v` is a Python int (bool excluded). */
export function isInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v);
}

/** A float result: integral values are boxed so they print with `.0`. */
export function mkFloat(n: number): number | PyFloat {
  return Number.isInteger(n) ? new PyFloat(n) : n;
}

/** The numeric value of an int, float or bool; undefined for anything else. */
export function numValue(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  if (v instanceof PyFloat) return v.v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  return undefined;
}

/** Python's type name, for error messages. */
export function typeName(v: unknown): string {
  if (v === null || v === undefined) return 'NoneType';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'string') return 'str';
  if (isInt(v)) return 'int';
  if (isNumber(v)) return 'float';
  if (Array.isArray(v)) return TUPLES.has(v) ? 'tuple' : 'list';
  if (isDict(v)) return 'dict';
  if (v instanceof Undef) return 'StrictUndefined';
  if (v instanceof PyRange) return 'range';
  if (typeof v === 'function') return 'function';
  return (v as object).constructor?.name ?? 'object';
}

/** Throws if `v` is undefined; returns it otherwise. */
export function defined<T>(v: T): Exclude<T, Undef> {
  if (v instanceof Undef) throw v.error();
  return v as Exclude<T, Undef>;
}

/** Python truthiness; using an undefined value is an error. */
export function truthy(v: unknown): boolean {
  if (v === null || v === undefined || v === false || v === 0 || v === '') return false;
  if (v === true || typeof v === 'string' || typeof v === 'number') return true;
  if (v instanceof Undef) throw v.error();
  if (v instanceof PyFloat) return v.v !== 0;
  if (Array.isArray(v)) return v.length > 0;
  if (isDict(v)) return Object.keys(v).length > 0;
  if (v instanceof PyRange) return v.length > 0;
  return true;
}

/** Python `==`. */
export function pyEq(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  const na = numValue(a);
  const nb = numValue(b);
  if (na !== undefined && nb !== undefined) return na === nb;
  if (Array.isArray(a) && Array.isArray(b)) {
    if (TUPLES.has(a) !== TUPLES.has(b) || a.length !== b.length) return false;
    return a.every((x, i) => pyEq(x, b[i]));
  }
  if (a instanceof PyRange && b instanceof PyRange) {
    // Python compares ranges as the sequences they stand for.
    if (a.length !== b.length) return false;
    return a.length === 0 || (a.start === b.start && (a.length === 1 || a.step === b.step));
  }
  if (isDict(a) && isDict(b)) {
    const ka = Object.keys(a);
    if (ka.length !== Object.keys(b).length) return false;
    return ka.every((k) => Object.hasOwn(b, k) && pyEq(a[k], b[k]));
  }
  return false;
}

/** Python's ordering (`<` is -1): numbers, strings and sequences; anything else is a TypeError. */
export function pyCompare(a: unknown, b: unknown, op = '<'): number {
  const na = numValue(a);
  const nb = numValue(b);
  if (na !== undefined && nb !== undefined) return na < nb ? -1 : na > nb ? 1 : 0;
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  if (Array.isArray(a) && Array.isArray(b) && TUPLES.has(a) === TUPLES.has(b)) {
    for (let i = 0; i < Math.min(a.length, b.length); i++) {
      if (!pyEq(a[i], b[i])) return pyCompare(a[i], b[i], op);
    }
    return a.length - b.length;
  }
  defined(a);
  defined(b);
  throw new JinjaError(
    'TypeError',
    `'${op}' not supported between instances of '${typeName(a)}' and '${typeName(b)}'`,
  );
}

/** Python's `in`. */
export function pyIn(item: unknown, container: unknown): boolean {
  defined(item);
  if (typeof container === 'string') {
    if (typeof item !== 'string')
      throw new JinjaError(
        'TypeError',
        `'in <string>' requires string as left operand, not ${typeName(item)}`,
      );
    return container.includes(item);
  }
  if (Array.isArray(container)) return container.some((x) => pyEq(x, item));
  if (container instanceof PyRange) {
    const n = numValue(item);
    return n !== undefined && container.has(n);
  }
  if (isDict(container))
    return typeof item === 'string' || isInt(item) ? Object.hasOwn(container, String(item)) : false;
  defined(container);
  throw new JinjaError('TypeError', `argument of type '${typeName(container)}' is not iterable`);
}

/** The items a `for` loop, `list()` or a filter iterates: dicts yield their keys, strings characters. */
export function pyIter(v: unknown): unknown[] {
  if (Array.isArray(v)) return v;
  if (typeof v === 'string') return Array.from(v);
  if (isDict(v)) return Object.keys(v);
  if (v instanceof PyRange) return v.toArray();
  defined(v);
  if (v !== null && typeof v === 'object' && Symbol.iterator in v) return Array.from(v as Iterable<unknown>);
  throw new JinjaError('TypeError', `'${typeName(v)}' object is not iterable`);
}

/** Python's len(). */
export function pyLen(v: unknown): number {
  if (typeof v === 'string') return Array.from(v).length;
  if (Array.isArray(v)) return v.length;
  if (isDict(v)) return Object.keys(v).length;
  if (v instanceof PyRange) return v.length;
  defined(v);
  throw new JinjaError('TypeError', `object of type '${typeName(v)}' has no len()`);
}
