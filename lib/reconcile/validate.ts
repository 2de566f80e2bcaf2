/**
 * Validation after a deploy (kluctl-semantics §5.7, §6.4): the controller's entry point to the
 * validate command's logic (lib/deploy/commands/validate-command.ts).
 *
 * Beyond Kluctl: a validate right after a deploy that fails only because workloads are not ready yet
 * (rollouts take seconds, the validate runs a moment after the apply) is repeated with backoff until
 * it passes, something else fails, or the time allowed is over (`retryInterval`, at most half the
 * time left before the run's deadline). Kluctl's controller validates once and keeps `Ready=False` until the next validate, an
 * interval later, although the workloads were ready seconds after the deploy.
 */
import type { ProjectKey, TargetKey, ValidateResult } from '../api/types.js';
import type { Clock, KubeClient, KubeObject } from '../ports.js';
import { validateOnce, validateProject } from '../deploy/commands/validate-command.js';
import { backoffDelayMs, sleepUnlessAborted } from '../util/backoff.js';

/** Inputs of {@link validateObjects}. */
export interface ValidateInput {
  readonly objects: readonly KubeObject[];
  readonly projectKey: ProjectKey;
  readonly targetKey: TargetKey;
  readonly reconcileId: string;
  readonly renderedObjectsHash?: string;
  readonly kluctlDeployment?: { name: string; namespace: string; clusterId: string };
  /** Lists live objects by discriminator first; default one GET per object. */
  readonly discriminator?: string;
}

/** Checks the live state of the rendered objects. */
export function validateObjects(
  kube: KubeClient,
  clock: Clock,
  input: ValidateInput,
): Promise<ValidateResult> {
  return validateProject(kube, input, clock);
}

/** Where a readiness wait stands, for the status message. */
export interface ReadinessWait {
  /** The attempt that just failed (1 for the first validate). */
  readonly attempt: number;
  /** Objects not ready in that attempt. */
  readonly notReady: number;
  /** Delay before the next attempt. */
  readonly nextInMs: number;
}

/** Options of {@link validateUntilReady}. */
export interface ReadinessRetryOptions {
  /** Stop retrying once this much time has passed since the first attempt (0: one attempt). */
  readonly limitMs: number;
  /** The run's deadline: no retry starts after it. */
  readonly signal?: AbortSignal;
  /** Called before each wait (the reconcile writes it to status). */
  readonly onWait?: (w: ReadinessWait) => Promise<void> | void;
  /** First delay, doubled per attempt up to {@link maxDelayMs}; default 1 s. */
  readonly baseDelayMs?: number;
  /** Default 30 s. */
  readonly maxDelayMs?: number;
  /** Waits between attempts; default a timer that the signal ends early. */
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/**
 * Validates, and while the only errors are objects not ready yet, validates again after a growing
 * delay (1 s, 2 s, 4 s, ... at most 30 s) as long as the next attempt starts within `limitMs` and the
 * signal has not fired. Returns the last result.
 */
export async function validateUntilReady(
  kube: KubeClient,
  clock: Clock,
  input: ValidateInput,
  opts: ReadinessRetryOptions,
): Promise<ValidateResult> {
  const start = clock.now().getTime();
  const sleep = opts.sleep ?? sleepUnlessAborted;
  for (let attempt = 1; ; attempt++) {
    const { result, onlyNotReady } = await validateOnce(kube, input, clock);
    if (!onlyNotReady || opts.signal?.aborted) return result;
    // Deterministic delays (random 1): the wait is the deployment's own, nothing to spread out.
    const delay = backoffDelayMs(attempt, {
      baseMs: opts.baseDelayMs ?? 1000,
      maxMs: opts.maxDelayMs ?? 30_000,
      random: () => 1,
    });
    if (clock.now().getTime() + delay - start > opts.limitMs) return result;
    const notReady = new Set((result.errors ?? []).map((e) => JSON.stringify(e.ref))).size;
    await opts.onWait?.({ attempt, notReady, nextInMs: delay });
    await sleep(delay, opts.signal);
    if (opts.signal?.aborted) return result;
  }
}

/** What decides how long a validate may be repeated, for {@link readinessRetryLimit}. */
export interface RetryLimitInput {
  /** This run deployed for real (not a dry run). */
  readonly deployed: boolean;
  readonly retryIntervalMs: number;
  /** Time left until the run's deadline. */
  readonly remainingMs: number;
}

/**
 * How long validation may be repeated: only right after a real deploy, for `retryInterval` but at
 * most half the time the run has left, so that drift detection (Kluctl's next step) still runs.
 */
export function readinessRetryLimit(i: RetryLimitInput): number {
  if (!i.deployed) return 0;
  return Math.max(0, Math.min(i.retryIntervalMs, i.remainingMs / 2));
}

/** The Ready message while waiting: `Reconciliation in progress: 2 objects not ready yet, ...`. */
export function readinessWaitMessage(w: ReadinessWait): string {
  const objects = w.notReady === 1 ? '1 object' : `${w.notReady} objects`;
  const secs = Math.round(w.nextInMs / 1000);
  return `Reconciliation in progress: ${objects} not ready yet, validating again in ${secs}s (attempt ${w.attempt + 1})`;
}
