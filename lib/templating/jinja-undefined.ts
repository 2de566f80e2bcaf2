/**
 * Jinja's StrictUndefined on top of liquidjs (kluctl-semantics §3.1). Liquid either throws on the first
 * missing lookup (before `| default` can run) or silently yields nothing; Jinja instead produces an
 * "undefined" value that fails only when it is used (printed, compared, iterated, looked into) and that
 * `default(...)` may replace. We get there by handing Liquid proxies of the variables: a missing key
 * yields a {@link JinjaUndefined} sentinel, a Liquid Drop whose `valueOf` throws.
 */
import { Drop } from 'liquidjs';

/** Thrown when an undefined value is used; carries the dotted name Jinja would report. */
export class UndefinedValueError extends Error {
  readonly variable: string;
  constructor(variable: string) {
    super(`'${variable}' is undefined`);
    this.name = 'UndefinedValueError';
    this.variable = variable;
  }
}

// Kept outside the instance so Liquid's property reads cannot see it (it reads any JS property).
const undefinedNames = new WeakMap<object, string>();

/** The value of a missing variable or key. Any use other than `default` throws UndefinedValueError. */
export class JinjaUndefined extends Drop {
  constructor(name: string) {
    super();
    undefinedNames.set(this, name);
  }

  /** Liquid reads a Drop's value through valueOf before printing, comparing or iterating it. */
  override valueOf(): never {
    throw new UndefinedValueError(undefinedName(this));
  }

  override toString(): never {
    throw new UndefinedValueError(undefinedName(this));
  }

  /** Looking into an undefined value is an error in Jinja, as it is for StrictUndefined. */
  override liquidMethodMissing(): never {
    throw new UndefinedValueError(undefinedName(this));
  }
}

/** The dotted name an undefined value was looked up by. */
export function undefinedName(u: JinjaUndefined): string {
  return undefinedNames.get(u) ?? 'value';
}

/**
 * Keys that JavaScript machinery (Promise detection, JSON, Liquid's own duck typing) probes on any
 * object; answering them with a sentinel would confuse that machinery, so they read as absent.
 */
const PROBED_KEYS = new Set([
  'then',
  'toJSON',
  'toLiquid',
  'valueOf',
  'toString',
  'constructor',
  '__proto__',
  'next',
  'equals',
  'liquidMethodMissing',
]);

const rawOf = new WeakMap<object, object>();

function isContainer(v: unknown): v is object {
  if (v === null || typeof v !== 'object') return false;
  if (Array.isArray(v)) return true;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

function join(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

/** Wraps plain objects and arrays so that missing keys read as JinjaUndefined; other values pass. */
export function wrapValue(value: unknown, path: string): unknown {
  if (!isContainer(value) || rawOf.has(value)) return value;
  const proxy = new Proxy(value, {
    get(target, key, receiver) {
      if (typeof key === 'symbol' || PROBED_KEYS.has(key)) return Reflect.get(target, key, receiver);
      if (Object.hasOwn(target, key)) return wrapValue(Reflect.get(target, key, receiver), join(path, key));
      return new JinjaUndefined(join(path, key));
    },
  });
  rawOf.set(proxy, value);
  return proxy;
}

/** A scope where every name is missing: Liquid falls back to its globals for unknown top-level names. */
export const MISSING_SCOPE: object = new Proxy(
  {},
  {
    get(target, key, receiver) {
      if (typeof key === 'symbol' || PROBED_KEYS.has(key)) return Reflect.get(target, key, receiver);
      return new JinjaUndefined(key);
    },
  },
);

/** Strips the proxies of {@link wrapValue} (one level suffices: the targets hold raw values). */
export function unwrap(value: unknown): unknown {
  if (value !== null && typeof value === 'object') {
    const raw = rawOf.get(value);
    if (raw !== undefined) return raw;
  }
  return value;
}

/** Recursively strips proxies, for values built inside templates (lists of wrapped values). */
export function unwrapDeep(value: unknown): unknown {
  const v = unwrap(value);
  return Array.isArray(v) ? v.map(unwrapDeep) : v;
}
