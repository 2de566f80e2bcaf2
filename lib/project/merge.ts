/** Plain-data helpers with Kluctl's merge semantics (uo.Merge): dicts merge key by key, all else is replaced. */

import { isDict } from '../util/dict.js';
import type { Dict } from '../util/dict.js';

// Re-exported: the project engine reads Dict/isDict from here together with the merge helpers.
export { isDict } from '../util/dict.js';
export type { Dict } from '../util/dict.js';

/** A deep copy of JSON-like data. */
export function deepClone<T>(v: T): T {
  return structuredClone(v);
}

/** Returns a new dict: `base` deep-merged with `override` (override wins; nested dicts merge). */
export function deepMerge(base: Dict, override: Dict): Dict {
  const out: Dict = deepClone(base);
  for (const [k, v] of Object.entries(override)) {
    const cur = out[k];
    out[k] = isDict(cur) && isDict(v) ? deepMerge(cur, v) : deepClone(v);
  }
  return out;
}

/** Reads a nested field by path; `found` tells a missing field from a null one. */
export function getNested(obj: Dict, path: readonly string[]): { found: boolean; value?: unknown } {
  let cur: unknown = obj;
  for (const p of path) {
    if (!isDict(cur) || !Object.hasOwn(cur, p)) return { found: false };
    cur = cur[p];
  }
  return { found: true, value: cur };
}

/** Returns a copy of `obj` with `value` placed at `path` (missing dicts are created). */
export function setNested(obj: Dict, path: readonly string[], value: unknown): Dict {
  const out = deepClone(obj);
  let cur: Dict = out;
  path.forEach((p, i) => {
    if (i === path.length - 1) {
      cur[p] = value;
      return;
    }
    const next = cur[p];
    cur = isDict(next) ? next : (cur[p] = {});
  });
  return out;
}
