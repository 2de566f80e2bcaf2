/**
 * RFC 7386 JSON merge patches computed from two documents, as controller-runtime's `MergeFrom` does
 * for Kluctl's controller: applying `createMergePatch(a, b)` to `a` gives `b`. Keys that `b` lacks
 * become `null` (removed), objects are diffed key by key, everything else is replaced when it
 * differs. `null` values inside `b` are removed by the API server, as Kluctl's `null` lists are.
 */

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** The merge patch from `from` to `to`; `{}` when they are equal. */
export function createMergePatch(from: unknown, to: unknown): Record<string, unknown> {
  const patch = diff(from, to);
  return isObject(patch) ? patch : {};
}

function diff(from: unknown, to: unknown): Json | undefined {
  if (!isObject(from) || !isObject(to)) return equal(from, to) ? undefined : (to as Json);
  const out: Record<string, Json> = {};
  for (const key of Object.keys(from)) {
    if (from[key] !== undefined && (!(key in to) || to[key] === undefined)) out[key] = null;
  }
  for (const [key, value] of Object.entries(to)) {
    if (value === undefined) continue;
    const d = key in from && from[key] !== undefined ? diff(from[key], value) : (value as Json);
    if (d !== undefined) out[key] = d;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function equal(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * Applies an RFC 7386 merge patch: objects merge key by key, `null` removes a key, anything else
 * replaces the value (Kluctl applies a manual request's `overridesPatch` this way).
 */
export function applyMergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return patch;
  const out: Record<string, unknown> = isObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else out[key] = applyMergePatch(out[key], value);
  }
  return out;
}

/**
 * A merge patch that sets `to` in full where `from` was: every value of `to` is sent, and keys of
 * `from` (at any depth) that `to` lacks become `null`. Unlike {@link createMergePatch} it also sends
 * what did not change, so the result holds even if the server's copy moved meanwhile.
 */
export function replacementPatch(from: unknown, to: unknown): unknown {
  if (!isObject(to)) return to;
  const out: Record<string, unknown> = {};
  if (isObject(from)) {
    for (const key of Object.keys(from))
      if (from[key] !== undefined && to[key] === undefined) out[key] = null;
  }
  for (const [key, value] of Object.entries(to)) {
    if (value !== undefined) out[key] = replacementPatch(isObject(from) ? from[key] : undefined, value);
  }
  return out;
}
