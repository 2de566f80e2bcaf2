/** The dependencies of the reconcile function, apart from its handler and its composition root. */
import type { ReconcileDeps, ReconcileOutcome } from '../../lib/reconcile/reconcile.js';
import type { ClusterConnection } from '../../lib/serverless/cluster-clients.js';
import type { ReconcileMessage } from '../../lib/serverless/protocol.js';

/** Time kept back from the function's remaining time for writing status and releasing the lease. */
export const DEFAULT_SAFETY_MARGIN_MS = 20_000;

/** The dependencies of the reconcile function. */
export interface ReconcileFunctionDeps {
  /** Everything a reconcile needs but the clients of its cluster; shared by all clusters. */
  readonly shared: Omit<ReconcileDeps, 'kube' | 'clusters'>;
  /** The clients of each registered cluster (lib/serverless/cluster-clients.ts). */
  readonly clusters: { forCluster(clusterId: string): Promise<ClusterConnection | undefined> };
  /**
   * Called after each reconcile with its outcome, e.g. to record `nextRunAt` in the schedule index;
   * when it throws, the message is redelivered so the next run is not lost. Default: nothing.
   */
  readonly onReconciled?: (message: ReconcileMessage, outcome: ReconcileOutcome) => Promise<void> | void;
  /** Default {@link DEFAULT_SAFETY_MARGIN_MS}. */
  readonly safetyMarginMs?: number;
}
