/**
 * The reconcile queue in process, for the local runner and tests: the same contract as the SQS FIFO
 * queue (protocol.ts `ReconcileQueue`). One ordered group per deployment (`messageGroupId`): a group's
 * next message is handed out only after the one before it was settled, while different groups run in
 * parallel. Messages with a deduplication id seen within the window are dropped, as SQS does. A failed
 * message goes back to the head of its group and is offered again after a delay (SQS's visibility
 * timeout); after `maxReceives` deliveries it moves to {@link MemoryReconcileQueue.deadLetters}.
 */
import type { Clock } from '../ports.js';
import { systemClock } from '../ports.js';
import { messageGroupId } from './protocol.js';
import type { ReconcileMessage, ReconcileQueue } from './protocol.js';

/** Options of {@link MemoryReconcileQueue}; every one has a default. */
export interface MemoryQueueOptions {
  /** Default: the system clock. */
  readonly clock?: Clock;
  /** How long a deduplication id is remembered; default 5 minutes (SQS FIFO's window). */
  readonly dedupWindowMs?: number;
  /** Deliveries before a message is dead-lettered; default 5. */
  readonly maxReceives?: number;
  /** Delay before a failed message is offered again; default 1000 ms. */
  readonly retryDelayMs?: number;
}

/** One delivery of a message, settled with {@link MemoryReconcileQueue.settle}. */
export interface Delivery {
  readonly message: ReconcileMessage;
  /** 1 on the first delivery. */
  readonly receiveCount: number;
}

interface Group {
  readonly messages: { message: ReconcileMessage; receives: number }[];
  inFlight: boolean;
  /** Epoch ms before which the head is not offered (after a failure). */
  notBefore: number;
}

/** An in-process FIFO reconcile queue. */
export class MemoryReconcileQueue implements ReconcileQueue {
  private readonly groups = new Map<string, Group>();
  private readonly seen = new Map<string, number>();
  private readonly dead: ReconcileMessage[] = [];
  private readonly clock: Clock;
  private wake: (() => void) | undefined;

  constructor(private readonly opts: MemoryQueueOptions = {}) {
    this.clock = opts.clock ?? systemClock;
  }

  /** Adds messages at the tail of their groups, dropping repeated deduplication ids. */
  enqueue(messages: readonly ReconcileMessage[]): Promise<void> {
    const now = this.clock.now().getTime();
    for (const [id, expires] of this.seen) if (expires <= now) this.seen.delete(id);
    for (const message of messages) {
      if (message.deduplicationId !== undefined) {
        if (this.seen.has(message.deduplicationId)) continue;
        this.seen.set(message.deduplicationId, now + (this.opts.dedupWindowMs ?? 300_000));
      }
      const key = messageGroupId(message);
      let group = this.groups.get(key);
      if (!group) this.groups.set(key, (group = { messages: [], inFlight: false, notBefore: 0 }));
      group.messages.push({ message, receives: 0 });
    }
    this.notify();
    return Promise.resolve();
  }

  /** The next message of a group with nothing in flight (oldest group first), or undefined. */
  receive(): Delivery | undefined {
    const now = this.clock.now().getTime();
    for (const [key, group] of this.groups) {
      const head = group.messages[0];
      if (!head || group.inFlight || group.notBefore > now) continue;
      group.inFlight = true;
      head.receives++;
      // Round robin: the group goes to the back, so one busy deployment cannot starve the others.
      this.groups.delete(key);
      this.groups.set(key, group);
      return { message: head.message, receiveCount: head.receives };
    }
    return undefined;
  }

  /** Ends a delivery: `ok` removes the message; otherwise it is offered again later or dead-lettered. */
  settle(delivery: Delivery, ok: boolean): void {
    const key = messageGroupId(delivery.message);
    const group = this.groups.get(key);
    if (!group?.inFlight) return;
    group.inFlight = false;
    const head = group.messages[0]!;
    if (ok || head.receives >= (this.opts.maxReceives ?? 5)) {
      group.messages.shift();
      if (!ok) this.dead.push(head.message);
    } else {
      group.notBefore = this.clock.now().getTime() + (this.opts.retryDelayMs ?? 1000);
    }
    if (group.messages.length === 0) this.groups.delete(key);
    this.notify();
  }

  /** Messages waiting or in flight. */
  get size(): number {
    let n = 0;
    for (const g of this.groups.values()) n += g.messages.length;
    return n;
  }

  /** Messages that failed `maxReceives` times. */
  get deadLetters(): readonly ReconcileMessage[] {
    return this.dead;
  }

  /**
   * Hands messages to `handler` (at most `concurrency` at once, one per group) until `signal` aborts,
   * then waits for the running ones. A handler that throws or returns false fails its message.
   */
  async consume(
    handler: (message: ReconcileMessage, delivery: Delivery) => Promise<boolean | void>,
    opts: { readonly signal: AbortSignal; readonly concurrency?: number },
  ): Promise<void> {
    const running = new Set<Promise<void>>();
    const limit = opts.concurrency ?? 4;
    while (!opts.signal.aborted) {
      const delivery = running.size < limit ? this.receive() : undefined;
      if (!delivery) {
        await this.idle(opts.signal);
        continue;
      }
      const run = handler(delivery.message, delivery)
        .then(
          (r) => r !== false,
          () => false,
        )
        .then((ok) => this.settle(delivery, ok))
        .finally(() => running.delete(run));
      running.add(run);
    }
    await Promise.all(running);
  }

  /** Resolves on the next enqueue or settle, when a delayed group may be ready, or on abort. */
  private idle(signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const now = this.clock.now().getTime();
      const delays = [...this.groups.values()].filter((g) => g.notBefore > now).map((g) => g.notBefore - now);
      const timer = delays.length > 0 ? setTimeout(done, Math.min(...delays)) : undefined;
      const prev = this.wake;
      function done(): void {
        if (timer) clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      }
      this.wake = () => {
        prev?.();
        done();
      };
      signal.addEventListener('abort', done, { once: true });
    });
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}
