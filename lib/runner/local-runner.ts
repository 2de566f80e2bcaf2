/**
 * The local runner (DESIGN.md §3): one process that keeps the cluster's KluctlDeployments in view,
 * decides which are due, and reconciles them with bounded concurrency, running the same lib code as the
 * functions. With a watch feed (list-then-watch) a change starts its reconcile at once; without one,
 * or while the watch is down, it lists on every tick. Webhooks reach it through {@link queue}, and it
 * keeps the repo index (serverless/repo-index.ts) that maps pushes to deployments.
 */
import { GITOPS_GROUP, GITOPS_VERSION, KD_KIND } from '../api/constants.js';
import { intervalMs } from '../api/spec-defaults.js';
import type { KluctlDeployment } from '../api/types.js';
import { errorMessage, KsError } from '../errors.js';
import type { ResourceInfo } from '../ports.js';
import { reconcileDeployment } from '../reconcile/reconcile.js';
import type { ReconcileDeps, ReconcileOutcome } from '../reconcile/reconcile.js';
import type { MirroredDeployment, ReconcileMessage, ReconcileQueue } from '../serverless/protocol.js';
import { indexMirror } from '../serverless/repo-index.js';
import { Semaphore } from '../util/semaphore.js';
import type { RunnerHealth } from './runner-http.js';
import type { RunnerGauges, RunnerMetrics } from './runner-metrics.js';
import { dueReason, entryAfterReconcile, kdKey } from './schedule.js';
import type { ScheduleEntry } from './schedule.js';

/** A change of one KluctlDeployment as a list-then-watch feed reports it. */
export type DeploymentChange =
  | { readonly type: 'upsert'; readonly object: MirroredDeployment }
  | { readonly type: 'delete'; readonly object: MirroredDeployment };

/** A list-then-watch source of KluctlDeployments (the shim's informer has this shape). */
export interface DeploymentFeed {
  start(): void;
  stop(): Promise<void>;
  state(): { readonly synced: boolean; readonly watching: boolean };
}

/** Builds a feed that reports to `onChange`. */
export type DeploymentFeedFactory = (onChange: (change: DeploymentChange) => void) => DeploymentFeed;

/** Options of {@link LocalRunner}. */
export interface LocalRunnerOptions {
  /** Only this namespace (default: all). */
  readonly namespace?: string;
  /** Time between scheduling passes in ms (default 5000); each lists unless the watch is up. */
  readonly tickMs?: number;
  /** Concurrent reconciles (default 4, Kluctl's controller default). */
  readonly concurrency?: number;
  /** Called after every reconcile. */
  readonly onReconciled?: (key: string, outcome: ReconcileOutcome) => void;
  /** A watch; default none (list on every tick). */
  readonly watch?: DeploymentFeedFactory;
  /** Counters for `/metrics`; default none. */
  readonly metrics?: RunnerMetrics;
}

/** Runs reconciles for every KluctlDeployment until stopped. */
export class LocalRunner {
  private readonly known = new Map<string, MirroredDeployment>();
  private readonly entries = new Map<string, ScheduleEntry>();
  private readonly requested = new Map<string, string>();
  private readonly running = new Set<string>();
  private readonly inflight = new Set<Promise<void>>();
  private readonly indexed = new Map<string, string | undefined>();
  private readonly sem: Semaphore;
  private executing = 0;
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;
  private kickPending = false;
  private feed: DeploymentFeed | undefined;
  private lastTickMs: number | undefined;
  private lastListError: string | undefined;
  private indexChain: Promise<void> = Promise.resolve();

  constructor(
    private readonly deps: ReconcileDeps,
    private readonly opts: LocalRunnerOptions = {},
  ) {
    this.sem = new Semaphore(opts.concurrency ?? 4);
  }

  /** Lists the deployments once and starts the due reconciles; resolves when they finished. */
  async tick(): Promise<void> {
    await this.relist();
    await Promise.all(this.schedule());
  }

