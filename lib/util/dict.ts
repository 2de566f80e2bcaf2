/** The JSON-like dictionary shared by the project engine, the vars sources and JSON paths. */

/** A JSON-like dictionary. */
export type Dict = Record<string, unknown>;

/** Whether `v` is a plain dictionary (not a list, not null). */
export function isDict(v: unknown): v is Dict {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}
