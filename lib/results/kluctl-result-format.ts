/**
 * Kluctl's result store format (pkg/results/result-store-secrets.go of Kluctl v2.28.2, checked against
 * what `kluctl controller run` wrote on the test API server): one Secret per result in the results
 * namespace, named `cr-<repo name>-<id>` (command) or `vr-<repo name>-<id>` (validate), labelled
 * `kluctl.io/result` and `kluctl.io/command-result-id` / `kluctl.io/validate-result-id`, with the
 * summary as JSON in an annotation (Kluctl's tools list results from the annotations alone) and the
 * result gzip-compressed in `data`:
 * - command results: `reducedResult` (the result with every object body cut down to apiVersion, kind,
 *   name, namespace, labels and annotations) and `compactedObjects` (the objects with their full
 *   bodies, each as `full: <json>`);
 * - validate results: `result`.
 * Pure: building, decoding and the retention choice; lib/adapters/kube-secrets-result-store.ts writes.
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import type { ProjectKey, TargetKey, ValidateResult } from '../api/types.js';
import type { CommandResult, ResultObject } from '../deploy/command-result.js';
import { kluctlResultJson, summarizeResult, toKluctlRef } from '../deploy/command-result.js';
import type { KubeObject, ResourceInfo } from '../ports.js';

export const LABEL_RESULT = 'kluctl.io/result';
export const LABEL_COMMAND_RESULT_ID = 'kluctl.io/command-result-id';
export const LABEL_VALIDATE_RESULT_ID = 'kluctl.io/validate-result-id';
/** The annotation holding each kind's summary as JSON (what Kluctl's tools list results from). */
export const SUMMARY_ANNOTATION = {
  command: 'kluctl.io/command-result-summary',
  validate: 'kluctl.io/validate-result-summary',
} as const;

/** The Secrets resource, where results live. */
export const RESULT_SECRETS: ResourceInfo = {
  group: '',
  version: 'v1',
  kind: 'Secret',
  plural: 'secrets',
  namespaced: true,
  verbs: ['create', 'delete', 'get', 'list', 'patch', 'watch'],
};

/** Which kind of result a Secret holds. */
export type ResultKind = keyof typeof SUMMARY_ANNOTATION;

/** The label that carries the result id of each kind (also the selector to list them). */
export const RESULT_ID_LABEL: Readonly<Record<ResultKind, string>> = {
  command: LABEL_COMMAND_RESULT_ID,
  validate: LABEL_VALIDATE_RESULT_ID,
};

/**
 * Kluctl's Secret name: prefix, the last path segment of the repo key (`_` as `-`, other characters
 * outside `[a-zA-Z0-9-]` dropped, cut so the name fits 63 characters), and the result id. Upper case
 * is lowered: Kluctl keeps it and then fails to write the Secret.
 */
export function resultSecretName(prefix: 'cr' | 'vr', id: string, projectKey: ProjectKey): string {
  const path = (projectKey.repoKey ?? '').replace(/^[a-z]+:\/\/[^/]*\/?/, '');
  let name = path ? (path.split('/').pop() ?? '') : '';
  name = name
    .replace(/_/g, '-')
    .replace(/[^a-zA-Z0-9-]/g, '')
    .toLowerCase();
  const max = 63 - (id.length + 1) - (prefix.length + 1);
  if (name.length > max) name = name.slice(0, Math.max(0, max));
  return `${prefix}-${name ? `${name}-` : ''}${id}`;
}

/** Kluctl's reduced object: apiVersion, kind, name, namespace, and labels and annotations if any. */
export function reducedObject(o: KubeObject): KubeObject {
  const m = o.metadata;
  const labels = m.labels && Object.keys(m.labels).length > 0 ? { labels: m.labels } : {};
  const annotations =
    m.annotations && Object.keys(m.annotations).length > 0 ? { annotations: m.annotations } : {};
  return {
    apiVersion: o.apiVersion,
    kind: o.kind,
    metadata: { ...annotations, ...labels, name: m.name, ...(m.namespace ? { namespace: m.namespace } : {}) },
  };
}

