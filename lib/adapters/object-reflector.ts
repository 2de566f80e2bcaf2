/**
 * One list-then-watch of a resource type, optionally limited to a namespace and a label selector, kept
 * in memory as client-go's reflector and store keep it: list with the list's resourceVersion, watch
 * from there (bookmarks on), continue after a closed watch, list again after 410 Gone or an error.
 * Answers are only given while the copy is known to be complete ({@link ObjectReflector.snapshot}).
 *
 * Writes of this process are folded in at once ({@link ObjectReflector.observe}, {@link
 * ObjectReflector.forget}), so the next read sees them without waiting for the watch; a watch event
 * older than such a write (resourceVersions of one resource type are etcd revisions, comparable as
 * integers) does not undo it.
 */
import { KubeApiError, errorMessage } from '../errors.js';
import type { KubeObject, KubeWatcher, Logger, ResourceInfo, WatchEvent } from '../ports.js';
import { backoffDelayMs, sleepUnlessAborted } from '../util/backoff.js';

/** What one reflector lists and watches. */
export interface ReflectorScope {
  readonly resource: ResourceInfo;
  /** Default: all namespaces. */
  readonly namespace?: string;
  /** Default: every object. */
  readonly labelSelector?: string;
}

/** Options of {@link ObjectReflector}. */
export interface ReflectorOptions {
  readonly logger: Logger;
  /** Called after every change once synced (not for the objects of the first list). */
  readonly onChange?: () => void;
  /** Keep the objects (default true); false only tracks changes for {@link onChange}. */
  readonly store?: boolean;
  /**
   * A label whose values are indexed: {@link ObjectReflector.snapshot} given a value returns the
   * objects with it without looking at the others (a list by discriminator among thousands).
   */
  readonly indexLabel?: string;
  /**
   * Server-side length of one watch in seconds; default 30 to 60 minutes, random: bookmarks keep the
   * resourceVersion current, and each new watch is one more request.
   */
  readonly watchTimeoutSeconds?: () => number;
  /**
   * A refused list or watch (401/403/404/405) is tried again when {@link ObjectReflector.wake} says
   * a list of the caller succeeded, but not sooner than this after the refusal; default 5 min.
   */
  readonly refusedRetryMs?: number;
  /** Milliseconds now; default Date.now. */
  readonly now?: () => number;
}

/** A write of this process the watch has not confirmed keeps lists away from the copy this long at most. */
const CONFIRM_MS = 60_000;

/** Statuses that say the identity may not list or watch the type (or it is gone): retry much later. */
const REFUSED = new Set([401, 403, 404, 405]);

/** A list-then-watch copy of the objects of one {@link ReflectorScope}. */
export class ObjectReflector {
  private readonly objects: LabelIndexedMap;
  /** Keys this process took out of scope at a known resourceVersion: older events are ignored. */
  private readonly removed = new Map<string, string>();
  /**
   * Writes of this process the copy does not show yet, until the watch reports them (a deletion, or the
   * resourceVersion `rv`) or the time runs out; meanwhile lists go to the API server.
   */
  private readonly unconfirmed = new Map<string, { until: number; rv?: string }>();
  private readonly abort = new AbortController();
  private rv: string | undefined;
  private synced = false;
  /** The last list or watch failed: callers list the API server until the next list succeeds. */
  private down = false;
  private started: Promise<void> | undefined;
  private waiters: ((ok: boolean) => void)[] = [];
  /** Ends the wait after a refusal (set while refused). */
  private retry: { at: number; now: () => void } | undefined;

  constructor(
    private readonly watcher: KubeWatcher,
    readonly scope: ReflectorScope,
    private readonly opts: ReflectorOptions,
  ) {
    this.objects = new LabelIndexedMap(opts.indexLabel);
  }

  /** Starts listing and watching (once). */
  start(): void {
    this.started ??= this.run();
  }

