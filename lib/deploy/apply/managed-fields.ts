/**
 * Field paths of server-side apply (structured-merge-diff): parsed from `metadata.managedFields[].fieldsV1`,
 * printed the way the API server prints them in conflict causes (`.spec.replicas`,
 * `.spec.containers[name="c1"].image`, `.spec.ports[port=80,protocol="TCP"]`, `[="value"]`, `[0]`),
 * and resolved against an object to concrete keys and indexes.
 */
import type { KubeObject } from '../../ports.js';

/** One step of a field path: a map field, a list item by key fields, by value, or by index. */
export type FieldPathElement =
  | { readonly field: string }
  | { readonly key: Readonly<Record<string, unknown>> }
  | { readonly value: unknown }
  | { readonly index: number };

/** A field path as structured-merge-diff has it. */
export type FieldPath = readonly FieldPathElement[];

/** Concrete keys (map keys and list indexes) leading to a value inside an object. */
export type KeyPath = readonly (string | number)[];

/** The managers of one printed field path, and the distinct paths that print the same way. */
export interface FieldOwners {
  readonly paths: FieldPath[];
  readonly managers: string[];
}

type Dict = Record<string, unknown>;

function isDict(v: unknown): v is Dict {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A value as structured-merge-diff prints it inside a path: strings quoted, the rest as JSON. */
function valueString(v: unknown): string {
  return JSON.stringify(v);
}

/** Prints a path as the API server does in conflict causes (dots in map keys are not escaped). */
export function fieldPathString(path: FieldPath): string {
  return path
    .map((e) => {
      if ('field' in e) return `.${e.field}`;
      if ('index' in e) return `[${e.index}]`;
      if ('value' in e) return `[=${valueString(e.value)}]`;
      const names = Object.keys(e.key).sort();
      return `[${names.map((n) => `${n}=${valueString(e.key[n])}`).join(',')}]`;
    })
    .join('');
}

function parseElement(raw: string): FieldPathElement | undefined {
  const body = raw.slice(2);
  if (raw.startsWith('f:')) return { field: body };
  if (raw.startsWith('i:')) return { index: Number(body) };
  if (raw.startsWith('v:')) return { value: JSON.parse(body) as unknown };
  if (raw.startsWith('k:')) return { key: JSON.parse(body) as Dict };
  return undefined;
}

/**
 * Every member path of a `fieldsV1` set: leaves, and inner nodes marked with `"."` (the node itself is
 * owned, as for list items).
 */
export function fieldsV1Paths(fields: unknown): FieldPath[] {
  const out: FieldPath[] = [];
  const walk = (node: unknown, prefix: FieldPathElement[]): void => {
    if (!isDict(node)) return;
    for (const [k, child] of Object.entries(node)) {
      if (k === '.') continue;
      const el = parseElement(k);
      if (!el) continue;
      const path = [...prefix, el];
      const children = isDict(child) ? Object.keys(child) : [];
      if (children.length === 0 || children.includes('.')) out.push(path);
      walk(child, path);
    }
  };
  walk(fields, []);
  return out;
}

/** Owners of every field of `obj`, keyed by the printed path (as conflict causes name fields). */
export function fieldOwners(obj: KubeObject): Map<string, FieldOwners> {
  const byPath = new Map<string, FieldOwners>();
  for (const mf of obj.metadata.managedFields ?? []) {
    const manager = mf.manager ?? '';
    for (const path of fieldsV1Paths(mf.fieldsV1)) {
      const s = fieldPathString(path);
      let owners = byPath.get(s);
      if (!owners) byPath.set(s, (owners = { paths: [], managers: [] }));
      if (!owners.paths.some((p) => sameJson(p, path))) owners.paths.push(path);
      owners.managers.push(manager);
    }
  }
  return byPath;
}

/** Deep equality of JSON values (key order ignored). */
export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b))
    return a.length === b.length && a.every((x, i) => sameJson(x, b[i]));
  if (isDict(a) && isDict(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => k in b && sameJson(a[k], b[k]));
  }
  return false;
}

function itemMatches(item: unknown, el: FieldPathElement, index: number): boolean {
  if ('index' in el) return el.index === index;
  if ('value' in el) return sameJson(item, el.value);
  if ('key' in el) {
    if (!isDict(item)) return false;
    return Object.entries(el.key).every(([k, v]) => k in item && sameJson(item[k], v));
  }
  return false;
}

/** The concrete keys of `path` inside `root`, or undefined when some step is missing. */
export function resolveFieldPath(root: unknown, path: FieldPath): KeyPath | undefined {
  const keys: (string | number)[] = [];
  let cur = root;
  for (const el of path) {
    if ('field' in el) {
      if (!isDict(cur) || !(el.field in cur)) return undefined;
      keys.push(el.field);
      cur = cur[el.field];
    } else {
      if (!Array.isArray(cur)) return undefined;
      const list: unknown[] = cur;
      const i = list.findIndex((item, idx) => itemMatches(item, el, idx));
      if (i < 0) return undefined;
      keys.push(i);
      cur = list[i];
    }
  }
  return keys;
}

/** The value at `keys` (undefined when missing). */
export function getAtKeys(root: unknown, keys: KeyPath): unknown {
  let cur = root;
  for (const k of keys) {
    if (typeof k === 'number') cur = Array.isArray(cur) ? (cur as unknown[])[k] : undefined;
    else cur = isDict(cur) ? cur[k] : undefined;
    if (cur === undefined) return undefined;
  }
  return cur;
}

/**
 * Removes the values at every key path from `root` (in place). All paths are resolved before anything
 * is removed, so that removing one list item does not shift the index another path points at.
 */
export function removeAtKeys(root: unknown, paths: readonly KeyPath[]): void {
  const mapKeys: { parent: Dict; key: string }[] = [];
  const listItems = new Map<unknown[], Set<number>>();
  for (const keys of paths) {
    if (keys.length === 0) continue;
    const parent = getAtKeys(root, keys.slice(0, -1));
    const last = keys[keys.length - 1]!;
    if (typeof last === 'number' && Array.isArray(parent)) {
      const set = listItems.get(parent) ?? new Set<number>();
      set.add(last);
      listItems.set(parent, set);
    } else if (typeof last === 'string' && isDict(parent)) mapKeys.push({ parent, key: last });
  }
  for (const { parent, key } of mapKeys) delete parent[key];
  for (const [list, idx] of listItems) {
    for (const i of [...idx].sort((a, b) => b - a)) list.splice(i, 1);
  }
}

/** Kluctl's canonical path string: `a.b[0]["key.with.dots"]` (identifiers of 2+ chars are dotted). */
export function keyPathString(keys: KeyPath): string {
  let s = '';
  for (const k of keys) {
    if (typeof k === 'number') s += `[${k}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_]+$/.test(k)) s += s ? `.${k}` : k;
    else s += `[${JSON.stringify(k)}]`;
  }
  return s;
}

/** Every key path inside `root` (maps and lists, inner nodes included), for catch-all rules. */
export function allKeyPaths(root: unknown): KeyPath[] {
  const out: KeyPath[] = [];
  const walk = (v: unknown, prefix: (string | number)[]): void => {
    if (Array.isArray(v)) {
      (v as unknown[]).forEach((x, i) => {
        out.push([...prefix, i]);
        walk(x, [...prefix, i]);
      });
    } else if (isDict(v)) {
      for (const [k, x] of Object.entries(v)) {
        out.push([...prefix, k]);
        walk(x, [...prefix, k]);
      }
    }
  };
  walk(root, []);
  return out;
}
