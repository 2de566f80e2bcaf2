/**
 * Key paths inside objects and Kluctl's canonical text form of them (kluctl-semantics §7.7):
 * identifiers of two or more characters are dotted (`a.b`), other keys bracketed (`["k.x"]`, or
 * `['k"x']` when the key holds a double quote), indexes as `[0]`; a path starting with a bracketed key
 * gets a leading `$`. Also removal of fields by JSONPath (with wildcards) and by regex on leaf paths,
 * the two forms of `ignoreForDiff` rules.
 */
import { parseJsonPath } from '../../util/json-path.js';
import type { PathSegment } from '../../util/json-path.js';

/** One step of a key path: a map key or a list index. */
export type Key = string | number;

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]+$/;

/** Formats a key path canonically, e.g. `spec.template.spec.containers[0].env["HTTP_PROXY"]`. */
export function formatKeyPath(keys: readonly Key[]): string {
  let p = '';
  for (const k of keys) {
    if (typeof k === 'number') p += `[${k}]`;
    else if (IDENTIFIER.test(k)) p += p === '' ? k : `.${k}`;
    else {
      if (p === '') p = '$';
      p += k.includes('"') ? `['${k}']` : `["${k}"]`;
    }
  }
  return p;
}

/** Whether `v` is a plain (JSON) object. */
export function isMap(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Calls `fn` for every scalar leaf (not for maps or lists, not even empty ones) with its path. */
function forEachLeaf(root: unknown, fn: (keys: readonly Key[]) => void, keys: Key[] = []): void {
  if (isMap(root)) {
    for (const [k, v] of Object.entries(root)) forEachLeaf(v, fn, [...keys, k]);
  } else if (Array.isArray(root)) {
    root.forEach((v, i) => forEachLeaf(v, fn, [...keys, i]));
  } else fn(keys);
}

/** Removes the value at `keys` (no-op when absent). */
export function removeAt(root: unknown, keys: readonly Key[]): void {
  if (keys.length === 0) return;
  let cur: unknown = root;
  for (const k of keys.slice(0, -1)) {
    cur = isMap(cur) ? cur[k as string] : Array.isArray(cur) ? (cur as unknown[])[k as number] : undefined;
    if (cur === undefined) return;
  }
  const last = keys[keys.length - 1]!;
  if (isMap(cur) && typeof last === 'string') delete cur[last];
  else if (Array.isArray(cur) && typeof last === 'number' && last >= 0 && last < cur.length)
    cur.splice(last, 1);
}

/** Removes every field `path` (Kluctl's JSONPath dialect, `*` wildcards allowed) selects. */
export function removeByJsonPath(root: Record<string, unknown>, path: string): void {
  const segs = parseJsonPath(path);
  const matches: Key[][] = [];
  locate(root, segs, [], matches);
  // Deepest and last indexes first, so list removals do not shift the paths still to remove.
  for (const keys of matches.reverse()) removeAt(root, keys);
}

function locate(v: unknown, segs: readonly PathSegment[], keys: Key[], out: Key[][]): void {
  const [seg, ...rest] = segs;
  if (!seg) {
    out.push(keys);
    return;
  }
  if (seg.kind === 'key') {
    if (isMap(v) && Object.hasOwn(v, seg.key)) locate(v[seg.key], rest, [...keys, seg.key], out);
  } else if (seg.kind === 'index') {
    if (Array.isArray(v)) {
      const i = seg.index < 0 ? v.length + seg.index : seg.index;
      if (i >= 0 && i < v.length) locate(v[i], rest, [...keys, i], out);
    }
  } else if (Array.isArray(v)) v.forEach((x, i) => locate(x, rest, [...keys, i], out));
  else if (isMap(v)) for (const [k, x] of Object.entries(v)) locate(x, rest, [...keys, k], out);
}

/** Removes every scalar leaf whose canonical path the regex finds a match in (unanchored, as Go's). */
export function removeByPathRegex(root: Record<string, unknown>, regex: RegExp): void {
  const doomed: (readonly Key[])[] = [];
  forEachLeaf(root, (keys) => {
    if (regex.test(formatKeyPath(keys))) doomed.push(keys);
  });
  for (const keys of doomed.reverse()) removeAt(root, keys);
}