  /**
   * Resolves true once the copy is complete; false while the type may not be listed or watched, or its
   * last list or watch failed (the caller lists the API server itself meanwhile).
   */
  ready(): Promise<boolean> {
    this.start();
    if (this.synced) return Promise.resolve(true);
    if (this.down) return Promise.resolve(false);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Whether the copy is complete and no unconfirmed delete of this process is pending. */
  get usable(): boolean {
    if (!this.synced) return false;
    const now = this.now();
    for (const [key, u] of this.unconfirmed) if (u.until <= now) this.unconfirmed.delete(key);
    return this.unconfirmed.size === 0;
  }

  /**
   * The objects (given `labelValue`: those whose {@link ReflectorOptions.indexLabel} has that value),
   * or undefined while the copy cannot be trusted (the caller lists instead).
   */
  snapshot(labelValue?: string): KubeObject[] | undefined {
    if (!this.usable) return undefined;
    return labelValue === undefined ? [...this.objects.values()] : this.objects.withLabel(labelValue);
  }

  /** One object, or undefined when the copy lacks it or cannot be trusted. */
  find(namespace: string | undefined, name: string): KubeObject | undefined {
    return this.usable ? this.objects.get(`${namespace ?? ''}/${name}`) : undefined;
  }

  /** An object as a write of this process left it; `inScope` false: it no longer matches the scope. */
  observe(obj: KubeObject, inScope: boolean): void {
    const key = keyOf(obj);
    const rv = obj.metadata.resourceVersion;
    const current = this.objects.get(key);
    if (current && isOlder(rv, current.metadata.resourceVersion)) return;
    if (inScope) {
      this.removed.delete(key);
      if (this.opts.store !== false) this.objects.set(key, this.complete(obj));
      return;
    }
    // Only what the copy held can be brought back by an older event still on its way.
    if (this.objects.delete(key) && rv) this.removed.set(key, rv);
  }

  /** This process deleted the object: gone now, and lists wait for the watch to confirm it. */
  forget(namespace: string | undefined, name: string): void {
    const key = `${namespace ?? ''}/${name}`;
    if (this.objects.delete(key)) this.unconfirmed.set(key, { until: this.now() + CONFIRM_MS });
  }

  /**
   * This process wrote the object in a form this copy cannot take (another version of the type): lists
   * go to the API server until the watch reaches the write's resourceVersion.
   */
  invalidate(obj: KubeObject, inScope: boolean): void {
    const key = keyOf(obj);
    // An object that is not and was not in the copy: the watch will not report it.
    if (!inScope && !this.objects.has(key)) return;
    const rv = obj.metadata.resourceVersion;
    this.unconfirmed.set(key, { until: this.now() + CONFIRM_MS, ...(rv ? { rv } : {}) });
  }

  /** A list of the caller succeeded where this reflector was refused: try again (not too often). */
  wake(): void {
    if (this.retry && this.retry.at <= this.now()) this.retry.now();
  }

  /** Ends the watch. */
  stop(): void {
    this.abort.abort();
    this.synced = false;
    this.release(false);
  }

  private async run(): Promise<void> {
    const { resource, namespace, labelSelector } = this.scope;
    const signal = this.abort.signal;
    let failures = 0;
    while (!signal.aborted) {
      try {
        if (this.rv === undefined) {
          const list = await this.watcher.listVersioned(resource, {
            ...(namespace ? { namespace } : {}),
            ...(labelSelector ? { labelSelector } : {}),
          });
          this.replace(list.items, list.resourceVersion);
          this.rv = list.resourceVersion;
          this.synced = true;
          this.down = false;
          this.release(true);
        }
        const t0 = this.now();
        const end = await this.watcher.watch(
          resource,
          {
            ...(namespace ? { namespace } : {}),
            ...(labelSelector ? { labelSelector } : {}),
            resourceVersion: this.rv,
            signal,
            timeoutSeconds: this.opts.watchTimeoutSeconds?.() ?? 1800 + Math.floor(Math.random() * 1800),
          },
          (e) => this.apply(e),
        );
        // Expired: events were lost, so the copy is incomplete until the next list.
        if (end === 'expired') this.unsync();
        // A watch the server ends at once, again and again, must not become a busy loop.
        // (One quick end is normal: an expired watch lists again at once.)
        failures = this.now() - t0 < 1000 ? failures + 1 : 0;
        if (failures > 1) await sleepUnlessAborted(backoffDelayMs(failures - 1), signal);
      } catch (err) {
        if (signal.aborted) return;
        this.unsync();
        this.down = true;
        this.release(false);
        const status = err instanceof KubeApiError ? err.status : undefined;
        if (status !== undefined && REFUSED.has(status)) {
          // Kluctl's permission warnings come from the caller's own list, which is refused too. Trying
          // again on a timer would cost a request per type and identity that may never list: only
          // when the caller's own list succeeds (RBAC changed) is it tried again.
          await new Promise<void>((resolve) => {
            const at = this.now() + (this.opts.refusedRetryMs ?? 300_000);
            this.retry = { at, now: resolve };
            signal.addEventListener('abort', () => resolve(), { once: true });
          });
          this.retry = undefined;
          continue;
        }
        failures++;
        this.opts.logger.warn('object cache: watch failed; listing again', {
          resource: resource.plural,
          error: errorMessage(err),
        });
        await sleepUnlessAborted(backoffDelayMs(failures), signal);
      }
    }
  }

  private apply(e: WatchEvent): void {
    const rv = e.object.metadata.resourceVersion;
    if (rv) this.rv = rv;
    if (e.type === 'BOOKMARK') return;
    const key = keyOf(e.object);
    const pending = this.unconfirmed.get(key);
    if (pending && (e.type === 'DELETED' || (pending.rv && !isOlder(rv, pending.rv)))) {
      this.unconfirmed.delete(key);
    }
    if (e.type === 'DELETED') {
      this.objects.delete(key);
      this.removed.delete(key);
    } else {
      const gone = this.removed.get(key);
      if (gone !== undefined && !isOlder(gone, rv)) return;
      this.removed.delete(key);
      const current = this.objects.get(key);
      if (current && isOlder(rv, current.metadata.resourceVersion)) return;
      if (this.opts.store !== false) this.objects.set(key, this.complete(e.object));
    }
    this.opts.onChange?.();
  }

  /**
   * Takes a list as the copy. Writes of this process newer than the list stay in force: a list that
   * started before a write may return without it.
   */
  private replace(items: readonly KubeObject[], listRv: string): void {
    const listed = new Map(items.map((o) => [keyOf(o), o] as const));
    for (const [key, rv] of this.removed) {
      if (isOlder(listRv, rv)) listed.delete(key);
      else this.removed.delete(key);
    }
    for (const [key, u] of this.unconfirmed) {
      const confirmed = u.rv ? !isOlder(listRv, u.rv) : !listed.has(key);
      if (confirmed) this.unconfirmed.delete(key);
    }
    const mine = this.objects;
    const next = new Map<string, KubeObject>();
    if (this.opts.store !== false) {
      for (const [key, o] of listed) {
        const own = mine.get(key);
        const newer = own && isOlder(o.metadata.resourceVersion, own.metadata.resourceVersion);
        next.set(key, newer ? own : this.complete(o));
      }
      // Created by this process after the list was read.
      for (const [key, own] of mine) {
        if (!listed.has(key) && isOlder(listRv, own.metadata.resourceVersion)) next.set(key, own);
      }
    }
    this.objects.clear();
    for (const [key, o] of next) this.objects.set(key, o);
  }

  private unsync(): void {
    this.rv = undefined;
    this.synced = false;
  }

  private release(ok: boolean): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w(ok);
  }

