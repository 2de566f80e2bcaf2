/**
 * A {@link ClusterRegistry} held in memory: for tests, and for a stack that serves the one cluster its
 * kubeconfig names. The registry of many clusters keeps its secrets in Secrets Manager instead.
 */
import type { ClusterRegistration, ClusterRegistry } from './protocol.js';

/** One cluster with its secrets. */
export interface RegisteredCluster extends ClusterRegistration {
  /** Kubeconfig YAML reaching the cluster's API server. */
  readonly kubeconfig: string;
  /** The shim's HMAC key; absent when no shim pushes for this cluster. */
  readonly shimKey?: Uint8Array;
}

/** Clusters registered in memory. */
export class MemoryClusterRegistry implements ClusterRegistry {
  private readonly byId: ReadonlyMap<string, RegisteredCluster>;

  constructor(clusters: readonly RegisteredCluster[]) {
    this.byId = new Map(clusters.map((c) => [c.id, c]));
  }

  list(): Promise<readonly ClusterRegistration[]> {
    return Promise.resolve(
      [...this.byId.values()].map((c) => ({
        id: c.id,
        ...(c.displayName !== undefined ? { displayName: c.displayName } : {}),
      })),
    );
  }

  shimKey(clusterId: string): Promise<Uint8Array | undefined> {
    return Promise.resolve(this.byId.get(clusterId)?.shimKey);
  }

  kubeconfig(clusterId: string): Promise<string | undefined> {
    return Promise.resolve(this.byId.get(clusterId)?.kubeconfig);
  }
}
