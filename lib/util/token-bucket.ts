/**
 * A token bucket for client-side request rate limiting, as client-go's QPS/burst limiter: up to `burst`
 * requests pass at once, after that `qps` per second. Waiters are served in arrival order.
 */

/** Options of {@link TokenBucket}. */
export interface TokenBucketOptions {
  /** Sustained requests per second; 0 or less disables the limit. */
  readonly qps: number;
  /** Requests allowed at once after an idle period; at least 1. */
  readonly burst: number;
  /** Injected for tests; default `performance.now()`. */
  readonly now?: () => number;
  /** Injected for tests; default setTimeout. */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** Client-side QPS/burst limiter. */
export class TokenBucket {
  private tokens: number;
  private last: number;
  private tail: Promise<void> = Promise.resolve();
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly opts: TokenBucketOptions) {
    this.now = opts.now ?? (() => performance.now());
    this.sleep = opts.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    this.tokens = Math.max(1, opts.burst);
    this.last = this.now();
  }

  /** Resolves when the caller may send one request. */
  take(): Promise<void> {
    if (this.opts.qps <= 0) return Promise.resolve();
    // Chain the waiters so that they leave in order and each sees the bucket its predecessor left.
    const turn = this.tail.then(() => this.takeOne());
    this.tail = turn;
    return turn;
  }

  private async takeOne(): Promise<void> {
    this.refill();
    if (this.tokens < 1) {
      await this.sleep(((1 - this.tokens) / this.opts.qps) * 1000);
      this.refill();
    }
    this.tokens -= 1;
  }

  private refill(): void {
    const t = this.now();
    const burst = Math.max(1, this.opts.burst);
    this.tokens = Math.min(burst, this.tokens + ((t - this.last) / 1000) * this.opts.qps);
    this.last = t;
  }
}
