/**
 * The object cache (kube-object-cache.ts) put in front of a KubeClient, and one cache per identity for
 * the clients of target clusters (ADR 0014). Lists the cache can answer are answered from it; every
 * other call goes to the client, and the objects its writes return (not dry runs) update the cache, so
 * a reconcile sees its own apply, prune or delete on its next read without waiting for the watch.
 */
import { createHash } from 'node:crypto';
import type {
  ApplyOptions,
  ClusterAccess,
  ClusterClient,
  KubeClient,
  KubeClientFactory,
  KubeObject,
  ListOptions,
  ObjectRef,
  ResourceInfo,
} from '../ports.js';
import type { KubeObjectCache } from './kube-object-cache.js';

/** A KubeClient whose matching lists come from `cache`, which holds what this client's identity sees. */
export class CachedKubeClient implements ClusterClient {
  constructor(
    private readonly inner: KubeClient,
    private readonly cache: KubeObjectCache,
    private readonly onClose: () => void = () => {},
  ) {}

  async list(resource: ResourceInfo, opts: ListOptions = {}): Promise<KubeObject[]> {
    const cached = await this.cache.list(resource, opts);
    if (cached) return cached;
    const listed = await this.inner.list(resource, opts);
    this.cache.listed(resource, opts);
    return listed;
  }

  async apply(obj: KubeObject, opts: ApplyOptions): Promise<KubeObject> {
    return this.observed(await this.inner.apply(obj, opts), opts.dryRun);
  }

  async create(obj: KubeObject, opts: { fieldManager: string }): Promise<KubeObject> {
    return this.observed(await this.inner.create(obj, opts));
  }

  async update(obj: KubeObject, opts: { fieldManager: string; dryRun?: boolean }): Promise<KubeObject> {
    return this.observed(await this.inner.update(obj, opts), opts.dryRun);
  }

  async mergePatch(
    ref: ObjectRef,
    patch: unknown,
    opts: { fieldManager: string; subresource?: 'status'; resourceVersion?: string },
  ): Promise<KubeObject> {
    return this.observed(await this.inner.mergePatch(ref, patch, opts));
  }

  async delete(ref: ObjectRef, opts: { dryRun?: boolean } = {}): Promise<void> {
    await this.inner.delete(ref, opts);
    if (!opts.dryRun) this.cache.forget(ref);
  }

  async get(ref: ObjectRef, opts: { minResourceVersion?: string } = {}): Promise<KubeObject | undefined> {
    if (this.cache.serves(ref.group, ref.kind)) {
      const info = await this.inner.resolve(
        ref.group ? `${ref.group}/${ref.version}` : ref.version,
        ref.kind,
      );
      const cached = info && (await this.cache.get(info, ref, opts.minResourceVersion));
      if (cached) return cached;
    }
    return this.inner.get(ref);
  }

  resolve(apiVersion: string, kind: string): Promise<ResourceInfo | undefined> {
    return this.inner.resolve(apiVersion, kind);
  }

  listResources(): Promise<readonly ResourceInfo[]> {
    return this.inner.listResources();
  }

  invalidateDiscovery(): void {
    this.inner.invalidateDiscovery();
  }

  clusterId(): Promise<string> {
    return this.inner.clusterId();
  }

  serverVersion(): Promise<string> {
    return this.inner.serverVersion();
  }

  close(): void {
    this.onClose();
  }

  private observed(obj: KubeObject, dryRun?: boolean): KubeObject {
    // A write answered with something else than the object (a Status) has nothing to show.
    if (!dryRun && obj?.metadata?.name) this.cache.observe(obj);
    return obj;
  }
}

/** Builds the cache of a client's identity; undefined: that client is not cached. */
export type ObjectCacheBuilder = (
  client: ClusterClient,
  access: ClusterAccess,
) => KubeObjectCache | undefined;

interface Entry {
  readonly client: ClusterClient;
  readonly cache: KubeObjectCache | undefined;
  /** Kept open across reconciles (a kubeconfig's own connection), closed when the entry goes. */
  readonly owned: boolean;
  lastUsed: number;
}

/** Options of {@link CachingKubeClientFactory}. */
export interface CachingKubeClientFactoryOptions {
  /** An identity unused this long loses its cache (and its connection); default 30 minutes. */
  readonly idleMs?: number;
  /** Milliseconds now; default Date.now. */
  readonly now?: () => number;
}

/**
 * A {@link KubeClientFactory} that gives every identity its own object cache: the runner's cluster as
 * an impersonated user, or the cluster and user of a kubeconfig (keyed by a hash of its text, so a
 * changed kubeconfig is a new identity). A kubeconfig's client is kept open while its cache lives, so
 * its discovery is not read again on every reconcile either.
 */
export class CachingKubeClientFactory implements KubeClientFactory {
  private readonly entries = new Map<string, Promise<Entry>>();

  constructor(
    private readonly inner: KubeClientFactory,
    private readonly buildCache: ObjectCacheBuilder,
    private readonly opts: CachingKubeClientFactoryOptions = {},
  ) {}

  async connect(access: ClusterAccess): Promise<ClusterClient> {
    await this.evictIdle();
    const key = identityKey(access);
    let pending = this.entries.get(key);
    if (!pending) {
      pending = this.open(access);
      this.entries.set(key, pending);
      pending.catch(() => this.entries.delete(key));
    }
    const entry = await pending;
    entry.lastUsed = this.now();
    // The runner's own connection is cheap to wrap anew; a kubeconfig's stays with the entry.
    const client = entry.owned ? entry.client : await this.inner.connect(access);
    if (!entry.cache) return entry.owned ? unclosable(client) : client;
    return new CachedKubeClient(client, entry.cache, () => {
      if (!entry.owned) client.close();
    });
  }

  /** Stops every cache and closes the kept connections. */
  async stop(): Promise<void> {
    const all = [...this.entries.values()];
    this.entries.clear();
    for (const e of await Promise.allSettled(all)) if (e.status === 'fulfilled') close(e.value);
  }

  private async open(access: ClusterAccess): Promise<Entry> {
    const client = await this.inner.connect(access);
    const owned = access.kubeconfigYaml !== undefined;
    // The runner's own connection under another identity: closing it is a no-op, the watches keep it.
    const cache = this.buildCache(client, access);
    return { client, cache, owned, lastUsed: this.now() };
  }

  private async evictIdle(): Promise<void> {
    const limit = this.now() - (this.opts.idleMs ?? 30 * 60_000);
    for (const [key, pending] of this.entries) {
      const e = await pending.catch(() => undefined);
      if (e && e.lastUsed < limit && this.entries.get(key) === pending) {
        this.entries.delete(key);
        close(e);
      }
    }
  }

  private now(): number {
    return (this.opts.now ?? Date.now)();
  }
}

function close(e: Entry): void {
  e.cache?.stop();
  if (e.owned) e.client.close();
}

/** A client whose `close` does nothing (the entry closes it). */
function unclosable(client: ClusterClient): ClusterClient {
  return new Proxy(client, {
    get: (target, prop, receiver) =>
      prop === 'close' ? () => {} : (Reflect.get(target, prop, receiver) as unknown),
  });
}

/** Which cluster and identity `access` means; never contains credentials (the kubeconfig is hashed). */
export function identityKey(access: ClusterAccess): string {
  const cluster = access.kubeconfigYaml
    ? `kubeconfig:${createHash('sha256').update(access.kubeconfigYaml).digest('hex')}`
    : 'own';
  return `${cluster}|${access.impersonateUser ?? ''}`;
}
