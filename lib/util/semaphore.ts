import { markOneOfAList, MultiError } from '../errors.js';

/** A counting semaphore for bounded parallelism (API requests, deployment items, kustomize builds). */
export class Semaphore {
  private available: number;
  private readonly waiters: (() => void)[] = [];

  constructor(readonly capacity: number) {
    this.available = capacity;
  }

  /** Waits for a free slot. */
  async acquire(): Promise<void> {
    if (this.available > 0) {
      this.available--;
      return;
    }
    await new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  /** Frees a slot, handing it to the oldest waiter. */
  release(): void {
    const next = this.waiters.shift();
    if (next) next();
    else this.available++;
  }

  /** Runs `fn` while holding a slot. */
  async run<T>(fn: () => Promise<T>): Promise<T> {
    await this.acquire();
    try {
      return await fn();
    } finally {
      this.release();
    }
  }
}

/** Maps `items` through `fn` with at most `limit` calls in flight, keeping the input order. */
export async function mapBounded<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const sem = new Semaphore(Math.max(1, limit));
  return Promise.all(items.map((item, i) => sem.run(() => fn(item, i))));
}

/**
 * Like {@link mapBounded}, but runs every item even when some fail, and then throws one
 * {@link MultiError} holding all failures in input order (Kluctl renders all items of a stage and
 * reports every failed one); a single failure is thrown as it is, marked as a list of one.
 */
export async function mapBoundedAll<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const settled = await mapBounded(items, limit, (item, i) =>
    fn(item, i).then(
      (value) => ({ ok: true as const, value }),
      (error: unknown) => ({ ok: false as const, error }),
    ),
  );
  const failures = settled.flatMap((s) => (s.ok ? [] : [s.error]));
  if (failures.length === 1) throw markOneOfAList(failures[0]);
  if (failures.length > 1) throw new MultiError(failures);
  return settled.map((s) => (s as { value: R }).value);
}
