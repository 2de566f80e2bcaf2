/** Opening a registered cluster's clients, shared by the reconcile and web UI functions. */
import { HttpKubeClient } from '../../lib/adapters/http-kube-client.js';
import { HttpKubeClientFactory } from '../../lib/adapters/kube-client-factory.js';
import type { ConnectCluster } from '../../lib/serverless/cluster-clients.js';

/** A cluster's clients from its registered kubeconfig. */
export const connectCluster: ConnectCluster = async (kubeconfigYaml) => {
  const kube = await HttpKubeClient.fromKubeconfig({ kubeconfigYaml });
  return {
    kube,
    clusters: new HttpKubeClientFactory(kube),
    serviceAccountTokens: kube,
    close: () => kube.close(),
  };
};