/** The object list of a result store entry: bodies as `full: <json>` (Kluctl's reader also takes deltas). */
export function compactedObjects(objects: readonly ResultObject[]): unknown[] {
  return objects.map(({ rendered, remote, applied, ...base }) => ({
    ...base,
    ref: toKluctlRef(base.ref),
    ...(rendered ? { rendered: `full: ${JSON.stringify(rendered)}` } : {}),
    ...(remote ? { remote: `full: ${JSON.stringify(remote)}` } : {}),
    ...(applied ? { applied: `full: ${JSON.stringify(applied)}` } : {}),
  }));
}

/** Kluctl's `ValidateResultSummary`: the result with counts instead of lists. */
export function validateResultSummary(r: ValidateResult): Record<string, unknown> {
  const { warnings, errors, results, overridesPatch: _patch, ...rest } = r;
  return {
    ...rest,
    warnings: warnings?.length ?? 0,
    errors: errors?.length ?? 0,
    results: results?.length ?? 0,
  };
}

/** The Secret of a command result (Secret values must already be obfuscated). */
export function commandResultSecret(r: CommandResult, namespace: string): KubeObject {
  const reduced = kluctlResultJson({
    ...r,
    objects: r.objects.map((o) => ({
      ...o,
      ...(o.rendered ? { rendered: reducedObject(o.rendered) } : {}),
      ...(o.remote ? { remote: reducedObject(o.remote) } : {}),
      ...(o.applied ? { applied: reducedObject(o.applied) } : {}),
    })),
  });
  return resultSecret('command', {
    id: r.id,
    namespace,
    projectKey: r.projectKey,
    summary: summarizeResult(r),
    ...(r.kluctlDeployment ? { deployment: r.kluctlDeployment } : {}),
    data: { reducedResult: reduced, compactedObjects: compactedObjects(r.objects) },
  });
}

/** The Secret of a validate result. */
export function validateResultSecret(r: ValidateResult, namespace: string): KubeObject {
  return resultSecret('validate', {
    id: r.id,
    namespace,
    projectKey: r.projectKey,
    summary: validateResultSummary(r),
    ...(r.kluctlDeployment ? { deployment: r.kluctlDeployment } : {}),
    data: { result: r },
  });
}

interface SecretParts {
  readonly id: string;
  readonly namespace: string;
  readonly projectKey: ProjectKey;
  readonly summary: unknown;
  readonly deployment?: { readonly name: string; readonly namespace: string };
  readonly data: Readonly<Record<string, unknown>>;
}

function resultSecret(kind: ResultKind, p: SecretParts): KubeObject {
  const annotations: Record<string, string> = { [SUMMARY_ANNOTATION[kind]]: JSON.stringify(p.summary) };
  if (p.projectKey.repoKey) annotations['kluctl.io/result-project-repo-key'] = p.projectKey.repoKey;
  if (p.projectKey.subDir) annotations['kluctl.io/result-project-subdir'] = p.projectKey.subDir;
  if (p.deployment) {
    annotations['kluctl.io/result-deployment-name'] = p.deployment.name;
    annotations['kluctl.io/result-deployment-namespace'] = p.deployment.namespace;
  }
  // Kluctl compresses with gzip at its best compression.
  const data = Object.fromEntries(
    Object.entries(p.data).map(([k, v]) => [k, gzipSync(JSON.stringify(v), { level: 9 }).toString('base64')]),
  );
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: resultSecretName(kind === 'command' ? 'cr' : 'vr', p.id, p.projectKey),
      namespace: p.namespace,
      labels: { [LABEL_RESULT]: 'true', [RESULT_ID_LABEL[kind]]: p.id },
      annotations,
    },
    data,
  };
}

/** The decoded JSON of one `data` key of a result Secret (for readers and tests). */
export function decodeResultData(secret: KubeObject, key: string): unknown {
  const data = (secret as { data?: Record<string, string> }).data?.[key];
  return data === undefined
    ? undefined
    : JSON.parse(gunzipSync(Buffer.from(data, 'base64')).toString('utf8'));
}

/** The result Secrets (of either kind) that belong to `deployment`, by the summary's deployment info. */
export function resultsOfDeployment(
  secrets: readonly KubeObject[],
  deployment: { readonly name: string; readonly namespace: string; readonly clusterId: string },
): KubeObject[] {
  return secrets.filter((s) => {
    const kind: ResultKind = s.metadata.labels?.[LABEL_COMMAND_RESULT_ID] ? 'command' : 'validate';
    const d = parseSummary(s, kind)?.kluctlDeployment;
    return (
      d?.name === deployment.name &&
      d.namespace === deployment.namespace &&
      d.clusterId === deployment.clusterId
    );
  });
}

