/**
 * What the web UI shows of a KluctlDeployment, as plain JSON: a summary row for the list (Kluctl
 * Webui's card: Ready, suspended, drift, last deploy and validate, approval pending) and the detail
 * page's status. Pure; the fields are read from the object the API server returns.
 */
import { REQUEST_ANNOTATIONS } from '../api/constants.js';
import type { Condition, KluctlDeployment } from '../api/types.js';
import { REQUEST_RESULT_FIELD } from '../reconcile/manual-requests.js';

/** Identifies one deployment across clusters. */
export interface DeploymentKey {
  readonly clusterId: string;
  readonly namespace: string;
  readonly name: string;
}

/** A request the reconciler took, as the list shows it. */
export interface TakenRequestBrief {
  readonly kind: string;
  readonly requestValue: string;
  /** Absent while it runs. */
  readonly endTime?: string;
  readonly failed: boolean;
}

/** One row of the deployment list. */
export interface DeploymentSummary extends DeploymentKey {
  /** The project: the Git or OCI URL (and path), as the UI groups by it. */
  readonly project: string;
  /** The target name, or `(no target)`. */
  readonly target: string;
  readonly ready?: {
    readonly status: Condition['status'];
    readonly reason: string;
    readonly message: string;
  };
  readonly suspended: boolean;
  readonly dryRun: boolean;
  readonly manual: boolean;
  /** The rendered objects hash waiting for approval (manual deployments only). */
  readonly approvalPending?: string;
  /** `no drift`, `1 new/2 chg`, or undefined before the first drift detection. */
  readonly drift?: string;
  readonly lastDeploy?: CommandBrief;
  readonly lastValidate?: {
    readonly endTime: string;
    readonly ready: boolean;
    readonly errors: number;
    readonly warnings: number;
  };
  /** Request annotations not yet taken by the reconciler (e.g. `deploy`). */
  readonly pendingRequests: readonly string[];
  /**
   * The requests the reconciler took (`status.<kind>RequestResult`): the value, and the end time once
   * done. A row changes when a request ends, so a page showing it reloads and finds the new result
   * even when the request was taken and finished between two looks at the list.
   */
  readonly takenRequests: readonly TakenRequestBrief[];
  readonly generation?: number;
  readonly observedGeneration?: number;
}

/** A command result in a few numbers. */
export interface CommandBrief {
  readonly id: string;
  readonly command?: string;
  readonly startTime: string;
  readonly endTime: string;
  readonly newObjects: number;
  readonly changedObjects: number;
  readonly orphanObjects: number;
  readonly deletedObjects: number;
  readonly errors: number;
  readonly warnings: number;
}

/** `url` without a password or token in its user info (`https://user:token@host` → `https://user:***@host`). */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^/@:]*):[^/@]*@/i, '$1:***@');
}

/** The project a deployment deploys, for grouping: `url` plus `//path` when not the root. */
export function projectLabel(kd: KluctlDeployment): string {
  const s = kd.spec.source ?? {};
  const url = redactUrl(s.git?.url ?? s.oci?.url ?? s.url ?? '');
  const path = s.git?.path ?? s.oci?.path ?? s.path ?? '';
  return path ? `${url}//${path}` : url;
}

