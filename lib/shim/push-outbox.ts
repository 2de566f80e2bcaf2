/**
 * The shim's outbox: changes wait here, one entry per object (the latest state wins), and go out as
 * signed ShimPushes after a short batching delay. A failed push keeps its entries (unless a newer
 * change of the same object arrived meanwhile) and is retried with exponential backoff and jitter;
 * once the endpoint answers again, a resync follows, so the receiver ends up with the cluster's state
 * however long it was away. Nothing is written to disk: a restarted shim starts with a resync.
 */
import { errorMessage } from '../errors.js';
import { type Clock, type IngestEndpoint, type Logger, silentLogger, systemClock } from '../ports.js';
import { MAX_PUSH_BYTES, type MirroredDeployment, SHIM_HEADERS, signPush } from '../serverless/protocol.js';
import { backoffDelayMs, type BackoffOptions } from '../util/backoff.js';
import { deploymentKey } from './mirror.js';
import { type PushBody, splitPushes } from './push-batches.js';

/** Options of {@link PushOutbox}. */
export interface PushOutboxOptions {
  readonly clusterId: string;
  /** The HMAC key shared with ingest; used for signing only, never logged. */
  readonly key: Uint8Array;
  readonly endpoint: IngestEndpoint;
  /** The complete current list for a resync; undefined while it is not known (watches not synced). */
  readonly resyncSource: () => readonly MirroredDeployment[] | undefined;
  /** Default: silent. */
  readonly logger?: Logger;
  /** Time of the signatures; default the system clock. */
  readonly clock?: Clock;
  /** How long the first change waits for others to join its push; default 200 ms. */
  readonly batchDelayMs?: number;
  /** Retry delays after failed pushes; default 500 ms doubling to 30 s, with jitter. */
  readonly backoff?: BackoffOptions;
  /** Largest body; default MAX_PUSH_BYTES. */
  readonly maxPushBytes?: number;
}

/** What the outbox is doing, for /healthz and tests. */
export interface OutboxState {
  /** Objects waiting to be pushed (a pending resync not counted). */
  readonly pendingObjects: number;
  readonly resyncPending: boolean;
  /** Failed attempts in a row (0 when the last attempt worked). */
  readonly failures: number;
  readonly pushesSent: number;
  readonly lastSuccessAt?: string;
}

interface Entry {
  readonly kind: 'upsert' | 'delete';
  readonly object: MirroredDeployment;
}

/** One attempt: the bodies to send in order and everything they took from the outbox. */
interface Batch {
  readonly pushes: readonly PushBody[];
  readonly entries: ReadonlyMap<string, Entry>;
  readonly resync: boolean;
}

/** Coalesces, batches, signs and sends shim pushes, retrying until they are accepted. */
export class PushOutbox {
  private readonly pending = new Map<string, Entry>();
  private resyncPending = false;
  private timer: NodeJS.Timeout | undefined;
  private sending: Promise<void> | undefined;
  private failures = 0;
  private pushesSent = 0;
  private lastSuccessAt: string | undefined;
  private stopped = false;
  private readonly log: Logger;
  private readonly clock: Clock;

  constructor(private readonly opts: PushOutboxOptions) {
    this.log = opts.logger ?? silentLogger;
    this.clock = opts.clock ?? systemClock;
  }

  /** Queues the new state of a created or changed object. */
  upsert(object: MirroredDeployment): void {
    this.pending.set(deploymentKey(object), { kind: 'upsert', object });
    this.schedule();
  }

  /** Queues the removal of an object that is gone from the cluster. */
  remove(object: MirroredDeployment): void {
    this.pending.set(deploymentKey(object), { kind: 'delete', object });
    this.schedule();
  }

  /** Queues a resync; it is sent once `resyncSource` returns the complete list. */
  requestResync(): void {
    this.resyncPending = true;
    this.schedule();
  }

  /** Tells the outbox that `resyncSource` may now be complete. */
  kick(): void {
    if (this.pending.size || (this.resyncPending && this.opts.resyncSource())) this.schedule();
  }

  /** The outbox's current state. */
  state(): OutboxState {
    return {
      pendingObjects: this.pending.size,
      resyncPending: this.resyncPending,
      failures: this.failures,
      pushesSent: this.pushesSent,
      ...(this.lastSuccessAt ? { lastSuccessAt: this.lastSuccessAt } : {}),
    };
  }

  /** Sends what is pending now, without waiting for the batching delay or a backoff (shutdown). */
  async flushNow(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.sending;
    await this.flush();
  }

