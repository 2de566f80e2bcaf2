/**
 * Keeps a mirror of the KluctlDeployments of one namespace (or all) current through list-then-watch,
 * as client-go's reflector does: list, watch from the list's resourceVersion, watch again from the
 * last version seen when the watch ends, list again when that version is too old (410) and after
 * errors back off with jitter. A relist is compared with the cache, so objects deleted while the
 * watch was down are reported too. Only changes {@link sameMirror} calls real are reported.
 */
import { GITOPS_GROUP, GITOPS_VERSION, KD_KIND, KD_PLURAL } from '../api/constants.js';
import { errorMessage } from '../errors.js';
import type { KubeObject, KubeWatcher, Logger, ResourceInfo, WatchEvent } from '../ports.js';
import { silentLogger } from '../ports.js';
import type { MirroredDeployment } from '../serverless/protocol.js';
import { backoffDelayMs, type BackoffOptions, sleepUnlessAborted } from '../util/backoff.js';
import { deploymentKey, mirrorOf, sameMirror } from './mirror.js';

/** The KluctlDeployment resource; fixed, so the shim needs no discovery rights. */
export const KLUCTL_DEPLOYMENTS: ResourceInfo = {
  group: GITOPS_GROUP,
  version: GITOPS_VERSION,
  kind: KD_KIND,
  plural: KD_PLURAL,
  namespaced: true,
  verbs: ['get', 'list', 'watch', 'patch'],
  hasStatus: true,
};

/** A change that matters: a new or changed mirror, or an object that is gone. */
export type MirrorChange =
  | { readonly type: 'upsert'; readonly object: MirroredDeployment }
  | { readonly type: 'delete'; readonly object: MirroredDeployment };

/** Options of {@link DeploymentInformer}. */
export interface DeploymentInformerOptions {
  readonly watcher: KubeWatcher;
  /** Only this namespace; default: all. */
  readonly namespace?: string;
  readonly onChange: (change: MirrorChange) => void;
  /** Called after every successful list. */
  readonly onSynced?: () => void;
  /** Default: silent. */
  readonly logger?: Logger;
  /** Delays between failed attempts; default 500 ms doubling to 30 s, with jitter. */
  readonly backoff?: BackoffOptions;
  /** Server-side watch timeout; default: the watcher's (5 to 10 minutes). */
  readonly watchTimeoutSeconds?: number;
}

/** A watch that ends sooner than this counts as a failure, so a flapping server is not hammered. */
const MIN_HEALTHY_WATCH_MS = 1000;

/** List-then-watch of KluctlDeployments, reporting mirror changes. */
export class DeploymentInformer {
  private readonly cache = new Map<string, MirroredDeployment>();
  private resourceVersion = '';
  private needList = true;
  private listed = false;
  private watching = false;
  private lastError: string | undefined;
  private readonly stopCtl = new AbortController();
  private watchCtl: AbortController | undefined;
  private listWaiters: (() => void)[] = [];
  private loop: Promise<void> | undefined;
  private readonly log: Logger;

  constructor(private readonly opts: DeploymentInformerOptions) {
    this.log = (opts.logger ?? silentLogger).child({ namespace: opts.namespace ?? '*' });
  }

  /** Starts listing and watching in the background. */
  start(): void {
    this.loop ??= this.run();
  }

  /** Ends the watch and waits for the loop to finish. */
  async stop(): Promise<void> {
    this.stopCtl.abort();
    this.watchCtl?.abort();
    await this.loop;
    for (const w of this.listWaiters.splice(0)) w();
  }

  /** Whether a list succeeded, so {@link objects} is the complete set. */
  get synced(): boolean {
    return this.listed;
  }

  /** The current mirrors. */
  objects(): MirroredDeployment[] {
    return [...this.cache.values()];
  }