  /** Watches (or lists on the tick) until {@link stop}. Errors of one pass are logged; the next retries. */
  start(): void {
    if (this.opts.watch) {
      this.feed = this.opts.watch((change) => this.apply(change));
      this.feed.start();
    }
    const loop = async (): Promise<void> => {
      if (this.stopped) return;
      try {
        // The watch keeps `known` current; while it is down, listing does.
        if (!this.feed?.state().watching) await this.relist();
        this.schedule();
      } catch (err) {
        this.deps.logger.error('runner tick failed', { error: errorMessage(err) });
      }
      if (!this.stopped) this.timer = setTimeout(() => void loop(), this.opts.tickMs ?? 5000);
    };
    void loop();
  }

  /**
   * Stops watching and scheduling and waits for running reconciles to finish, so they write their
   * status and release their leases.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.feed?.stop();
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight]);
    await this.indexChain;
  }

  /** The in-process reconcile queue: a message makes its deployment due at once (webhooks). */
  readonly queue: ReconcileQueue = {
    enqueue: async (messages: readonly ReconcileMessage[]) => {
      const clusterId = await this.deps.kube.clusterId();
      for (const m of messages) {
        if (m.clusterId !== clusterId) {
          this.deps.logger.warn('ignoring a reconcile message for another cluster', {
            clusterId: m.clusterId,
          });
          continue;
        }
        this.requested.set(`${m.namespace}/${m.name}`, `${m.reason} requested`);
      }
      this.kick();
    },
  };

  /** Figures for `/metrics`. */
  gauges(): RunnerGauges {
    const waiting = this.running.size - this.executing;
    const requestedRunning = [...this.requested.keys()].filter((k) => this.running.has(k)).length;
    return {
      queueDepth: waiting + requestedRunning,
      running: this.executing,
      deployments: this.known.size,
      watching: this.feed?.state().watching ?? false,
      ...(this.lastTickMs !== undefined ? { lastTickMs: this.lastTickMs } : {}),
    };
  }

  /** State for `/healthz`: unhealthy while neither the watch nor the last list works. */
  health(): RunnerHealth {
    const feed = this.feed?.state();
    const ok = !this.stopped && (feed?.watching === true || this.lastListError === undefined);
    return {
      ok,
      watching: feed?.watching ?? false,
      synced: feed?.synced ?? this.lastTickMs !== undefined,
      deployments: this.known.size,
      running: this.executing,
      ...(this.lastTickMs !== undefined ? { lastTick: new Date(this.lastTickMs).toISOString() } : {}),
      ...(this.lastListError ? { lastListError: this.lastListError } : {}),
    };
  }

  /** A change from the watch: remember it and schedule at once (a new generation is due now). */
  private apply(change: DeploymentChange): void {
    const key = kdKey(change.object);
    if (change.type === 'delete') this.forget(key, change.object);
    else this.remember(key, change.object);
    this.kick();
  }

  private remember(key: string, kd: MirroredDeployment): void {
    this.known.set(key, kd);
    const rv = kd.metadata.resourceVersion;
    if (this.indexed.has(key) && this.indexed.get(key) === rv) return;
    this.indexed.set(key, rv);
    this.index(kd, kd.metadata.namespace!, kd.metadata.name);
  }

  private forget(key: string, kd: Pick<MirroredDeployment, 'metadata'>): void {
    this.known.delete(key);
    this.entries.delete(key);
    this.requested.delete(key);
    if (this.indexed.delete(key)) this.index(undefined, kd.metadata.namespace!, kd.metadata.name);
  }

  /** Updates the repo index one change after the other, so an older spec never wins. */
  private index(kd: MirroredDeployment | undefined, namespace: string, name: string): void {
    this.indexChain = this.indexChain.then(async () => {
      try {
        const clusterId = await this.deps.kube.clusterId();
        await indexMirror(this.deps.store, kd, { clusterId, namespace, name });
      } catch (err) {
        this.deps.logger.warn('repo index update failed; webhooks may miss this deployment', {
          namespace,
          name,
          error: errorMessage(err),
        });
      }
    });
  }

