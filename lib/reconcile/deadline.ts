/**
 * The deadline of one reconcile. Work stops at the earlier of two times:
 * - `spec.timeout` after the start (else deployInterval, else interval; at least 30 s): Kluctl's
 *   controller runs prepare, deploy and validate under a context with that timeout (calcTimeout in
 *   pkg/controllers/kluctldeployment_controller.go), so a readiness wait ends with "context cancelled
 *   while waiting for readiness of ..." instead of running its full 10 minutes;
 * - the host's deadline: a function's remaining time less the margin it needs to write status and
 *   release the lease, so it is never killed before it said why it stopped.
 * Long steps take {@link RunDeadline.signal}; the orchestrator checks {@link RunDeadline.reached}
 * between steps and, once it is, skips the rest and reports the step that was cut short.
 */
import { formatDuration, parseDuration } from '../api/durations.js';
import { effectiveTimeout, MIN_TIMEOUT_MS } from '../api/spec-defaults.js';
import type { KluctlDeploymentSpec } from '../api/types.js';
import { KsError } from '../errors.js';
import type { Clock } from '../ports.js';

/** What set the deadline: the deployment's timeout, or the time the host gave this run. */
export type DeadlineCause = 'timeout' | 'deadline';

/** The steps a deadline can cut short; each maps to Kluctl's failure reason of that step. */
export type DeadlineStep = 'prepare' | 'deploy' | 'validate';

/** A step that was cut short by the deadline. */
export class DeadlineError extends KsError {
  readonly step: DeadlineStep;
  /** What set the deadline (not `cause`, which Error keeps for the underlying error). */
  readonly by: DeadlineCause;
  constructor(step: DeadlineStep, by: DeadlineCause, why: string) {
    // Retrying the same run cannot help; the next run starts over with a fresh deadline.
    super('Timeout', `${step} stopped: ${why}`);
    this.step = step;
    this.by = by;
  }
}

/** The deadline of one run; {@link dispose} it when the run ends. */
export interface RunDeadline {
  /** When work stops. */
  readonly at: Date;
  /** What set the deadline. */
  readonly by: DeadlineCause;
  /** Why the run stops, for messages: `reached the timeout of 30s (spec.timeout)`. */
  readonly why: string;
  /** Aborted at {@link at}; long steps (render, readiness waits) end early on it. */
  readonly signal: AbortSignal;
  /** Whether the deadline has passed (aborting the signal if the timer has not fired yet). */
  reached(): boolean;
  /** The error a step reports when the deadline cut it short. */
  error(step: DeadlineStep): DeadlineError;
  /** Stops the timer. */
  dispose(): void;
}

/** Inputs of {@link startRunDeadline}. */
export interface RunDeadlineInput {
  readonly clock: Clock;
  readonly started: Date;
  readonly spec: Pick<KluctlDeploymentSpec, 'timeout' | 'deployInterval' | 'interval'>;
  /** The host's deadline (absolute); absent when the host has no time limit (the local runner). */
  readonly hostDeadline?: Date;
}

/** Starts the deadline of a run: the earlier of the spec's timeout and the host's deadline. */
export function startRunDeadline(input: RunDeadlineInput): RunDeadline {
  const { clock, started, spec, hostDeadline } = input;
  const timeoutMs = effectiveTimeout(spec);
  const timeoutAt = new Date(started.getTime() + timeoutMs);
  const byHost = hostDeadline !== undefined && hostDeadline.getTime() < timeoutAt.getTime();
  const at = byHost ? hostDeadline : timeoutAt;
  const by: DeadlineCause = byHost ? 'deadline' : 'timeout';
  const why = byHost
    ? `reached the deadline of this run (${at.toISOString()}, the time its host gave it less the time ` +
      'to write status); the next run continues'
    : `reached the timeout of ${formatDuration(timeoutMs)} (${timeoutSource(spec)})`;
  const controller = new AbortController();
  const abort = (): void => {
    if (!controller.signal.aborted) controller.abort(new KsError('Timeout', why));
  };
  const timer = setTimeout(abort, Math.max(0, at.getTime() - clock.now().getTime()));
  // A pending deadline must not keep a finished process alive.
  timer.unref();
  return {
    at,
    by,
    why,
    signal: controller.signal,
    reached() {
      if (!controller.signal.aborted && clock.now().getTime() >= at.getTime()) abort();
      return controller.signal.aborted;
    },
    error: (step) => new DeadlineError(step, by, why),
    dispose: () => clearTimeout(timer),
  };
}

/** Which field the timeout came from, as Kluctl's calcTimeout picks it, and whether the floor applied. */
function timeoutSource(spec: RunDeadlineInput['spec']): string {
  const field =
    spec.timeout !== undefined
      ? 'spec.timeout'
      : spec.deployInterval !== undefined
        ? 'spec.deployInterval'
        : 'spec.interval';
  const raw = parseDuration(spec.timeout ?? spec.deployInterval ?? spec.interval);
  return raw < MIN_TIMEOUT_MS
    ? `${field}, raised to the minimum of ${formatDuration(MIN_TIMEOUT_MS)}`
    : field;
}
