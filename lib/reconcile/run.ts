/**
 * The shapes one reconcile run shares between its steps: what it is built from (ReconcileDeps) and
 * what the steps after the lease see of it (Run).
 */
import type { KluctlDeployment } from '../api/types.js';
import type { Clock, Logger, ObjectRef, StateStore } from '../ports.js';
import type { KluctlResultStore } from '../results/kluctl-result-store.js';
import type { JsonVersion } from '../state/json-state.js';
import type { RunDeadline } from './deadline.js';
import type { ReconcileMemory } from './memory.js';
import type { PrepareDeps } from './prepare.js';
import type { RunReport } from './run-report.js';
import type { ReportDeps } from './run-report.js';

/**
 * Everything a reconcile needs, built once per process (and cluster) by a composition root. `kube` is
 * the client of the cluster the KluctlDeployment lives in (status, finalizer, credential Secrets); the
 * rest of prepare's dependencies are the tools, Git and the clients of target clusters.
 */
export interface ReconcileDeps extends Omit<PrepareDeps, 'sops' | 'signal'>, Omit<ReportDeps, 'kube'> {
  readonly store: StateStore;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Identifies this worker in leases (each run adds its reconcile id). */
  readonly holder: string;
  /**
   * The state documents as this process last left them, by key: a warm host's next run of the same
   * deployment writes its lease without reading first (conditionally on the remembered ETag, so a
   * stale entry only costs a read). Default none: every run reads.
   */
  readonly stateVersions?: Map<string, JsonVersion<unknown>>;
  /** Drift detection on every full reconcile, as Kluctl always does; default true (off: benchmarks). */
  readonly driftDetection?: boolean;
  /**
   * Kluctl's result store in the deployment's cluster (Secrets in `kluctl-results`), where Kluctl's CLI
   * reads the results it prints; absent: results go to `store` only.
   */
  readonly kluctlResults?: KluctlResultStore;
}

/** One run, as the steps after the lease see it. */
export interface Run {
  readonly deps: ReconcileDeps;
  readonly kd: KluctlDeployment;
  readonly ref: ObjectRef;
  readonly reconcileId: string;
  readonly clusterId: string;
  readonly stateKey: string;
  /** The state document as this run last wrote it (updated by the memory write). */
  readonly state: { known: JsonVersion<ReconcileMemory> | undefined };
  readonly deadline: RunDeadline;
  readonly started: Date;
  readonly log: Logger;
  /** Events and metrics of the run. */
  readonly report: RunReport;
}
