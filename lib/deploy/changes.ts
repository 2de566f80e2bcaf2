/**
 * Object changes between the remote object before a run and the object the apply returned, after the
 * normalisation Kluctl applies (kluctl-semantics §7.7): server-owned metadata and status are dropped,
 * integral floats are ints, empty label/annotation maps exist. Paths use Kluctl's canonical format
 * (`a.b[0]["key.with.dots"]`).
 */
import type { Change } from '../api/types.js';
import type { KubeObject } from '../ports.js';

export type { Change };

const DROPPED_METADATA = [
  'managedFields',
  'creationTimestamp',
  'generation',
  'resourceVersion',
  'selfLink',
  'uid',
];

/** A copy of `obj` normalised for diffing. */
export function normalizeForDiff(obj: KubeObject): Record<string, unknown> {
  const copy = structuredClone(obj) as Record<string, unknown> & { metadata: Record<string, unknown> };
  delete copy.status;
  for (const k of DROPPED_METADATA) delete copy.metadata[k];
  const annotations = { ...((copy.metadata.annotations as Record<string, string> | undefined) ?? {}) };
  delete annotations['kubectl.kubernetes.io/last-applied-configuration'];
  copy.metadata.annotations = annotations;
  copy.metadata.labels = { ...((copy.metadata.labels as Record<string, string> | undefined) ?? {}) };
  if ((copy.kind === 'Secret' || copy.kind === 'ConfigMap') && isEmptyMap(copy.data)) delete copy.data;
  return copy;
}

/** The changes from `before` to `after` (both normalised first), sorted by path. */
export function computeChanges(before: KubeObject, after: KubeObject): Change[] {
  const out: Change[] = [];
  diffValues(normalizeForDiff(before), normalizeForDiff(after), '', out);
  return out.sort((a, b) => (a.jsonPath < b.jsonPath ? -1 : a.jsonPath > b.jsonPath ? 1 : 0));
}

function isEmptyMap(v: unknown): boolean {
  return v === undefined || v === null || (typeof v === 'object' && Object.keys(v as object).length === 0);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function diffValues(a: unknown, b: unknown, path: string, out: Change[]): void {
  if (isObject(a) && isObject(b)) {
    for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
      const p = joinKey(path, k);
      if (!(k in b)) out.push(change('delete', p, a[k], undefined));
      else if (!(k in a)) out.push(change('insert', p, undefined, b[k]));
      else diffValues(a[k], b[k], p, out);
    }
    return;
  }
  if (Array.isArray(a) && Array.isArray(b) && a.length === b.length) {
    a.forEach((v, i) => diffValues(v, b[i], `${path}[${i}]`, out));
    return;
  }
  if (!sameValue(a, b)) out.push(change('update', path, a, b));
}

function sameValue(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function change(
  type: 'insert' | 'delete' | 'update',
  jsonPath: string,
  oldValue: unknown,
  newValue: unknown,
): Change {
  return {
    type,
    jsonPath,
    ...(oldValue !== undefined ? { oldValue } : {}),
    ...(newValue !== undefined ? { newValue } : {}),
    unifiedDiff: unifiedDiff(oldValue, newValue),
  };
}

function render(v: unknown): string[] {
  if (v === undefined) return [];
  const s = typeof v === 'string' ? v : JSON.stringify(v, null, 2);
  return s.split('\n');
}

function unifiedDiff(oldValue: unknown, newValue: unknown): string {
  return [...render(oldValue).map((l) => `-${l}`), ...render(newValue).map((l) => `+${l}`)].join('\n');
}

/** Kluctl's canonical path segment: identifiers of two or more characters are dotted, others bracketed. */
function joinKey(path: string, key: string): string {
  if (/^[A-Za-z_][A-Za-z0-9_]+$/.test(key)) return path ? `${path}.${key}` : key;
  return `${path}[${JSON.stringify(key)}]`;
}
