/**
 * The in-cluster shim (DESIGN.md §3): watches KluctlDeployments and pushes every change that matters
 * (creation, spec/generation, labels, annotations, deletion and finalizers, removal) to the ingest
 * endpoint as signed ShimPushes, usually within a few hundred milliseconds. On start, every
 * `resyncIntervalMs` and after an ingest outage it sends a resync, the complete list, so that any lost
 * change is repaired. It renders and deploys nothing and holds no cloud credentials: only the
 * cluster's service-account token (through the watcher) and its own signing key.
 */
import type { Clock, IngestEndpoint, KubeWatcher, Logger } from '../ports.js';
import { silentLogger } from '../ports.js';
import type { MirroredDeployment } from '../serverless/protocol.js';
import type { BackoffOptions } from '../util/backoff.js';
import { DeploymentInformer } from './deployment-informer.js';
import { type OutboxState, PushOutbox } from './push-outbox.js';

/** Options of {@link Shim}. */
export interface ShimOptions {
  readonly watcher: KubeWatcher;
  readonly endpoint: IngestEndpoint;
  /** The cluster id (the kube-system namespace's UID, or an override). */
  readonly clusterId: string;
  /** The HMAC key shared with ingest. */
  readonly key: Uint8Array;
  /** Only these namespaces; default (empty or absent): all namespaces. */
  readonly namespaces?: readonly string[];
  /** Time between periodic resyncs (each re-lists from the API); default 10 minutes; 0 disables. */
  readonly resyncIntervalMs?: number;
  /** Default: silent. */
  readonly logger?: Logger;
  /** Default: the system clock. */
  readonly clock?: Clock;
  /** Batching delay of pushes; default 200 ms. */
  readonly batchDelayMs?: number;
  /** Backoff of failed pushes; default 500 ms doubling to 30 s, with jitter. */
  readonly pushBackoff?: BackoffOptions;
  /** Backoff of failed lists and watches; default 500 ms doubling to 30 s, with jitter. */
  readonly watchBackoff?: BackoffOptions;
  /** Largest push body; default MAX_PUSH_BYTES. */
  readonly maxPushBytes?: number;
  /** Server-side watch timeout; default 5 to 10 minutes. */
  readonly watchTimeoutSeconds?: number;
}

/** What the shim is doing, as /healthz reports it. */
export interface ShimState {
  readonly clusterId: string;
  readonly running: boolean;
  readonly informers: readonly ReturnType<DeploymentInformer['state']>[];
  readonly outbox: OutboxState;
}

/** Default time between periodic resyncs. */
export const DEFAULT_RESYNC_INTERVAL_MS = 10 * 60_000;

/** Watches KluctlDeployments and pushes their mirrors to ingest until stopped. */
export class Shim {
  private readonly informers: DeploymentInformer[];
  private readonly outbox: PushOutbox;
  private resyncTimer: NodeJS.Timeout | undefined;
  private running = false;
  private readonly log: Logger;

  constructor(private readonly opts: ShimOptions) {
    this.log = opts.logger ?? silentLogger;
    this.outbox = new PushOutbox({
      clusterId: opts.clusterId,
      key: opts.key,
      endpoint: opts.endpoint,
      resyncSource: () => this.completeList(),
      logger: this.log,
      ...(opts.clock ? { clock: opts.clock } : {}),
      ...(opts.batchDelayMs !== undefined ? { batchDelayMs: opts.batchDelayMs } : {}),
      ...(opts.pushBackoff ? { backoff: opts.pushBackoff } : {}),
      ...(opts.maxPushBytes ? { maxPushBytes: opts.maxPushBytes } : {}),
    });
    const namespaces = opts.namespaces?.length ? [...new Set(opts.namespaces)] : [undefined];
    this.informers = namespaces.map(
      (namespace) =>
        new DeploymentInformer({
          watcher: opts.watcher,
          ...(namespace ? { namespace } : {}),
          onChange: (c) =>
            c.type === 'upsert' ? this.outbox.upsert(c.object) : this.outbox.remove(c.object),
          onSynced: () => this.outbox.kick(),
          logger: this.log,
          ...(opts.watchBackoff ? { backoff: opts.watchBackoff } : {}),
          ...(opts.watchTimeoutSeconds ? { watchTimeoutSeconds: opts.watchTimeoutSeconds } : {}),
        }),
    );
  }

  /** Starts the watches; the first resync goes out once every watched namespace was listed. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.log.info('shim started', {
      clusterId: this.opts.clusterId,
      namespaces: this.opts.namespaces?.length ? this.opts.namespaces : ['*'],
    });
    this.outbox.requestResync();
    for (const i of this.informers) i.start();
    const every = this.opts.resyncIntervalMs ?? DEFAULT_RESYNC_INTERVAL_MS;
    if (every > 0) {
      this.resyncTimer = setInterval(() => void this.resync(), every);
      this.resyncTimer.unref();
    }
  }

  /**
   * Lists every watched namespace again and then pushes the complete list, repairing whatever a lost
   * watch event or push left wrong.
   */
  async resync(): Promise<void> {
    await Promise.all(this.informers.map((i) => i.relist()));
    if (!this.running) return;
    this.log.info('periodic resync', { objects: this.completeList()?.length });
    this.outbox.requestResync();
  }

  /**
   * Stops watching. With `flush`, first tries once to send what is still pending (on SIGTERM); what
   * does not get out is repaired by the next start's resync.
   */
  async stop(opts: { flush?: boolean } = {}): Promise<void> {
    if (!this.running) return;
    this.running = false;
    clearInterval(this.resyncTimer);
    await Promise.all(this.informers.map((i) => i.stop()));
    if (opts.flush) await this.outbox.flushNow();
    this.outbox.stop();
    this.log.info('shim stopped', { clusterId: this.opts.clusterId });
  }

  /** The shim's state. */
  state(): ShimState {
    return {
      clusterId: this.opts.clusterId,
      running: this.running,
      informers: this.informers.map((i) => i.state()),
      outbox: this.outbox.state(),
    };
  }

  /** The complete list of watched deployments; undefined until every watched namespace was listed. */
  private completeList(): readonly MirroredDeployment[] | undefined {
    if (!this.informers.every((i) => i.synced)) return undefined;
    return this.informers.flatMap((i) => i.objects());
  }
}
