/** Exponential backoff with jitter, for retry loops that must not hammer a recovering service. */

/** Options of {@link backoffDelayMs}. */
export interface BackoffOptions {
  /** Delay of the first retry before jitter; default 500 ms. */
  readonly baseMs?: number;
  /** Upper bound of any delay; default 30 s. */
  readonly maxMs?: number;
  /** Source of randomness in [0, 1); default Math.random (tests pass a fixed one). */
  readonly random?: () => number;
}

/**
 * The delay before retry number `attempt` (1 for the first retry): `base * 2^(attempt-1)` capped at
 * `max`, of which a random half is taken away ("equal jitter"), so that many clients that failed
 * together do not retry together, yet no retry comes sooner than half the nominal delay.
 */
export function backoffDelayMs(attempt: number, opts: BackoffOptions = {}): number {
  const base = opts.baseMs ?? 500;
  const max = opts.maxMs ?? 30_000;
  const random = opts.random ?? Math.random;
  const nominal = Math.min(max, base * 2 ** Math.max(0, attempt - 1));
  return Math.round(nominal / 2 + random() * (nominal / 2));
}

/** Resolves after `ms`, or at once when `signal` aborts (it never rejects). */
export function sleepUnlessAborted(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
