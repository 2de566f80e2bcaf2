/**
 * What a reconcile tells beyond its status: Kubernetes events on the KluctlDeployment (events.ts) and
 * metric samples (reconcile-metrics.ts) sent to the host's sink (the runner's registry, or EMF lines in
 * a function). The orchestrator reports what happened at three points (a command finished, validation
 * finished, the reconcile ended); this module decides what that means for events and metrics.
 * Neither ever fails a reconcile.
 */
import type { CommandResultSummary, KluctlDeployment } from '../api/types.js';
import { errorMessage } from '../errors.js';
import type { Clock, KubeClient, Logger } from '../ports.js';
import { commandEvent, EventRecorder, reconcileEndEvent } from './events.js';
import type { MetricsSink } from './metrics.js';
import { commandSamples, reconcileSamples } from './reconcile-metrics.js';
import { READY, Reasons } from './status.js';
import type { StatusPatch } from './status-writer.js';

/** What a report needs from the reconcile's dependencies. */
export interface ReportDeps {
  /** Client of the KluctlDeployment's cluster (events are created there). */
  readonly kube: KubeClient;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Where metric samples go; default nowhere. */
  readonly metrics?: MetricsSink;
  /** Records the events; default one recorder per client (so repeats are counted), `false`: none. */
  readonly events?: EventRecorder | false;
  /**
   * Beyond Kluctl (`run --quiet-steady-state`): a scheduled reconcile that changed nothing (no
   * command ran, the same validate findings, the same Ready condition and drift message) records no
   * end event; together with the validate result not stored again (project-steps.ts), such a reconcile
   * writes only its status. Default false: Kluctl's event on every reconcile.
   */
  readonly quietSteadyState?: boolean;
}

const recorders = new WeakMap<KubeClient, EventRecorder>();

/** The shared recorder of a client. */
function recorderFor(deps: ReportDeps): EventRecorder | undefined {
  if (deps.events === false) return undefined;
  if (deps.events) return deps.events;
  let r = recorders.get(deps.kube);
  if (!r) recorders.set(deps.kube, (r = new EventRecorder(deps.kube, deps.clock, deps.logger)));
  return r;
}

/** How a reconcile ended, for {@link RunReport.finished}. */
export interface RunEnd {
  /** The status as written at the end. */
  readonly status: StatusPatch;
  readonly nextRunAt?: Date;
  /** The run served a reconcile request (`kluctl gitops reconcile`): its end event is always recorded. */
  readonly requested?: boolean;
}

/** Events and metrics of one reconcile. */
export class RunReport {
  private readonly recorder: EventRecorder | undefined;
  private deploy: { seconds: number; summary: CommandResultSummary } | undefined;
  private validateSeconds: number | undefined;
  /** Something this run did that a quiet steady state still reports: a command, new validate findings. */
  private changed = false;

  constructor(
    private readonly deps: ReportDeps,
    /** The object as the reconcile read it (its Ready reason names command events). */
    private readonly kd: KluctlDeployment,
    private readonly started: Date,
  ) {
    this.recorder = recorderFor(deps);
  }

  /**
   * A command's result was written (`command` as Kluctl names it: the deploy mode, `prune`, `diff`,
   * `delete`): its event, and its counts for the metrics. `seconds` marks the deploy of the reconcile.
   */
  async commandFinished(summary: CommandResultSummary, command: string, seconds?: number): Promise<void> {
    this.changed = true;
    if (seconds !== undefined) this.deploy = { seconds, summary };
    else this.send(commandSamples(this.kd, summary));
    await this.recorder?.record(this.kd, commandEvent(this.kd, summary, command));
  }

  /** Validation took `seconds` (its retries included); `stored`: its result was written. */
  validated(seconds: number, stored = true): void {
    this.validateSeconds = seconds;
    if (stored) this.changed = true;
  }

  /** The reconcile ended with `end.status` written: the end event and the run's metrics. */
  async finished(end: RunEnd): Promise<void> {
    try {
      await this.finish(end);
    } catch (err) {
      this.deps.logger.warn('reporting the reconcile failed', { error: errorMessage(err) });
    }
  }

  private async finish(end: RunEnd): Promise<void> {
    const now = this.deps.clock.now().getTime();
    const ready = end.status.conditions?.find((c) => c.type === READY);
    const failed = ready?.reason !== Reasons.succeeded;
    const prepareFailed = ready?.reason === Reasons.prepareFailed;
    this.send(
      reconcileSamples({
        kd: this.kd,
        ...(ready ? { ready } : {}),
        ...(end.status.lastDeployResult
          ? { lastDeployStart: end.status.lastDeployResult.commandInfo?.startTime }
          : {}),
        ...(this.deploy ? { deploy: this.deploy } : {}),
        ...(this.validateSeconds !== undefined ? { validateSeconds: this.validateSeconds } : {}),
        reconcileSeconds: (now - this.started.getTime()) / 1000,
      }),
    );
    if (this.deps.quietSteadyState && !end.requested && !this.changed && this.unchanged(end.status)) return;
    const event = reconcileEndEvent({
      reason: ready?.reason ?? 'warning',
      // Kluctl's event carries the error: the prepare error itself, else the Ready message.
      ...(failed
        ? { error: (prepareFailed ? end.status.lastPrepareError : undefined) ?? ready?.message ?? '' }
        : {}),
      elapsedMs: now - this.started.getTime(),
      nextRunInMs: end.nextRunAt ? end.nextRunAt.getTime() - now : 0,
    });
    await this.recorder?.record(this.kd, event);
  }

  /** Whether the status ends with the Ready condition and drift message the object had before. */
  private unchanged(status: StatusPatch): boolean {
    const before = this.kd.status;
    const ready = (conditions: StatusPatch['conditions']) => {
      const c = conditions?.find((x) => x.type === READY);
      return c ? `${c.status}/${c.reason}/${c.message}` : undefined;
    };
    return (
      ready(status.conditions) === ready(before?.conditions) &&
      (status.lastDriftDetectionResultMessage ?? undefined) === before?.lastDriftDetectionResultMessage
    );
  }

  /** The finalizer ran: the metrics say so (Kluctl records no event for it). */
  deleted(): void {
    const now = this.deps.clock.now().getTime();
    this.send(
      reconcileSamples({
        kd: this.kd,
        deleting: true,
        reconcileSeconds: (now - this.started.getTime()) / 1000,
      }),
    );
  }

  private send(samples: Parameters<MetricsSink['record']>[0]): void {
    try {
      this.deps.metrics?.record(samples);
    } catch (err) {
      this.deps.logger.warn('recording metrics failed', { error: errorMessage(err) });
    }
  }
}
