/**
 * The clients of every registered cluster, for the functions that serve many clusters from one stack
 * (DESIGN.md §3, "Many clusters, one stack"). Each cluster gets its own connection, built from its own
 * kubeconfig in the {@link ClusterRegistry} and cached by cluster id: nothing of one cluster is ever
 * read with another's credentials, and no client is shared between clusters. Before first use the
 * connection is checked to reach the cluster it is registered for (its kube-system UID), so a
 * kubeconfig registered under the wrong id cannot write one cluster's state under another's key.
 */
import { createHash } from 'node:crypto';
import { KsError } from '../errors.js';
import type { KubeClient, KubeClientFactory, ServiceAccountTokens } from '../ports.js';
import type { ClusterRegistry } from './protocol.js';

/** The clients of one cluster: its own, and the factory for targets and identities over it. */
export interface ClusterConnection {
  /** The cluster's client with the reconciler's identity there. */
  readonly kube: KubeClient;
  /** Clients for `spec.kubeConfig` targets and impersonated users, over this cluster's connection. */
  readonly clusters: KubeClientFactory;
  /** Issues service account tokens there (`decryption.serviceAccount`'s AWS role); default none. */
  readonly serviceAccountTokens?: ServiceAccountTokens;
  /** Frees the connection. */
  close(): void;
}

/** Opens a connection from a kubeconfig (an adapter: HttpKubeClient in the functions). */
export type ConnectCluster = (kubeconfigYaml: string) => Promise<ClusterConnection>;

/** Options of {@link ClusterClients}. */
export interface ClusterClientsOptions {
  /** How long a connection is used before the registry is asked again (rotated credentials); default 5 min. */
  readonly maxAgeMs?: number;
  /** Injected for tests; default Date.now. */
  readonly now?: () => number;
}

interface Entry {
  readonly conn: Promise<ClusterConnection>;
  /** Digest of the kubeconfig it was built from (the text itself is not kept). */
  readonly digest: string;
  checkedAt: number;
}

/**
 * Connections per cluster id. A kubeconfig that changed in the registry replaces the connection; the
 * old one is closed, so callers use a connection for one reconcile at a time (as the reconcile
 * function does, message after message).
 */
export class ClusterClients {
  private readonly cache = new Map<string, Entry>();
  private readonly pending = new Map<string, Promise<ClusterConnection | undefined>>();
  private readonly maxAgeMs: number;
  private readonly now: () => number;

  constructor(
    private readonly registry: ClusterRegistry,
    private readonly connect: ConnectCluster,
    opts: ClusterClientsOptions = {},
  ) {
    this.maxAgeMs = opts.maxAgeMs ?? 5 * 60_000;
    this.now = opts.now ?? Date.now;
  }

  /**
   * The connection of a registered cluster; undefined when the registry does not know the id. Throws
   * KsError `InvalidInput` when the registered kubeconfig reaches another cluster.
   */
  async forCluster(clusterId: string): Promise<ClusterConnection | undefined> {
    const cached = this.cache.get(clusterId);
    if (cached && this.now() - cached.checkedAt < this.maxAgeMs) return cached.conn;
    // Concurrent callers share one registry lookup and one connection.
    let pending = this.pending.get(clusterId);
    if (!pending) {
      pending = this.refresh(clusterId, cached).finally(() => this.pending.delete(clusterId));
      this.pending.set(clusterId, pending);
    }
    return pending;
  }

  private async refresh(
    clusterId: string,
    cached: Entry | undefined,
  ): Promise<ClusterConnection | undefined> {
    const now = this.now();
    const kubeconfig = await this.registry.kubeconfig(clusterId);
    if (kubeconfig === undefined) {
      this.drop(clusterId, cached);
      return undefined;
    }
    const digest = createHash('sha256').update(kubeconfig).digest('hex');
    if (cached && cached.digest === digest) {
      cached.checkedAt = now;
      return cached.conn;
    }
    this.drop(clusterId, cached);
    const conn = this.open(clusterId, kubeconfig);
    const entry: Entry = { conn, digest, checkedAt: now };
    this.cache.set(clusterId, entry);
    // A failed connect is not cached: the next message asks the registry again.
    conn.catch(() => {
      if (this.cache.get(clusterId) === entry) this.cache.delete(clusterId);
    });
    return conn;
  }

  /** Closes every connection. */
  close(): void {
    for (const [id, entry] of this.cache) this.drop(id, entry);
  }

  private async open(clusterId: string, kubeconfig: string): Promise<ClusterConnection> {
    const conn = await this.connect(kubeconfig);
    try {
      const actual = await conn.kube.clusterId();
      if (actual !== clusterId) {
        throw new KsError(
          'InvalidInput',
          `the kubeconfig registered for cluster ${clusterId} reaches cluster ${actual} (the UID of its ` +
            'kube-system namespace); register each cluster under its own id',
        );
      }
      return conn;
    } catch (err) {
      conn.close();
      throw err;
    }
  }

  private drop(clusterId: string, entry: Entry | undefined): void {
    if (!entry) return;
    if (this.cache.get(clusterId) === entry) this.cache.delete(clusterId);
    entry.conn.then(
      (c) => c.close(),
      () => undefined,
    );
  }
}
