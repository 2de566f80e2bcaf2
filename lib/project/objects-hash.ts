/**
 * The rendered objects hash (kluctl-semantics §10.4): hex(sha256(sha256(json(o1)) ‖ sha256(json(o2)) ‖ …))
 * over the raw 32-byte digests, objects in collection order. JSON is byte-identical to Go's
 * encoding/json on unstructured maps, so the hash matches Kluctl's `status.lastObjectsHash`.
 */
import { createHash } from 'node:crypto';
import type { KubeObject } from '../ports.js';

/** Go orders map keys by their UTF-8 bytes, which is code point order (not UTF-16 unit order). */
function compareCodePoints(a: string, b: string): number {
  const ia = a[Symbol.iterator]();
  const ib = b[Symbol.iterator]();
  for (;;) {
    const x = ia.next();
    const y = ib.next();
    if (x.done || y.done) return x.done && y.done ? 0 : x.done ? -1 : 1;
    const d = x.value.codePointAt(0)! - y.value.codePointAt(0)!;
    if (d !== 0) return d;
  }
}

/** Go's json string encoding: HTML-safe (<, >, & escaped) and U+2028/U+2029 escaped. */
function goJsonString(s: string): string {
  return JSON.stringify(s).replace(
    /[<>&\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** Serialises JSON-like data as Go's json.Marshal does for map[string]interface{} values. */
export function goJson(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return goJsonString(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError(`json: unsupported value: ${value}`);
    // JS and Go agree on shortest round-trip formatting, including the 1e+21 / 1e-7 exponent forms.
    return String(value);
  }
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'bigint') return value.toString();
  if (Array.isArray(value)) return `[${value.map(goJson).join(',')}]`;
  if (typeof value === 'object') {
    const keys = Object.keys(value).sort(compareCodePoints);
    const obj = value as Record<string, unknown>;
    return `{${keys.map((k) => `${goJsonString(k)}:${goJson(obj[k])}`).join(',')}}`;
  }
  throw new TypeError(`json: unsupported type: ${typeof value}`);
}

/** The objects hash of a rendered project, as Kluctl computes it. */
export function objectsHash(objects: readonly KubeObject[]): string {
  const outer = createHash('sha256');
  for (const o of objects) outer.update(createHash('sha256').update(goJson(o), 'utf8').digest());
  return outer.digest('hex');
}
