/**
 * Composition root of the reconcile function, built once per cold start: the shared parts of
 * functions/shared/compose.ts and the clients of every registered cluster, cached per cluster id. The
 * clusters are the secrets under `CLUSTER_SECRET_PREFIX` (the CDK app sets it); without it, the one
 * cluster of `KUBECONFIG_SECRET_ARN`, `KUBECONFIG_CONTENT` or `KUBECONFIG` (local use), registered under
 * the UID of its kube-system namespace. After each reconcile its next run time goes to the schedule
 * index.
 */
import { readFile } from 'node:fs/promises';
import { HttpKubeClient } from '../../lib/adapters/http-kube-client.js';
import { createSecretsClusterRegistry } from '../../lib/adapters/secrets-cluster-registry.js';
import { KsError } from '../../lib/errors.js';
import { nextRunRecorder } from '../../lib/serverless/schedule-index.js';
import { ClusterClients } from '../../lib/serverless/cluster-clients.js';
import { MemoryClusterRegistry } from '../../lib/serverless/memory-cluster-registry.js';
import type { ClusterRegistry } from '../../lib/serverless/protocol.js';
import { connectCluster } from '../shared/connect-cluster.js';
import { ownKubeconfig, sharedReconcileDeps } from '../shared/compose.js';

export { connectCluster };
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
  const registry =
    opts.registry ??
    (env.CLUSTER_SECRET_PREFIX
      ? createSecretsClusterRegistry({
          prefix: env.CLUSTER_SECRET_PREFIX,
          ...(env.SECRETS_ENDPOINT ? { endpoint: env.SECRETS_ENDPOINT } : {}),
          ...(env.AWS_REGION ? { region: env.AWS_REGION } : {}),
        })
      : await ownClusterRegistry(env));
  const shared = await sharedReconcileDeps(env);
  const recordNextRun = nextRunRecorder(shared.store, { clock: shared.clock });
  return {
    shared,
    clusters: new ClusterClients(registry, connectCluster),
    // The schedule tick finds the deployment again at the time the reconcile computed.
    onReconciled:
      opts.onReconciled ??
      ((msg, outcome) =>
        recordNextRun(
          { clusterId: msg.clusterId, namespace: msg.namespace, name: msg.name },
          outcome.nextRunAt,
        )),
  };
}

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
