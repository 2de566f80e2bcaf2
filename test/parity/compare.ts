/**
 * Field-by-field comparison of two renders. Objects are matched by identity (apiVersion, kind,
 * namespace, name), so a changed field is reported at its JSON path and a moved object as an order
 * difference, instead of one long text diff. The report names the object, the path and both values.
 */
import type { KubeObject } from '../../lib/ports.js';

/** One field that differs. `undefined` on a side means the field (or the object) is absent there. */
export interface Difference {
  /** The object id ({@link objectId}). */
  readonly object: string;
  /** JSON path inside the object; '' for the object as a whole (present on one side only). */
  readonly path: string;
  readonly kluctl: unknown;
  readonly ours: unknown;
}

/** The outcome of {@link compareObjects}. */
export interface Comparison {
  readonly differences: readonly Difference[];
  /** Set when both sides hold the same objects in a different order: where they part. */
  readonly order: string | undefined;
}

type Dict = Record<string, unknown>;
const isDict = (v: unknown): v is Dict => typeof v === 'object' && v !== null && !Array.isArray(v);

/** `apiVersion kind namespace/name` (`name` alone for cluster-scoped or unnamespaced objects). */
export function objectId(o: KubeObject): string {
  const meta: Dict = isDict(o.metadata) ? o.metadata : {};
  const ns = typeof meta.namespace === 'string' && meta.namespace ? `${meta.namespace}/` : '';
  return `${String(o.apiVersion)} ${String(o.kind)} ${ns}${String(meta.name)}`;
}

/** Ids in order; repeated ids get `#2`, `#3`, ... so duplicates stay distinct. */
function ids(objects: readonly KubeObject[]): string[] {
  const seen = new Map<string, number>();
  return objects.map((o) => {
    const id = objectId(o);
    const n = (seen.get(id) ?? 0) + 1;
    seen.set(id, n);
    return n === 1 ? id : `${id}#${n}`;
  });
}

const SIMPLE_KEY = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

function childPath(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  if (SIMPLE_KEY.test(key)) return path ? `${path}.${key}` : key;
  return `${path}[${JSON.stringify(key)}]`;
}

/** Appends every leaf where `a` (Kluctl) and `b` (ours) differ. */
export function diffValues(object: string, path: string, a: unknown, b: unknown, out: Difference[]): void {
  if (isDict(a) && isDict(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    for (const k of keys) {
      diffValues(object, childPath(path, k), k in a ? a[k] : undefined, k in b ? b[k] : undefined, out);
    }
    return;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    for (let i = 0; i < Math.max(a.length, b.length); i++) {
      diffValues(
        object,
        childPath(path, i),
        i < a.length ? a[i] : undefined,
        i < b.length ? b[i] : undefined,
        out,
      );
    }
    return;
  }
  // Scalars (and type changes): strict equality, so 755 vs "755" and null vs absent both count.
  if (a !== b) out.push({ object, path, kluctl: a, ours: b });
}

/** `apiVersion kind name`: the identity without the namespace, to pair objects whose namespace differs. */
function looseId(o: KubeObject): string {
  const meta: Dict = isDict(o.metadata) ? o.metadata : {};
  return `${String(o.apiVersion)} ${String(o.kind)} ${String(meta.name)}`;
}

/**
 * Pairs Kluctl's objects with ours: by id, then (for the rest) by id without namespace when that is
 * unambiguous, so a namespace that differs shows as a field and not as two unrelated objects.
 */
function pair(kluctl: readonly KubeObject[], ours: readonly KubeObject[]): Map<number, number> {
  const kIds = ids(kluctl);
  const oIndex = new Map(ids(ours).map((id, i) => [id, i]));
  const pairs = new Map<number, number>();
  kIds.forEach((id, i) => {
    const j = oIndex.get(id);
    if (j !== undefined) pairs.set(i, j);
  });
  const taken = new Set(pairs.values());
  const byLoose = (objs: readonly KubeObject[], skip: (i: number) => boolean): Map<string, number[]> => {
    const m = new Map<string, number[]>();
    objs.forEach((o, i) => {
      if (!skip(i)) m.set(looseId(o), [...(m.get(looseId(o)) ?? []), i]);
    });
    return m;
  };
  const kLoose = byLoose(kluctl, (i) => pairs.has(i));
  const oLoose = byLoose(ours, (j) => taken.has(j));
  for (const [key, ks] of kLoose) {
    const os = oLoose.get(key);
    if (ks.length === 1 && os?.length === 1) pairs.set(ks[0]!, os[0]!);
  }
  return pairs;
}

/** Compares Kluctl's objects with ours: fields of objects both have, objects one lacks, and order. */
export function compareObjects(kluctl: readonly KubeObject[], ours: readonly KubeObject[]): Comparison {
  const kIds = ids(kluctl);
  const oIds = ids(ours);
  const pairs = pair(kluctl, ours);
  const paired = new Set(pairs.values());
  const differences: Difference[] = [];
  kIds.forEach((id, i) => {
    const j = pairs.get(i);
    diffValues(id, '', kluctl[i], j === undefined ? undefined : ours[j], differences);
  });
  oIds.forEach((id, j) => {
    if (!paired.has(j)) differences.push({ object: id, path: '', kluctl: undefined, ours: ours[j] });
  });
  // Order: the paired objects, walked in Kluctl's order, must come in ascending positions of ours.
  const kOrder = [...pairs.keys()].sort((a, b) => a - b);
  const oOrder = [...pairs.values()].sort((a, b) => a - b);
  const at = kOrder.findIndex((i, n) => pairs.get(i) !== oOrder[n]);
  const order =
    at < 0
      ? undefined
      : `position ${at} of the shared objects: kluctl ${kIds[kOrder[at]!]}, ours ${oIds[oOrder[at]!]}`;
  return { differences, order };
}

/** A value for the report: JSON, cut at 160 characters; `(absent)` for a missing field. */
export function showValue(v: unknown): string {
  if (v === undefined) return '(absent)';
  const s = JSON.stringify(v);
  return s.length > 160 ? `${s.slice(0, 157)}...` : s;
}

/** The differences grouped by object, one indented line per field. */
export function formatDifferences(differences: readonly Difference[]): string[] {
  const lines: string[] = [];
  let last: string | undefined;
  for (const d of differences) {
    if (d.object !== last) lines.push(`  ${d.object}`);
    last = d.object;
    if (d.path === '') {
      lines.push(`    (whole object) only in ${d.kluctl === undefined ? 'ours' : 'kluctl'}`);
    } else {
      lines.push(`    ${d.path}: kluctl ${showValue(d.kluctl)}, ours ${showValue(d.ours)}`);
    }
  }
  return lines;
}