  /** Watch and list items may lack apiVersion/kind; callers compute refs from them. */
  private complete(o: KubeObject): KubeObject {
    const r = this.scope.resource;
    return { ...o, apiVersion: r.group ? `${r.group}/${r.version}` : r.version, kind: r.kind };
  }

  private now(): number {
    return (this.opts.now ?? Date.now)();
  }
}

/** The copy's objects by key, also found by the value of one label (kept current on every change). */
class LabelIndexedMap extends Map<string, KubeObject> {
  private readonly byValue = new Map<string, Set<string>>();

  constructor(private readonly label: string | undefined) {
    super();
  }

  override set(key: string, o: KubeObject): this {
    this.unindex(key);
    super.set(key, o);
    const value = this.label === undefined ? undefined : o.metadata.labels?.[this.label];
    if (value !== undefined) {
      let keys = this.byValue.get(value);
      if (!keys) this.byValue.set(value, (keys = new Set()));
      keys.add(key);
    }
    return this;
  }

  override delete(key: string): boolean {
    this.unindex(key);
    return super.delete(key);
  }

  override clear(): void {
    this.byValue.clear();
    super.clear();
  }

  /** The objects whose indexed label has `value` (none without an indexed label). */
  withLabel(value: string): KubeObject[] {
    const out: KubeObject[] = [];
    for (const key of this.byValue.get(value) ?? []) out.push(super.get(key)!);
    return out;
  }

  private unindex(key: string): void {
    const old = this.label === undefined ? undefined : super.get(key)?.metadata.labels?.[this.label];
    if (old === undefined) return;
    const keys = this.byValue.get(old)!;
    keys.delete(key);
    if (keys.size === 0) this.byValue.delete(old);
  }
}

function keyOf(o: KubeObject): string {
  return `${o.metadata.namespace ?? ''}/${o.metadata.name}`;
}

/** Whether resourceVersion `a` is known to be older than `b` (both decimal, as etcd revisions are). */
export function isOlder(a: string | undefined, b: string | undefined): boolean {
  if (!a || !b || !/^\d+$/.test(a) || !/^\d+$/.test(b)) return false;
  return BigInt(a) < BigInt(b);
}
