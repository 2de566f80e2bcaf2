/**
 * A KubeClient that hands every call to a real client, for tests that count or fail some calls of a
 * reconcile against the real API server: subclass it and override the calls of interest.
 */
import type { KubeClient } from '../../lib/ports.js';

/** Forwards every call to `inner`. */
export class DelegatingKube implements KubeClient {
  constructor(protected readonly inner: KubeClient) {}
  apply(...a: Parameters<KubeClient['apply']>) {
    return this.inner.apply(...a);
  }
  get(...a: Parameters<KubeClient['get']>) {
    return this.inner.get(...a);
  }
  list(...a: Parameters<KubeClient['list']>) {
    return this.inner.list(...a);
  }
  create(...a: Parameters<KubeClient['create']>) {
    return this.inner.create(...a);
  }
  update(...a: Parameters<KubeClient['update']>) {
    return this.inner.update(...a);
  }
  delete(...a: Parameters<KubeClient['delete']>) {
    return this.inner.delete(...a);
  }
  mergePatch(...a: Parameters<KubeClient['mergePatch']>) {
    return this.inner.mergePatch(...a);
  }
  resolve(...a: Parameters<KubeClient['resolve']>) {
    return this.inner.resolve(...a);
  }
  listResources() {
    return this.inner.listResources();
  }
  invalidateDiscovery() {
    this.inner.invalidateDiscovery();
  }
  clusterId() {
    return this.inner.clusterId();
  }
  serverVersion() {
    return this.inner.serverVersion();
  }
}