/** The list row of `kd`, which lives on cluster `clusterId`. */
export function summarizeDeployment(kd: KluctlDeployment, clusterId: string): DeploymentSummary {
  const st = kd.status ?? {};
  const ready = st.conditions?.find((c) => c.type === 'Ready');
  const d = st.lastDeployResult;
  const v = st.lastValidateResult;
  const manual = kd.spec.manual === true;
  const pendingHash =
    manual && st.lastObjectsHash && st.lastObjectsHash !== kd.spec.manualObjectsHash
      ? st.lastObjectsHash
      : undefined;
  const annotations = kd.metadata.annotations ?? {};
  return {
    clusterId,
    namespace: kd.metadata.namespace ?? '',
    name: kd.metadata.name,
    project: projectLabel(kd),
    target: kd.spec.target ?? st.targetKey?.targetName ?? '(no target)',
    ...(ready ? { ready: { status: ready.status, reason: ready.reason, message: ready.message } } : {}),
    suspended: kd.spec.suspend === true,
    dryRun: kd.spec.dryRun === true,
    manual,
    ...(pendingHash ? { approvalPending: pendingHash } : {}),
    ...(st.lastDriftDetectionResultMessage ? { drift: st.lastDriftDetectionResultMessage } : {}),
    ...(d
      ? {
          lastDeploy: {
            id: d.id,
            ...(d.commandInfo.command ? { command: d.commandInfo.command } : {}),
            startTime: d.commandInfo.startTime,
            endTime: d.commandInfo.endTime,
            newObjects: d.newObjects,
            changedObjects: d.changedObjects,
            orphanObjects: d.orphanObjects,
            deletedObjects: d.deletedObjects,
            errors: d.errors?.length ?? 0,
            warnings: d.warnings?.length ?? 0,
          },
        }
      : {}),
    ...(v
      ? {
          lastValidate: {
            endTime: v.endTime,
            ready: v.ready,
            errors: v.errors?.length ?? 0,
            warnings: v.warnings?.length ?? 0,
          },
        }
      : {}),
    pendingRequests: Object.entries(REQUEST_ANNOTATIONS)
      .filter(([, a]) => (annotations[a] ?? '') !== '')
      .map(([k]) => k),
    takenRequests: Object.entries(REQUEST_RESULT_FIELD).flatMap(([kind, field]) => {
      const r = st[field];
      if (!r) return [];
      return [
        {
          kind,
          requestValue: r.request.requestValue,
          ...(r.endTime ? { endTime: r.endTime } : {}),
          failed: Boolean(r.commandError),
        },
      ];
    }),
    ...(kd.metadata.generation !== undefined ? { generation: kd.metadata.generation } : {}),
    ...(st.observedGeneration !== undefined ? { observedGeneration: st.observedGeneration } : {}),
  };
}

/**
 * The detail page's view of `kd`: the summary, the spec, conditions and the last results from status.
 * Annotations other than Kluctl's are left out (they may carry anything, e.g. kubectl's
 * last-applied-configuration).
 */
export function deploymentDetail(kd: KluctlDeployment, clusterId: string): Record<string, unknown> {
  const st = kd.status ?? {};
  return {
    summary: summarizeDeployment(kd, clusterId),
    spec: redactedSpec(kd.spec),
    labels: kd.metadata.labels ?? {},
    creationTimestamp: kd.metadata.creationTimestamp,
    conditions: st.conditions ?? [],
    status: {
      observedCommit: st.observedCommit,
      lastObjectsHash: st.lastObjectsHash,
      lastManualObjectsHash: st.lastManualObjectsHash,
      lastPrepareError: st.lastPrepareError,
      lastDeployResult: st.lastDeployResult,
      lastDiffResult: st.lastDiffResult,
      lastValidateResult: st.lastValidateResult,
      lastDriftDetectionResult: st.lastDriftDetectionResult,
      lastDriftDetectionResultMessage: st.lastDriftDetectionResultMessage,
      reconcileRequestResult: st.reconcileRequestResult,
      deployRequestResult: st.deployRequestResult,
      diffRequestResult: st.diffRequestResult,
      pruneRequestResult: st.pruneRequestResult,
      validateRequestResult: st.validateRequestResult,
    },
  };
}

/** The spec with credentials in source URLs hidden (a URL may carry a token; Kluctl allows it). */
function redactedSpec(spec: KluctlDeployment['spec']): KluctlDeployment['spec'] {
  const src = spec.source ?? {};
  const fix = <T extends { url?: string }>(o: T | undefined): T | undefined =>
    o?.url ? { ...o, url: redactUrl(o.url) } : o;
  return {
    ...spec,
    source: {
      ...src,
      ...(src.url ? { url: redactUrl(src.url) } : {}),
      ...(src.git ? { git: fix(src.git) } : {}),
      ...(src.oci ? { oci: fix(src.oci) } : {}),
    },
    ...(spec.sourceOverrides
      ? { sourceOverrides: spec.sourceOverrides.map((o) => ({ ...o, url: redactUrl(o.url) })) }
      : {}),
  };
}
