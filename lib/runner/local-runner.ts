/**
 * The local runner (DESIGN.md §3): one process that lists the cluster's KluctlDeployments on a short
 * tick, decides which are due, and reconciles them with bounded concurrency, running the same lib code
 * as the functions. Watching and webhooks come later; a tick of a few seconds is the shim's resync.
 */
import { GITOPS_GROUP, GITOPS_VERSION, KD_KIND } from '../api/constants.js';
import { intervalMs } from '../api/spec-defaults.js';
import type { KluctlDeployment } from '../api/types.js';
import { errorMessage, KsError } from '../errors.js';
import type { ResourceInfo } from '../ports.js';
import { reconcileDeployment } from '../reconcile/reconcile.js';
import type { ReconcileDeps, ReconcileOutcome } from '../reconcile/reconcile.js';
import { Semaphore } from '../util/semaphore.js';
import { dueReason, entryAfterReconcile, kdKey } from './schedule.js';
import type { ScheduleEntry } from './schedule.js';

/** Options of {@link LocalRunner}. */
export interface LocalRunnerOptions {
  /** Only this namespace (default: all). */
  readonly namespace?: string;
  /** Time between list ticks in ms (default 5000). */
  readonly tickMs?: number;
  /** Concurrent reconciles (default 4, Kluctl's controller default). */
  readonly concurrency?: number;
  /** Called after every reconcile. */
  readonly onReconciled?: (key: string, outcome: ReconcileOutcome) => void;
}

/** Runs reconciles for every KluctlDeployment until stopped. */
export class LocalRunner {
  private readonly entries = new Map<string, ScheduleEntry>();
  private readonly running = new Set<string>();
  private readonly sem: Semaphore;
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;
  private inflight: Promise<unknown>[] = [];

  constructor(
    private readonly deps: ReconcileDeps,
    private readonly opts: LocalRunnerOptions = {},
  ) {
    this.sem = new Semaphore(opts.concurrency ?? 4);
  }

  /** Lists the deployments once and starts the due reconciles; resolves when they finished. */
  async tick(): Promise<void> {
    const kds = await this.listDeployments();
    const now = this.deps.clock.now();
    const started: Promise<unknown>[] = [];
    for (const kd of kds) {
      const key = kdKey(kd);
      if (this.running.has(key)) continue;
      const reason = dueReason(kd, this.entries.get(key), now);
      if (!reason) continue;
      this.deps.logger.info('reconcile due', {
        name: kd.metadata.name,
        namespace: kd.metadata.namespace,
        reason,
      });
      this.running.add(key);
      started.push(this.sem.run(() => this.reconcileOne(kd)).finally(() => this.running.delete(key)));
    }
    const seen = new Set(kds.map(kdKey));
    for (const key of this.entries.keys()) if (!seen.has(key)) this.entries.delete(key);
    this.inflight = started;
    await Promise.all(started);
  }

  /** Ticks until {@link stop}. Errors of one tick are logged and the next tick retries. */
  start(): void {
    const loop = async (): Promise<void> => {
      if (this.stopped) return;
      try {
        await this.tick();
      } catch (err) {
        this.deps.logger.error('runner tick failed', { error: errorMessage(err) });
      }
      if (!this.stopped) this.timer = setTimeout(() => void loop(), this.opts.tickMs ?? 5000);
    };
    void loop();
  }

  /** Stops ticking and waits for running reconciles to finish (they write their status). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await Promise.allSettled(this.inflight);
  }

  private async reconcileOne(kd: KluctlDeployment): Promise<void> {
    const key = kdKey(kd);
    try {
      const outcome = await reconcileDeployment(this.deps, {
        namespace: kd.metadata.namespace!,
        name: kd.metadata.name,
      });
      this.entries.set(
        key,
        entryAfterReconcile(kd, outcome.nextRunAt, intervalMs(kd.spec), this.deps.clock.now()),
      );
      this.opts.onReconciled?.(key, outcome);
    } catch (err) {
      // Status could not be written (API down): retry on a later tick.
      this.deps.logger.error('reconcile failed', {
        name: kd.metadata.name,
        namespace: kd.metadata.namespace,
        error: errorMessage(err),
      });
      this.entries.set(key, entryAfterReconcile(kd, undefined, 10_000, this.deps.clock.now()));
    }
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
