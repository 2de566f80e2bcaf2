/**
 * The figures of one reconcile as metric samples (metrics.ts), at the points Kluctl's controller sets
 * them: the spec's settings (exportDeploymentObjectToProm), the command's counts (after writing its
 * result), deploy and validate durations, the outcome (last_object_status, the last deploy's start),
 * and the GitOps Toolkit recorder's condition, suspend and duration metrics. Pure: the reconcile hands
 * in what happened, the sinks decide where the samples go.
 *
 * Two deliberate differences (docs/parity.md): Kluctl's `dry_run_enabled` carries the deploy interval
 * and its `deployment_interval_seconds` stays empty (its setter writes the wrong gauge); ours hold
 * what their names say.
 */
import { deployInterval, deployMode, intervalMs } from '../api/spec-defaults.js';
import type { CommandResultSummary, Condition, KluctlDeployment } from '../api/types.js';
import type { Labels, MetricName, MetricSample } from './metrics.js';
import { READY, Reasons } from './status.js';

/** What one reconcile did, as far as the metrics tell. */
export interface ReconcileFigures {
  readonly kd: KluctlDeployment;
  /** The final Ready condition; absent when the reconcile wrote none. */
  readonly ready?: Condition;
  /** The object is being deleted (the finalizer ran). */
  readonly deleting?: boolean;
  /** `status.lastDeployResult.commandInfo.startTime` after the reconcile. */
  readonly lastDeployStart?: string;
  /** This run's deploy: the deploy mode's duration and the result's counts. */
  readonly deploy?: { readonly seconds: number; readonly summary: CommandResultSummary };
  readonly validateSeconds?: number;
  readonly reconcileSeconds: number;
}

/** The samples of a reconcile. */
export function reconcileSamples(f: ReconcileFigures): MetricSample[] {
  const out: MetricSample[] = [];
  const add = (name: MetricName, value: number, extra: Labels = {}): void => {
    out.push({ name, labels: { ...nsName(f.kd), ...extra }, value });
  };
  if (!f.deleting) out.push(...specSamples(f.kd));
  if (f.deploy) {
    add('kluctldeployments_deployment_duration_seconds', f.deploy.seconds, { mode: deployMode(f.kd.spec) });
    out.push(...commandSamples(f.kd, f.deploy.summary));
  }
  if (f.validateSeconds !== undefined) add('kluctldeployments_validate_duration_seconds', f.validateSeconds);
  if (!f.deleting) {
    const start = Date.parse(f.lastDeployStart ?? '');
    if (Number.isFinite(start)) {
      add('kluctldeployments_last_deploy_start_timestamp_seconds', Math.floor(start / 1000));
    }
    add('kluctldeployments_last_object_status', f.ready?.reason === Reasons.succeeded ? 1 : 0);
  }
  out.push(...toolkitSamples(f));
  return out;
}

/** The settings of the spec (Kluctl exports them at the start of every reconcile). */
export function specSamples(kd: KluctlDeployment): MetricSample[] {
  const labels = nsName(kd);
  const flag = (name: MetricName, on: boolean | undefined): MetricSample => ({
    name,
    labels,
    value: on ? 1 : 0,
  });
  const spec = kd.spec;
  const out: MetricSample[] = [
    flag('kluctldeployments_prune_enabled', spec.prune),
    flag('kluctldeployments_delete_enabled', spec.delete),
    flag('kluctldeployments_dry_run_enabled', spec.dryRun),
    {
      name: 'kluctldeployments_deployment_interval_seconds',
      labels,
      value: (deployInterval(spec) ?? intervalMs(spec)) / 1000,
    },
  ];
  const source = sourceLabels(kd);
  if (source) out.push({ name: 'kluctldeployments_source_spec', labels: { ...labels, ...source }, value: 0 });
  return out;
}

/** The counts of a command result whose result was written (deploy, prune, diff request, delete). */
export function commandSamples(kd: KluctlDeployment, summary: CommandResultSummary): MetricSample[] {
  const labels = nsName(kd);
  const action = { ...labels, action: summary.commandInfo.command ?? '' };
  return [
    { name: 'kluctldeployments_number_of_deleted_objects', labels, value: summary.deletedObjects },
    { name: 'kluctldeployments_number_of_changed_objects', labels, value: summary.changedObjects },
    { name: 'kluctldeployments_number_of_orphan_objects', labels, value: summary.orphanObjects },
    { name: 'kluctldeployments_number_of_warnings', labels: action, value: summary.warnings?.length ?? 0 },
    { name: 'kluctldeployments_number_of_errors', labels: action, value: summary.errors?.length ?? 0 },
  ];
}

/** gotk_reconcile_condition (one series per status, 1 for the current one), suspend and duration. */
function toolkitSamples(f: ReconcileFigures): MetricSample[] {
  const ref = { kind: 'KluctlDeployment', ...nsName(f.kd) };
  const current = f.deleting ? 'Deleted' : (f.ready?.status ?? 'Unknown');
  const type = f.ready?.type ?? READY;
  return [
    ...['True', 'False', 'Unknown', 'Deleted'].map((status) => ({
      name: 'gotk_reconcile_condition' as const,
      labels: { ...ref, type, status },
      value: status === current ? 1 : 0,
    })),
    { name: 'gotk_suspend_status', labels: ref, value: !f.deleting && f.kd.spec.suspend ? 1 : 0 },
    { name: 'gotk_reconcile_duration_seconds', labels: ref, value: f.reconcileSeconds },
  ];
}

function nsName(kd: KluctlDeployment): { namespace: string; name: string } {
  return { namespace: kd.metadata.namespace ?? '', name: kd.metadata.name };
}

/** url, path and ref of the source as Kluctl prints them (refs as `refs/heads/x`, OCI tag or digest). */
function sourceLabels(kd: KluctlDeployment): Labels | undefined {
  const src = kd.spec.source;
  const gitRef = (r: { branch?: string; tag?: string } | undefined): string =>
    r?.tag ? `refs/tags/${r.tag}` : r?.branch ? `refs/heads/${r.branch}` : '';
  if (src.git) return { url: src.git.url, path: src.git.path ?? '', ref: gitRef(src.git.ref) };
  if (src.oci) {
    const r = src.oci.ref;
    const ref = r?.digest ? `${r.tag ?? ''}@${r.digest}` : r?.tag || 'latest';
    return { url: src.oci.url, path: src.oci.path ?? '', ref };
  }
  if (src.url) return { url: src.url, path: src.path ?? '', ref: gitRef(src.ref) };
  return undefined;
}
