/**
 * Waiting for readiness after an item was applied (kluctl-semantics §6.2): poll every object until the
 * rules of check-readiness.ts say ready, a hard error shows up, it disappears, or the timeout passes. Progress
 * says what it waits for and, every 10 s, that it still does.
 */
import type { Clock, KubeClient, ObjectRef, Progress } from '../ports.js';
import { silentProgress } from '../ports.js';
import { errorMessage } from '../errors.js';
import { kluctlRefString, refString } from './object-ref.js';
import { checkReadiness } from './check-readiness.js';

/** Options of {@link waitForReadiness}. */
export interface WaitOptions {
  readonly clock: Clock;
  /** Per-object timeout; Kluctl's CLI default is 5m, its controller's 10m. */
  readonly timeoutMs: number;
  /** Poll interval; default 500 ms as Kluctl. */
  readonly pollMs?: number;
  readonly progress?: Progress;
  readonly signal?: AbortSignal;
  /** Injected for tests; default setTimeout. */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** A finding of a wait: the object and what happened. */
export interface WaitError {
  readonly ref: ObjectRef;
  readonly message: string;
}

/** What the waits found: errors (the object did not get ready) and warnings. */
export interface WaitOutcome {
  readonly errors: WaitError[];
  readonly warnings: WaitError[];
}

/**
 * Waits for every ref (in parallel). As Kluctl, a wait ends with an error when the object reports an
 * error, and then every finding of that check is reported (its "not ready" reasons as warnings); a
 * ready object reports its warnings.
 */
export async function waitForReadiness(
  kube: KubeClient,
  refs: readonly ObjectRef[],
  opts: WaitOptions,
): Promise<WaitOutcome> {
  const outcomes = await Promise.all(refs.map((ref) => waitOne(kube, ref, opts)));
  return { errors: outcomes.flatMap((o) => o.errors), warnings: outcomes.flatMap((o) => o.warnings) };
}

async function waitOne(kube: KubeClient, ref: ObjectRef, opts: WaitOptions): Promise<WaitOutcome> {
  const fail = (message: string): WaitOutcome => ({ errors: [{ ref, message }], warnings: [] });
  const label = kluctlRefString(ref);
  const progress = opts.progress ?? silentProgress;
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const start = opts.clock.now().getTime();
  let lastReport = start;
  let seen = false;
  let announced = false;
  for (;;) {
    if (opts.signal?.aborted) return fail(`context cancelled while waiting for readiness of ${label}`);
    try {
      const live = await kube.get(ref);
      if (!live) {
        if (seen) return fail(`${label} disappeared while waiting for it to become ready`);
      } else {
        seen = true;
        const info = await kube.resolve(live.apiVersion, live.kind);
        const r = checkReadiness(live, { now: opts.clock.now(), statusExpected: info?.hasStatus });
        if (r.ready || r.errors.length > 0) {
          // Kluctl's wait does not treat "not ready" as an error: those reasons become warnings.
          const at = (errors: boolean) =>
            r.findings
              .filter((f) => (f.kind === 'error') === errors)
              .map((f) => ({ ref, message: f.message }));
          return { errors: at(true), warnings: at(false) };
        }
      }
    } catch (err) {
      return fail(errorMessage(err));
    }
    const now = opts.clock.now().getTime();
    if (!announced) {
      progress.step(`Waiting for ${refString(ref)} to get ready...`);
      announced = true;
    } else if (now - lastReport >= 10_000) {
      progress.step(
        `Still waiting for ${refString(ref)} to get ready (${Math.round((now - start) / 1000)}s)`,
      );
      lastReport = now;
    }
    if (now - start >= opts.timeoutMs) return fail(`timed out while waiting for readiness of ${label}`);
    await sleep(opts.pollMs ?? 500);
  }
}
