/**
 * The object caches of a long-lived reconciler (the local runner; ADR 0014), built in one place: the
 * runner's own identity, and one per identity its deployments deploy as, each watching what Kluctl's
 * commands list again and again: objects with a discriminator label (orphan search, drift detection,
 * validate) and Kluctl's result Secrets (retention of results); the own one also keeps the
 * KluctlDeployments, which every reconcile reads first. The AWS functions live too briefly for
 * watches and keep listing.
 */
import { GITOPS_GROUP, KD_KIND, LABEL_DISCRIMINATOR } from '../api/constants.js';
import type { ClusterAccess, ClusterClient, KubeClient, KubeClientFactory, Logger } from '../ports.js';
import { LABEL_RESULT } from '../results/kluctl-result-format.js';
import { KLUCTL_RESULTS_NAMESPACE } from '../results/kluctl-result-store.js';
import { CachedKubeClient, CachingKubeClientFactory } from './cached-kube-client.js';
import { HttpKubeClient } from './http-kube-client.js';
import { HttpKubeWatcher } from './http-kube-watcher.js';
import { KubeObjectCache } from './kube-object-cache.js';
import type { CacheScope } from './kube-object-cache.js';

/** What the caches serve: lists by discriminator of every type, and the result Secrets. */
export function objectCacheScopes(resultsNamespace = KLUCTL_RESULTS_NAMESPACE): CacheScope[] {
  return [
    { labelKey: LABEL_DISCRIMINATOR },
    { labelKey: LABEL_RESULT, namespace: resultsNamespace, kinds: ['/Secret'] },
  ];
}

/** The cached clients of a runner, and how to stop their watches. */
export interface ObjectCaches {
  /** The runner's own client with its identity's cache. */
  readonly kube: KubeClient;
  /** Target clients, each identity with its cache. */
  readonly clusters: KubeClientFactory;
  /** Ends every watch (the process can exit then). */
  stop(): Promise<void>;
}

/** Options of {@link startObjectCaches}. */
export interface ObjectCachesOptions {
  /** The runner's own client (its connection is shared by the impersonating clients). */
  readonly kube: HttpKubeClient;
  /** The factory to wrap (the one that checks kubeconfigs from Secrets). */
  readonly clusters: KubeClientFactory;
  /** Builds a fresh own client when its credentials expired (a rotated service-account token). */
  readonly reconnect?: () => Promise<HttpKubeClient>;
  /**
   * The namespace of the KluctlDeployments the runner reconciles (default all): the own cache keeps
   * them too, so a reconcile reads its deployment from the copy (when it is as new as the runner saw).
   */
  readonly deploymentsNamespace?: string;
  readonly logger: Logger;
}

/** Wraps the runner's clients in object caches. */
export function startObjectCaches(o: ObjectCachesOptions): ObjectCaches {
  const scopes = objectCacheScopes();
  const logger = o.logger.child({ component: 'object-cache' });
  const deployments: CacheScope = {
    kinds: [`${GITOPS_GROUP}/${KD_KIND}`],
    ...(o.deploymentsNamespace ? { namespace: o.deploymentsNamespace } : {}),
  };
  const own = new KubeObjectCache({
    watcher: new HttpKubeWatcher(o.kube, o.reconnect),
    scopes: [...scopes, deployments],
    logger,
    // Identities over the runner's connection share its discovery: one CRD watch serves them all.
    onResourceTypesChanged: () => o.kube.invalidateDiscovery(),
  });
  const build = (client: ClusterClient, access: ClusterAccess): KubeObjectCache | undefined => {
    if (!(client instanceof HttpKubeClient)) return undefined;
    return new KubeObjectCache({
      watcher: new HttpKubeWatcher(client),
      scopes,
      logger,
      ...(access.kubeconfigYaml !== undefined
        ? { onResourceTypesChanged: () => client.invalidateDiscovery() }
        : {}),
    });
  };
  const clusters = new CachingKubeClientFactory(o.clusters, build);
  return {
    kube: new CachedKubeClient(o.kube, own),
    clusters,
    async stop() {
      own.stop();
      await clusters.stop();
    },
  };
}