  /** Schedules a pass soon, once however many changes arrive together. */
  private kick(): void {
    if (this.kickPending || this.stopped) return;
    this.kickPending = true;
    setImmediate(() => {
      this.kickPending = false;
      if (!this.stopped) this.schedule();
    });
  }

  /** Starts every due or requested reconcile that is not running; returns their promises. */
  private schedule(): Promise<void>[] {
    const now = this.deps.clock.now();
    this.lastTickMs = now.getTime();
    const started: Promise<void>[] = [];
    for (const [key, kd] of this.known) {
      if (this.running.has(key)) continue;
      const reason = this.requested.get(key) ?? dueReason(kd, this.entries.get(key), now);
      if (!reason) continue;
      this.requested.delete(key);
      this.deps.logger.info('reconcile due', {
        name: kd.metadata.name,
        namespace: kd.metadata.namespace,
        reason,
      });
      started.push(this.launch(key, kd));
    }
    return started;
  }

  private launch(key: string, kd: MirroredDeployment): Promise<void> {
    this.running.add(key);
    const run = this.sem
      .run(async () => {
        this.executing++;
        try {
          await this.reconcileOne(kd);
        } finally {
          this.executing--;
        }
      })
      .finally(() => {
        this.running.delete(key);
        this.inflight.delete(run);
        // A request that came while this one ran (a push during a deploy) runs next.
        if (this.requested.has(key)) this.kick();
      });
    this.inflight.add(run);
    return run;
  }

  private async reconcileOne(kd: MirroredDeployment): Promise<void> {
    const key = kdKey(kd);
    const t0 = performance.now();
    try {
      const outcome = await reconcileDeployment(this.deps, {
        namespace: kd.metadata.namespace!,
        name: kd.metadata.name,
        // A watched copy older than what this runner saw is not good enough (ADR 0014).
        ...(kd.metadata.resourceVersion ? { minResourceVersion: kd.metadata.resourceVersion } : {}),
      });
      this.entries.set(
        key,
        entryAfterReconcile(kd, outcome.nextRunAt, intervalMs(kd.spec), this.deps.clock.now()),
      );
      this.opts.metrics?.reconciled(outcome.outcome, (performance.now() - t0) / 1000);
      this.opts.onReconciled?.(key, outcome);
    } catch (err) {
      // Status could not be written (API down): retry on a later tick.
      this.deps.logger.error('reconcile failed', {
        name: kd.metadata.name,
        namespace: kd.metadata.namespace,
        error: errorMessage(err),
      });
      this.opts.metrics?.reconciled('error', (performance.now() - t0) / 1000);
      this.entries.set(key, entryAfterReconcile(kd, undefined, 10_000, this.deps.clock.now()));
    }
  }

  /** Lists the deployments and replaces what is known (the fallback of the watch). */
  private async relist(): Promise<void> {
    let kds: KluctlDeployment[];
    try {
      kds = await this.listDeployments();
      this.lastListError = undefined;
    } catch (err) {
      this.lastListError = errorMessage(err);
      throw err;
    }
    const seen = new Set<string>();
    for (const kd of kds) {
      const key = kdKey(kd);
      seen.add(key);
      this.remember(key, kd);
    }
    for (const [key, kd] of this.known) if (!seen.has(key)) this.forget(key, kd);
    for (const key of this.requested.keys()) if (!seen.has(key)) this.requested.delete(key);
  }

  private async listDeployments(): Promise<KluctlDeployment[]> {
    const info: ResourceInfo | undefined = await this.deps.kube.resolve(
      `${GITOPS_GROUP}/${GITOPS_VERSION}`,
      KD_KIND,
    );
    if (!info) {
      throw new KsError(
        'InvalidInput',
        `the ${KD_KIND} CRD is not installed; apply crds/ first (kubectl apply --server-side -f crds/)`,
      );
    }
    return (await this.deps.kube.list(
      info,
      this.opts.namespace ? { namespace: this.opts.namespace } : {},
    )) as KluctlDeployment[];
  }
}
