/**
 * Structural diff of two normalised objects into change records (kluctl-semantics §7.7), the way
 * Kluctl's differ pairs things up: map keys by name; list elements that occur on both sides (deep
 * equal, any order) are no change, the remaining ones are compared index by index. Changes are sorted
 * by path, so the output is stable.
 */
import type { Change } from '../../api/types.js';
import { formatKeyPath, isMap } from './key-path.js';
import type { Key } from './key-path.js';
import { NOT_PRESENT, buildUnifiedDiff } from './unified-diff.js';

/** The changes that turn `before` into `after`. */
export function diffValues(before: unknown, after: unknown): Change[] {
  const out: Change[] = [];
  walk(before, after, [], out);
  return out
    .map((c, i) => ({ c, i, key: sortKey(c) }))
    .sort((x, y) => (x.key < y.key ? -1 : x.key > y.key ? 1 : x.i - y.i))
    .map((x) => x.c);
}

function sortKey(c: Change): string {
  return `${c.jsonPath}\u0000${JSON.stringify([c.newValue, c.oldValue, c.type])}`;
}

function walk(a: unknown, b: unknown, keys: Key[], out: Change[]): void {
  if (isMap(a) && isMap(b)) {
    for (const k of Object.keys(a)) {
      if (!Object.hasOwn(b, k)) out.push(change('delete', [...keys, k], a[k], NOT_PRESENT));
      else walk(a[k], b[k], [...keys, k], out);
    }
    for (const k of Object.keys(b))
      if (!Object.hasOwn(a, k)) out.push(change('insert', [...keys, k], NOT_PRESENT, b[k]));
    return;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    const onlyA = unmatched(a, b);
    const onlyB = unmatched(b, a);
    const indexes = [...new Set([...onlyA, ...onlyB])];
    for (const i of indexes) {
      const inA = onlyA.includes(i);
      const inB = onlyB.includes(i);
      if (inA && inB) walk(a[i], b[i], [...keys, i], out);
      else if (inA) out.push(change('delete', [...keys, i], a[i], NOT_PRESENT));
      else out.push(change('insert', [...keys, i], NOT_PRESENT, b[i]));
    }
    return;
  }
  if (!deepEqual(a, b)) out.push(change('update', keys, a, b));
}

/** Indexes of `xs` whose element has no (not yet used) deep-equal partner in `ys`. */
function unmatched(xs: readonly unknown[], ys: readonly unknown[]): number[] {
  const used = new Set<number>();
  const out: number[] = [];
  xs.forEach((x, i) => {
    const j = ys.findIndex((y, k) => !used.has(k) && deepEqual(x, y));
    if (j < 0) out.push(i);
    else used.add(j);
  });
  return out;
}

/** Deep equality of JSON values (key order does not matter). */
function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b))
    return a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (isMap(a) && isMap(b)) {
    const ka = Object.keys(a);
    return (
      ka.length === Object.keys(b).length && ka.every((k) => Object.hasOwn(b, k) && deepEqual(a[k], b[k]))
    );
  }
  return false;
}

function change(
  type: 'insert' | 'delete' | 'update',
  keys: readonly Key[],
  oldValue: unknown,
  newValue: unknown,
): Change {
  return {
    type,
    jsonPath: formatKeyPath(keys),
    ...(oldValue !== NOT_PRESENT ? { oldValue } : {}),
    ...(newValue !== NOT_PRESENT ? { newValue } : {}),
    unifiedDiff: buildUnifiedDiff(oldValue, newValue),
  };
}
