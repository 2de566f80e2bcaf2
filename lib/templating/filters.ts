/**
 * The Kluctl filters that are cheap to provide on Liquid (kluctl-semantics §3.5), plus Jinja's
 * `default`. Every filter, Liquid's built-ins included, is wrapped so that an undefined input fails
 * the way StrictUndefined does, except in `default`.
 */
import { createHash } from 'node:crypto';
import type { FilterImplOptions, Liquid } from 'liquidjs';
import { stringify as yamlStringify } from 'yaml';
import { JinjaUndefined, UndefinedValueError, undefinedName, unwrapDeep } from './jinja-undefined.js';
import { pyJsonDumps, pyStr } from './python-format.js';

type FilterHandler = Extract<FilterImplOptions, (...args: never[]) => unknown>;
type FilterThis = ThisParameterType<FilterHandler>;

function asText(value: unknown): string {
  return typeof value === 'string' ? value : pyStr(value);
}

/** Jinja's `default(value, default_value='', boolean=False)`: replaces undefined (or falsy with boolean). */
function jinjaDefault(value: unknown, defaultValue: unknown = '', boolean: unknown = false): unknown {
  if (value instanceof JinjaUndefined) return defaultValue;
  if (boolean === true && isFalsy(value)) return defaultValue;
  return value;
}

function isFalsy(v: unknown): boolean {
  const raw = unwrapDeep(v);
  if (raw === null || raw === undefined || raw === false || raw === 0 || raw === '') return true;
  if (Array.isArray(raw)) return raw.length === 0;
  if (typeof raw === 'object') return Object.keys(raw).length === 0;
  return false;
}

function toYaml(value: unknown): string {
  // PyYAML's dump as Kluctl configures it: block style, insertion order, no line folding.
  return yamlStringify(unwrapDeep(value) ?? null, { lineWidth: 0, indentSeq: false });
}

function sha256(value: unknown, digestLen?: unknown): string {
  const hex = createHash('sha256').update(asText(value), 'utf8').digest('hex');
  return typeof digestLen === 'number' ? hex.slice(0, digestLen) : hex;
}

const KLUCTL_FILTERS: Record<string, FilterHandler> = {
  default: jinjaDefault,
  d: jinjaDefault,
  to_yaml: toYaml,
  to_json: (v: unknown) => pyJsonDumps(unwrapDeep(v)),
  b64encode: (v: unknown) => Buffer.from(asText(v), 'utf8').toString('base64'),
  b64decode: (v: unknown) => Buffer.from(asText(v), 'base64').toString('utf8'),
  sha256,
};

/** Filters that may receive an undefined value without failing. */
const UNDEFINED_TOLERANT = new Set(['default', 'd']);

function strictHandler(name: string, impl: FilterImplOptions): FilterImplOptions {
  const handler: FilterHandler = typeof impl === 'function' ? impl : impl.handler;
  const wrapped: FilterHandler = function (this: FilterThis, value: unknown, ...args: unknown[]) {
    if (!UNDEFINED_TOLERANT.has(name)) {
      for (const v of [value, ...args])
        if (v instanceof JinjaUndefined) throw new UndefinedValueError(undefinedName(v));
    }
    return handler.call(this, value, ...args);
  };
  return typeof impl === 'function' ? wrapped : { handler: wrapped, raw: impl.raw };
}

/** Registers the Kluctl filters and makes every filter of `liquid` strict about undefined input. */
export function registerKluctlFilters(liquid: Liquid): void {
  for (const [name, fn] of Object.entries(KLUCTL_FILTERS)) liquid.registerFilter(name, fn);
  for (const [name, impl] of Object.entries(liquid.filters))
    liquid.registerFilter(name, strictHandler(name, impl));
}
