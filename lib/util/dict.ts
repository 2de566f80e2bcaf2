/** The JSON-like dictionary shared by the project engine, the vars sources and JSON paths. */

/** A JSON-like dictionary. */
export type Dict = Record<string, unknown>;

/** Whether `v` is a plain dictionary (not a list, not null). */
export function isDict(v: unknown): v is Dict {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/**
 * A deep copy of a JSON value: new arrays and objects all the way down, the strings, numbers and
 * booleans shared (they are immutable). What structuredClone does for JSON, without copying every
 * string: a cache of result Secrets copied per reconcile spent most of its time copying their data.
 */
export function cloneJson<T>(v: T): T {
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) {
    const list: unknown[] = new Array(v.length);
    for (let i = 0; i < v.length; i++) list[i] = cloneJson(v[i]);
    return list as T;
  }
  const out: Dict = {};
  // JSON objects have no inherited enumerable keys; for-in avoids Object.entries' pair arrays.
  for (const k in v) out[k] = cloneJson((v as Dict)[k]);
  return out as T;
}
