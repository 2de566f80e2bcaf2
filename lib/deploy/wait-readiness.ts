/**
 * Waiting for readiness after an item was applied (kluctl-semantics §6.2): poll every object until the
 * rules of readiness.ts say ready, a hard error shows up, it disappears, or the timeout passes. Progress
 * says what it waits for and, every 10 s, that it still does.
 */
import type { Clock, KubeClient, ObjectRef, Progress } from '../ports.js';
import { silentProgress } from '../ports.js';
import { errorMessage } from '../errors.js';
import { refString } from './object-ref.js';
import { checkReadiness } from './readiness.js';

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

/** A failed wait: the object and why. */
export interface WaitError {
  readonly ref: ObjectRef;
  readonly message: string;
}

/** Waits for every ref (in parallel); returns the errors, empty when all became ready. */
export async function waitForReadiness(
  kube: KubeClient,
  refs: readonly ObjectRef[],
  opts: WaitOptions,
): Promise<WaitError[]> {
  const results = await Promise.all(refs.map((ref) => waitOne(kube, ref, opts)));
  return results.filter((e): e is WaitError => e !== undefined);
}

async function waitOne(kube: KubeClient, ref: ObjectRef, opts: WaitOptions): Promise<WaitError | undefined> {
  const progress = opts.progress ?? silentProgress;
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const start = opts.clock.now().getTime();
  let lastReport = start;
  let seen = false;
  let announced = false;
  for (;;) {
    if (opts.signal?.aborted)
      return { ref, message: `context cancelled while waiting for readiness of ${refString(ref)}` };
    try {
      const live = await kube.get(ref);
      if (!live) {
        if (seen) return { ref, message: `${refString(ref)} disappeared while waiting for its readiness` };
      } else {
        seen = true;
        const info = await kube.resolve(live.apiVersion, live.kind);
        const r = checkReadiness(live, { now: opts.clock.now(), statusExpected: info?.hasStatus });
        if (r.errors.length > 0) return { ref, message: r.errors.join('; ') };
        if (r.ready) return undefined;
      }
    } catch (err) {
      return { ref, message: errorMessage(err) };
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
    if (now - start >= opts.timeoutMs)
      return { ref, message: `timed out while waiting for readiness of ${refString(ref)}` };
    await sleep(opts.pollMs ?? 500);
  }
}
