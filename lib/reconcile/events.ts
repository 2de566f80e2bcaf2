/**
 * Kubernetes events on a KluctlDeployment, as Kluctl's controller records them (its `event` helper in
 * pkg/controllers/kluctldeployment_controller_utils.go, through client-go's core/v1 event recorder with
 * source component `kluctl-controller`). Checked against `kluctl controller run` by
 * test/parity/controller-drift.test.ts. Kluctl records two kinds:
 * - after each command whose result it writes (the deploy of a reconcile, prune and diff requests,
 *   the finalizer's delete): `Normal`, or `Warning` when the command had errors; the message is the
 *   command's outcome (`full-deploy succeeded. 4 new objects.`); the reason is the Ready reason the
 *   object had when the reconcile read it (`info`/`warning` before it had one);
 * - at the end of a reconcile, always `Warning` (Kluctl passes `warning=true` for both outcomes):
 *   `Reconciliation finished in <d>, next run in <d>` with the annotation
 *   `gitops.kluctl.io/commit_status: update`, or on failure the error (the Ready message, the full
 *   prepare error for a failed prepare); the reason is the final Ready reason.
 * Like client-go's recorder (event-correlator.ts), a repeat of the same event raises the first one's
 * `count`, similar events are combined and a flood of them is dropped.
 */
import { formatDuration } from '../api/durations.js';
import { GITOPS_GROUP, GITOPS_VERSION, KD_KIND } from '../api/constants.js';
import { metaTime } from '../api/meta-time.js';
import type { CommandResultSummary, KluctlDeployment } from '../api/types.js';
import { errorMessage, KubeApiError } from '../errors.js';
import type { Clock, KubeClient, Logger } from '../ports.js';
import { EventCorrelator } from './event-correlator.js';
import { deployResultMessage, READY } from './status.js';

/** Kluctl's controller name: the events' source component (its `--controller-name` default). */
export const EVENT_COMPONENT = 'kluctl-controller';

/** One event to record on a KluctlDeployment. */
export interface DeploymentEvent {
  readonly type: 'Normal' | 'Warning';
  readonly reason: string;
  readonly message: string;
  readonly annotations?: Readonly<Record<string, string>>;
}

/** The reason of a command event: the Ready reason the deployment had when the reconcile read it. */
export function startReason(kd: KluctlDeployment, warning: boolean): string {
  const ready = kd.status?.conditions?.find((c) => c.type === READY);
  return ready?.reason ?? (warning ? 'warning' : 'info');
}

/** The event after a command whose result is written, e.g. `full-deploy succeeded. 4 new objects.` */
export function commandEvent(
  kd: KluctlDeployment,
  summary: CommandResultSummary,
  command: string,
): DeploymentEvent {
  const warning = (summary.errors?.length ?? 0) > 0;
  return {
    type: warning ? 'Warning' : 'Normal',
    reason: startReason(kd, warning),
    message: deployResultMessage(summary, command),
  };
}

/** How a reconcile ended, for {@link reconcileEndEvent}. */
export interface ReconcileEnd {
  /** The final Ready reason. */
  readonly reason: string;
  /** Set when the reconcile failed: Kluctl's error text. */
  readonly error?: string;
  readonly elapsedMs: number;
  /** Time until the next reconcile. */
  readonly nextRunInMs: number;
}

/** The event at the end of a reconcile. */
export function reconcileEndEvent(end: ReconcileEnd): DeploymentEvent {
  if (end.error !== undefined) return { type: 'Warning', reason: end.reason, message: end.error };
  return {
    type: 'Warning',
    reason: end.reason,
    message: `Reconciliation finished in ${formatDuration(end.elapsedMs)}, next run in ${formatDuration(Math.max(0, end.nextRunInMs))}`,
    annotations: { [`${GITOPS_GROUP}/commit_status`]: 'update' },
  };
}

/**
 * Records events on KluctlDeployments through the cluster's KubeClient: created as core/v1 Events
 * named `<object>.<hex nanoseconds>` like client-go names them, correlated as client-go's recorder
 * does it for Kluctl (event-correlator.ts: repeats counted, similar ones combined, floods dropped).
 * Recording never fails a reconcile: errors are logged (an identity without `create` on events loses
 * only events).
 */
export class EventRecorder {
  private readonly correlator: EventCorrelator;
  private seq = 0;

  constructor(
    private readonly kube: KubeClient,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly component = EVENT_COMPONENT,
  ) {
    this.correlator = new EventCorrelator(clock);
  }

  /** Records `e` on `kd`. */
  async record(kd: KluctlDeployment, e: DeploymentEvent): Promise<void> {
    const namespace = kd.metadata.namespace ?? 'default';
    const object = JSON.stringify([namespace, kd.metadata.name, kd.metadata.uid]);
    const c = this.correlator.correlate({ object, ...e }, () => this.eventName(kd.metadata.name));
    if (c.action === 'skip') return;
    const now = metaTime(this.clock.now());
    try {
      if (c.action === 'patch' && (await this.bump(namespace, c, now))) return;
      // Like client-go, a combined event carries no annotations.
      const annotations = e.annotations && !c.aggregated ? { annotations: { ...e.annotations } } : {};
      await this.kube.create(
        {
          apiVersion: 'v1',
          kind: 'Event',
          metadata: { name: c.name, namespace, ...annotations },
          involvedObject: {
            apiVersion: `${GITOPS_GROUP}/${GITOPS_VERSION}`,
            kind: KD_KIND,
            name: kd.metadata.name,
            namespace,
            ...(kd.metadata.uid ? { uid: kd.metadata.uid } : {}),
            ...(kd.metadata.resourceVersion ? { resourceVersion: kd.metadata.resourceVersion } : {}),
          },
          reason: e.reason,
          message: c.message,
          type: e.type,
          firstTimestamp: now,
          lastTimestamp: now,
          count: 1,
          source: { component: this.component },
          reportingComponent: this.component,
          reportingInstance: '',
        },
        { fieldManager: this.component },
      );
    } catch (err) {
      this.logger.warn('recording an event failed', { reason: e.reason, error: errorMessage(err) });
    }
  }

  /** Raises the count of an event created before; false when it is gone (events expire). */
  private async bump(
    namespace: string,
    c: { name: string; count: number; message: string },
    now: string,
  ): Promise<boolean> {
    try {
      await this.kube.mergePatch(
        { group: '', version: 'v1', kind: 'Event', name: c.name, namespace },
        { count: c.count, lastTimestamp: now, message: c.message },
        { fieldManager: this.component },
      );
      return true;
    } catch (err) {
      if (err instanceof KubeApiError && err.status === 404) {
        this.correlator.lost(c.name);
        return false;
      }
      throw err;
    }
  }

  /** `<object>.<unix nanoseconds in hex>`, unique within this process. */
  private eventName(object: string): string {
    this.seq = (this.seq + 1) % 1_000_000;
    const nanos = BigInt(this.clock.now().getTime()) * 1_000_000n + BigInt(this.seq);
    return `${object}.${nanos.toString(16)}`;
  }
}