  /** State for /healthz. */
  state(): { namespace: string; synced: boolean; watching: boolean; objects: number; lastError?: string } {
    return {
      namespace: this.opts.namespace ?? '*',
      synced: this.listed,
      watching: this.watching,
      objects: this.cache.size,
      ...(this.lastError ? { lastError: this.lastError } : {}),
    };
  }

  /** Lists again (ending the current watch); resolves after the next successful list. */
  relist(): Promise<void> {
    const done = new Promise<void>((resolve) => this.listWaiters.push(resolve));
    this.needList = true;
    this.watchCtl?.abort();
    return done;
  }

  private async run(): Promise<void> {
    const stop = this.stopCtl.signal;
    let failures = 0;
    while (!stop.aborted) {
      const started = Date.now();
      try {
        if (this.needList) await this.list();
        this.watchCtl = new AbortController();
        this.watching = true;
        const end = await this.opts.watcher.watch(
          KLUCTL_DEPLOYMENTS,
          {
            ...(this.opts.namespace ? { namespace: this.opts.namespace } : {}),
            resourceVersion: this.resourceVersion,
            signal: this.watchCtl.signal,
            ...(this.opts.watchTimeoutSeconds ? { timeoutSeconds: this.opts.watchTimeoutSeconds } : {}),
          },
          (e) => this.handle(e),
        );
        this.watching = false;
        if (end === 'expired') {
          this.log.info('watch resourceVersion expired; listing again');
          this.needList = true;
        }
        const quick = end === 'closed' && !this.needList && Date.now() - started < MIN_HEALTHY_WATCH_MS;
        failures = quick ? failures + 1 : 0;
        if (quick) await sleepUnlessAborted(backoffDelayMs(failures, this.opts.backoff), stop);
      } catch (err) {
        this.watching = false;
        if (stop.aborted) break;
        failures++;
        this.lastError = errorMessage(err);
        const retryInMs = backoffDelayMs(failures, this.opts.backoff);
        this.log.warn('list or watch of KluctlDeployments failed; retrying', {
          error: this.lastError,
          attempt: failures,
          retryInMs,
        });
        await sleepUnlessAborted(retryInMs, stop);
      }
    }
  }

  /** Lists, reports what changed against the cache (deletions included) and replaces the cache. */
  private async list(): Promise<void> {
    const waiters = this.listWaiters.splice(0);
    let list;
    try {
      list = await this.opts.watcher.listVersioned(
        KLUCTL_DEPLOYMENTS,
        this.opts.namespace ? { namespace: this.opts.namespace } : {},
      );
    } catch (err) {
      this.listWaiters.unshift(...waiters);
      throw err;
    }
    const seen = new Set<string>();
    for (const item of list.items) {
      seen.add(deploymentKey(item));
      this.update(item);
    }
    for (const [key, old] of this.cache) {
      if (seen.has(key)) continue;
      this.cache.delete(key);
      this.opts.onChange({ type: 'delete', object: old });
    }
    this.resourceVersion = list.resourceVersion;
    this.needList = false;
    this.listed = true;
    this.lastError = undefined;
    this.log.debug('listed KluctlDeployments', { objects: list.items.length });
    this.opts.onSynced?.();
    for (const w of waiters) w();
  }

  private handle(e: WatchEvent): void {
    const rv = e.object.metadata.resourceVersion;
    if (rv) this.resourceVersion = rv;
    if (e.type === 'BOOKMARK') return;
    if (e.type === 'DELETED') {
      const key = deploymentKey(e.object);
      this.cache.delete(key);
      this.opts.onChange({ type: 'delete', object: mirrorOf(e.object) });
      return;
    }
    this.update(e.object);
  }

  /** Caches a listed or watched object and reports it when its mirror changed. */
  private update(obj: KubeObject): void {
    const next = mirrorOf(obj);
    const key = deploymentKey(next);
    const prev = this.cache.get(key);
    this.cache.set(key, next);
    if (!prev || !sameMirror(prev, next)) this.opts.onChange({ type: 'upsert', object: next });
  }
}
