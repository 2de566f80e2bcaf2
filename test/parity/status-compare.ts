/**
 * Makes the status of two KluctlDeployments comparable when one was reconciled by Kluctl's controller
 * and the other by ours: the namespaces of each side become placeholders, and what differs on every run
 * (ids, times, the objects hash of different args) is replaced by a marker that only says it is there.
 * Drift results are compared with their objects as a set and `lastResourceVersion` only as present or
 * empty (versions differ per side).
 */

/** Status fields of drift detection (tests that do not compare them drop them). */
export const DRIFT_FIELDS = ['lastDriftDetectionResult', 'lastDriftDetectionResultMessage'] as const;

/** Keys whose values differ on every run; only their presence is compared. */
const VOLATILE_KEYS = new Set([
  'id',
  'resultId',
  'reconcileId',
  'startTime',
  'endTime',
  'lastTransitionTime',
  'lastObjectsHash',
  'renderedObjectsHash',
  'commit',
  'observedCommit',
  'clusterId',
  'lastResourceVersion',
]);

/** One side of a comparison: its strings to replace by placeholders, e.g. `{ 'ks-o-1a2b': '<ns>' }`. */
export type Placeholders = Readonly<Record<string, string>>;

/**
 * A deep copy of `status` with placeholders and markers for volatile values.
 * `lastPrepareError` keeps only its shape (one error, or a list of N): the texts are each tool's own
 * (ours name file, line and column).
 */
export function normalizeStatus(status: unknown, placeholders: Placeholders): unknown {
  const copy = { ...(status as Record<string, unknown>) };
  if (typeof copy.lastPrepareError === 'string') copy.lastPrepareError = errorShape(copy.lastPrepareError);
  return normalize(copy, placeholders);
}

/** `<list of N errors>` for Go's multierror layout, else `<one error>`. */
export function errorShape(text: string): string {
  const m = /^(\d+) errors? occurred:\n/.exec(text);
  return m ? `<list of ${m[1]} errors>` : '<one error>';
}

/** The conditions as `type status reason: message` lines, sorted by type. */
export function conditionLines(status: unknown, placeholders: Placeholders): string[] {
  const conds = ((status as { conditions?: Record<string, unknown>[] })?.conditions ?? []).map(
    (c) =>
      `${String(c.type)} ${String(c.status)} ${String(c.reason)}: ${replaceAll(String(c.message), placeholders)}`,
  );
  return conds.sort();
}

/** Lists Kluctl fills from Go maps, so their order differs from run to run: compared as sets. */
const UNORDERED_KEYS = new Set(['errors', 'warnings', 'results', 'objects']);

/** Placeholders in every string, markers for volatile values, unordered lists sorted; keys sorted. */
export function normalizeValue(v: unknown, placeholders: Placeholders): unknown {
  return normalize(v, placeholders);
}

function normalize(v: unknown, placeholders: Placeholders, key?: string): unknown {
  if (key !== undefined && VOLATILE_KEYS.has(key) && v !== undefined && v !== null && v !== '')
    return '<set>';
  if (typeof v === 'string') return replaceAll(v, placeholders);
  if (Array.isArray(v)) {
    const list = v.map((x) => normalize(x, placeholders));
    if (key === undefined || !UNORDERED_KEYS.has(key)) return list;
    return list.sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
  }
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort())
      out[k] = normalize((v as Record<string, unknown>)[k], placeholders, k);
    return out;
  }
  return v;
}

function replaceAll(s: string, placeholders: Placeholders): string {
  let out = s;
  // Longest first, so a namespace that contains another one is replaced as a whole.
  for (const from of Object.keys(placeholders).sort((a, b) => b.length - a.length))
    out = out.split(from).join(placeholders[from]!);
  return out;
}
