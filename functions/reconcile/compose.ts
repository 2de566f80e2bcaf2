/**
 * Composition root of the reconcile function, built once per cold start: the shared parts of
 * functions/shared/compose.ts and the clients of every registered cluster, cached per cluster id. The
 * registry defaults to the one cluster of the stack's own kubeconfig (`KUBECONFIG_SECRET_ARN`, ...),
 * registered under the UID of its kube-system namespace; a stack serving many clusters passes its
 * Secrets Manager registry.
 */
import { readFile } from 'node:fs/promises';
import { HttpKubeClient } from '../../lib/adapters/http-kube-client.js';
import { HttpKubeClientFactory } from '../../lib/adapters/kube-client-factory.js';
import { KsError } from '../../lib/errors.js';
import { ClusterClients } from '../../lib/serverless/cluster-clients.js';
import type { ConnectCluster } from '../../lib/serverless/cluster-clients.js';
import { MemoryClusterRegistry } from '../../lib/serverless/memory-cluster-registry.js';
import type { ClusterRegistry } from '../../lib/serverless/protocol.js';
import { ownKubeconfig, sharedReconcileDeps } from '../shared/compose.js';
import type { ReconcileFunctionDeps } from './deps.js';

/** Options of {@link reconcileFunctionDeps}. */
export interface ReconcileFunctionOptions {
  /** The clusters served; default the stack's own one. */
  readonly registry?: ClusterRegistry;
  /** See {@link ReconcileFunctionDeps.onReconciled}; default none. */
  readonly onReconciled?: ReconcileFunctionDeps['onReconciled'];
}

let cached: Promise<ReconcileFunctionDeps> | undefined;

/** The dependencies of the reconcile function, created on first use. */
export function reconcileFunctionDeps(
  env: NodeJS.ProcessEnv = process.env,
  opts: ReconcileFunctionOptions = {},
): Promise<ReconcileFunctionDeps> {
  cached ??= buildDeps(env, opts).catch((err: unknown) => {
    cached = undefined;
    throw err;
  });
  return cached;
}

/** Builds the dependencies without caching them (tests build several sets). */
export async function buildDeps(
  env: NodeJS.ProcessEnv,
  opts: ReconcileFunctionOptions = {},
): Promise<ReconcileFunctionDeps> {
  const registry = opts.registry ?? (await ownClusterRegistry(env));
  return {
    shared: await sharedReconcileDeps(env),
    clusters: new ClusterClients(registry, connectCluster),
    ...(opts.onReconciled ? { onReconciled: opts.onReconciled } : {}),
  };
}

/** A cluster's clients from its registered kubeconfig. */
export const connectCluster: ConnectCluster = async (kubeconfigYaml) => {
  const kube = await HttpKubeClient.fromKubeconfig({ kubeconfigYaml });
  return { kube, clusters: new HttpKubeClientFactory(kube), close: () => kube.close() };
};

/** The registry of the stack's own cluster, under the id its API server reports. */
async function ownClusterRegistry(env: NodeJS.ProcessEnv): Promise<ClusterRegistry> {
  const src = await ownKubeconfig(env);
  const kubeconfig =
    src.kubeconfigYaml ?? (src.kubeconfigPath ? await readFile(src.kubeconfigPath, 'utf8') : undefined);
  if (kubeconfig === undefined) {
    throw new KsError(
      'InvalidInput',
      'no cluster to serve: set KUBECONFIG_SECRET_ARN (the CDK app does), KUBECONFIG_CONTENT or KUBECONFIG',
    );
  }
  const kube = await HttpKubeClient.fromKubeconfig({ kubeconfigYaml: kubeconfig });
  try {
    return new MemoryClusterRegistry([{ id: await kube.clusterId(), kubeconfig }]);
  } finally {
    kube.close();
  }
}