/** What retention reads of a result: its summary annotation. */
interface SummaryFields {
  readonly id: string;
  readonly projectKey?: ProjectKey;
  readonly targetKey?: TargetKey;
  readonly commandInfo?: {
    readonly startTime?: string;
    readonly endTime?: string;
    readonly command?: string;
  };
  readonly startTime?: string;
  readonly endTime?: string;
  readonly kluctlDeployment?: {
    readonly name: string;
    readonly namespace: string;
    readonly clusterId: string;
  };
}

/**
 * The result Secrets to delete after writing a result of `projectKey`/`targetKey`: Kluctl sorts the
 * results of the project newest first (start time, end time, then command and id) and keeps `keep`
 * of those whose target key is equal. Secrets without a readable summary are left alone.
 */
export function resultsBeyondRetention(
  secrets: readonly KubeObject[],
  kind: ResultKind,
  key: { readonly projectKey: ProjectKey; readonly targetKey: TargetKey },
  keep: number,
): KubeObject[] {
  // Only this target's results are ranked; the sort keys are computed once per entry, not per comparison
  // (the runner writes a result per reconcile and the namespace holds every deployment's results).
  const entries = secrets.flatMap((s) => {
    const summary = parseSummary(s, kind);
    return summary &&
      sameProject(summary.projectKey ?? {}, key.projectKey) &&
      sameTarget(summary.targetKey, key.targetKey)
      ? [{ s, order: sortKey(summary, kind) }]
      : [];
  });
  entries.sort((a, b) => compareNewestFirst(a.order, b.order));
  return entries.slice(keep).map((e) => e.s);
}

/** Summaries already parsed, by their annotation text (retention reads every result on every write). */
const parsedSummaries = new Map<string, SummaryFields | undefined>();
/** Bound of {@link parsedSummaries}: a few results per deployment of a large runner. */
const PARSED_SUMMARIES_MAX = 20_000;

function parseSummary(s: KubeObject, kind: ResultKind): SummaryFields | undefined {
  const text = s.metadata.annotations?.[SUMMARY_ANNOTATION[kind]];
  if (!text) return undefined;
  if (parsedSummaries.has(text)) return parsedSummaries.get(text);
  let v: SummaryFields | undefined;
  try {
    const parsed = JSON.parse(text) as SummaryFields;
    v = typeof parsed.id === 'string' ? parsed : undefined;
  } catch {
    v = undefined;
  }
  if (parsedSummaries.size >= PARSED_SUMMARIES_MAX) parsedSummaries.clear();
  parsedSummaries.set(text, v);
  return v;
}

/** Kluctl's FilterProject: a repo key and sub directory, each only compared when the filter has one. */
function sameProject(p: ProjectKey, filter: ProjectKey): boolean {
  if (filter.repoKey && p.repoKey !== filter.repoKey) return false;
  if (filter.subDir && p.subDir !== filter.subDir) return false;
  return true;
}

function sameTarget(a: TargetKey | undefined, b: TargetKey): boolean {
  return (
    (a?.targetName ?? '') === (b.targetName ?? '') &&
    (a?.clusterId ?? '') === b.clusterId &&
    (a?.discriminator ?? '') === (b.discriminator ?? '')
  );
}

/** What results are ranked by: start time, end time, command (command results) and id. */
interface SortKey {
  readonly start: number;
  readonly end: number;
  readonly command: string;
  readonly id: string;
}

function sortKey(s: SummaryFields, kind: ResultKind): SortKey {
  const [start, end] = (
    kind === 'command' ? [s.commandInfo?.startTime, s.commandInfo?.endTime] : [s.startTime, s.endTime]
  ).map((t) => Date.parse(t ?? '') || 0);
  const command = kind === 'command' ? (s.commandInfo?.command ?? '') : '';
  return { start: start!, end: end!, command, id: s.id };
}

function compareNewestFirst(a: SortKey, b: SortKey): number {
  if (a.start !== b.start) return b.start - a.start;
  if (a.end !== b.end) return b.end - a.end;
  if (a.command !== b.command) return a.command < b.command ? -1 : 1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}