  /** Stops sending; pending changes are dropped (the next start resyncs). */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Arms the send timer, unless it is armed (a backoff is not shortened) or a send is running. */
  private schedule(delayMs = this.opts.batchDelayMs ?? 200): void {
    if (this.stopped || this.timer || this.sending) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, delayMs);
  }

  private flush(): Promise<void> {
    this.sending ??= this.sendLoop().then((retryInMs) => {
      this.sending = undefined;
      if (retryInMs !== undefined) this.schedule(retryInMs);
      // Changes that arrived during the last send, or a resync that became possible.
      else this.kick();
    });
    return this.sending;
  }

  /** Sends batches until the outbox is empty; returns the retry delay when a push failed. */
  private async sendLoop(): Promise<number | undefined> {
    for (let batch = this.take(); batch && !this.stopped; batch = this.take()) {
      const error = await this.sendAll(batch.pushes);
      if (error !== undefined) {
        this.restore(batch);
        this.failures++;
        const retryInMs = backoffDelayMs(this.failures, this.opts.backoff);
        this.log.warn('push to ingest failed; will retry', {
          error,
          attempt: this.failures,
          retryInMs,
          pendingObjects: this.pending.size,
        });
        return retryInMs;
      }
      if (this.failures > 0) {
        this.log.info('ingest accepts pushes again; resyncing', { failedAttempts: this.failures });
        this.failures = 0;
        this.resyncPending = true;
      }
    }
    return undefined;
  }

  /** Takes everything that can go now out of the outbox; undefined when nothing can. */
  private take(): Batch | undefined {
    const resyncObjects = this.resyncPending ? this.opts.resyncSource() : undefined;
    if (!resyncObjects && this.pending.size === 0) return undefined;
    const entries = new Map(this.pending);
    this.pending.clear();
    if (resyncObjects) this.resyncPending = false;
    const max = this.opts.maxPushBytes ?? MAX_PUSH_BYTES;
    const { clusterId } = this.opts;
    const pushes: PushBody[] = [];
    let upserts = [...entries.values()].filter((e) => e.kind === 'upsert').map((e) => e.object);
    if (resyncObjects) {
      const split = splitPushes(clusterId, 'resync', resyncObjects, max);
      // One resync covers every pending change: objects it lists are upserted, the rest dropped.
      if (split.pushes.length === 1 && split.tooLarge.length === 0) {
        return { pushes: split.pushes, entries, resync: true };
      }
      // A resync must be one push (it is the complete list); a larger list goes out as upserts and
      // the pending deletes as deletes, so no state is lost, only mirrors of objects deleted while
      // nobody watched stay behind.
      this.log.warn('resync does not fit in one push; sending it as upserts', {
        objects: resyncObjects.length,
        maxPushBytes: max,
      });
      upserts = [...resyncObjects];
    }
    const deletes = [...entries.values()].filter((e) => e.kind === 'delete').map((e) => e.object);
    for (const [kind, objects] of [
      ['upsert', upserts],
      ['delete', deletes],
    ] as const) {
      if (!objects.length) continue;
      const split = splitPushes(clusterId, kind, objects, max);
      pushes.push(...split.pushes.filter((p) => p.objects.length));
      for (const o of split.tooLarge) {
        this.log.error('deployment too large for a push; it is not mirrored', {
          namespace: o.metadata.namespace,
          name: o.metadata.name,
          maxPushBytes: max,
        });
      }
    }
    return { pushes, entries, resync: resyncObjects !== undefined };
  }

  /** Puts a failed batch back, except objects that changed again meanwhile (the newer state wins). */
  private restore(batch: Batch): void {
    for (const [key, entry] of batch.entries) if (!this.pending.has(key)) this.pending.set(key, entry);
    if (batch.resync) this.resyncPending = true;
  }

  /** Sends the pushes in order; returns why the first failed one failed, or undefined when all passed. */
  private async sendAll(pushes: readonly PushBody[]): Promise<string | undefined> {
    const { clusterId, key, endpoint } = this.opts;
    for (const p of pushes) {
      const ts = Math.floor(this.clock.now().getTime() / 1000);
      const headers = {
        [SHIM_HEADERS.cluster]: clusterId,
        [SHIM_HEADERS.timestamp]: String(ts),
        [SHIM_HEADERS.signature]: signPush(key, clusterId, ts, p.body),
      };
      const started = Date.now();
      let status: number;
      try {
        status = await endpoint.post(p.body, headers);
      } catch (err) {
        return errorMessage(err);
      }
      if (status < 200 || status >= 300) return `ingest answered HTTP ${status}`;
      this.pushesSent++;
      this.lastSuccessAt = this.clock.now().toISOString();
      this.log.debug('pushed', {
        kind: p.kind,
        objects: p.objects.length,
        bytes: Buffer.byteLength(p.body),
        ms: Date.now() - started,
      });
    }
    return undefined;
  }
}
