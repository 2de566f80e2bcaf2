/**
 * One cluster as the web UI reads and changes it, through the KubeClient port: its KluctlDeployments,
 * their result Secrets in Kluctl's result store, and merge patches with Kluctl's Webui field manager.
 * The runner serves one cluster; the API takes a list so a multi-cluster host can pass more.
 */
import { GITOPS_GROUP, GITOPS_VERSION, KD_KIND, KD_PLURAL } from '../api/constants.js';
import type { KluctlDeployment } from '../api/types.js';
import type { KubeClient, KubeObject, ObjectRef, ResourceInfo, StateStore } from '../ports.js';
import { readReconcileLogs } from '../reconcile/reconcile-log.js';
import type { ReconcileLog } from '../reconcile/reconcile-log.js';
import { LABEL_RESULT, RESULT_ID_LABEL, RESULT_SECRETS } from '../results/kluctl-result-format.js';
import type { ResultKind } from '../results/kluctl-result-format.js';
import { KLUCTL_RESULTS_NAMESPACE } from '../results/kluctl-result-store.js';

/** Kluctl's Webui field manager for the changes it makes. */
export const WEBUI_FIELD_MANAGER = 'kluctl-webui';

const KDS: ResourceInfo = {
  group: GITOPS_GROUP,
  version: GITOPS_VERSION,
  kind: KD_KIND,
  plural: KD_PLURAL,
  namespaced: true,
  verbs: ['get', 'list', 'patch'],
};

const SECRETS = RESULT_SECRETS;

/** What the web UI needs of one cluster. */
export interface WebuiCluster {
  clusterId(): Promise<string>;
  listDeployments(): Promise<KluctlDeployment[]>;
  getDeployment(namespace: string, name: string): Promise<KluctlDeployment | undefined>;
  /** Every result Secret (both kinds) of the results namespace. */
  listResults(): Promise<KubeObject[]>;
  /** The result Secret of `kind` with `id`, if kept. */
  getResult(kind: ResultKind, id: string): Promise<KubeObject | undefined>;
  /** The kept log lines of the deployment's reconciles, oldest first (none without a state store). */
  reconcileLogs(namespace: string, name: string): Promise<ReconcileLog[]>;
  /** Merge-patches a deployment; returns it as stored. */
  patchDeployment(namespace: string, name: string, patch: Record<string, unknown>): Promise<KluctlDeployment>;
}

/** Options of {@link KubeWebuiCluster}. */
export interface KubeWebuiClusterOptions {
  /** Only this namespace's deployments; default all. */
  readonly namespace?: string;
  /** Kluctl's results namespace; default `kluctl-results`. */
  readonly resultsNamespace?: string;
  /** The runner's state store, where the reconcile logs are kept; default none (no logs shown). */
  readonly store?: StateStore;
}

/** {@link WebuiCluster} over a KubeClient. */
export class KubeWebuiCluster implements WebuiCluster {
  private readonly resultsNamespace: string;

  constructor(
    private readonly kube: KubeClient,
    private readonly opts: KubeWebuiClusterOptions = {},
  ) {
    this.resultsNamespace = opts.resultsNamespace ?? KLUCTL_RESULTS_NAMESPACE;
  }

  clusterId(): Promise<string> {
    return this.kube.clusterId();
  }

  async listDeployments(): Promise<KluctlDeployment[]> {
    const all = await this.kube.list(KDS, this.opts.namespace ? { namespace: this.opts.namespace } : {});
    return all as KluctlDeployment[];
  }

  async getDeployment(namespace: string, name: string): Promise<KluctlDeployment | undefined> {
    if (this.opts.namespace && namespace !== this.opts.namespace) return undefined;
    return (await this.kube.get(kdRef(namespace, name))) as KluctlDeployment | undefined;
  }

  listResults(): Promise<KubeObject[]> {
    return this.kube.list(SECRETS, { namespace: this.resultsNamespace, labelSelector: LABEL_RESULT });
  }

  async getResult(kind: ResultKind, id: string): Promise<KubeObject | undefined> {
    // Result ids are UUIDs; anything else cannot be one and must not reach a label selector.
    if (!/^[A-Za-z0-9-]{1,63}$/.test(id)) return undefined;
    const found = await this.kube.list(SECRETS, {
      namespace: this.resultsNamespace,
      labelSelector: `${RESULT_ID_LABEL[kind]}=${id}`,
    });
    return found[0];
  }

  async reconcileLogs(namespace: string, name: string): Promise<ReconcileLog[]> {
    if (!this.opts.store) return [];
    return readReconcileLogs(this.opts.store, { clusterId: await this.clusterId(), namespace, name });
  }

  async patchDeployment(
    namespace: string,
    name: string,
    patch: Record<string, unknown>,
  ): Promise<KluctlDeployment> {
    return (await this.kube.mergePatch(kdRef(namespace, name), patch, {
      fieldManager: WEBUI_FIELD_MANAGER,
    })) as KluctlDeployment;
  }
}

function kdRef(namespace: string, name: string): ObjectRef {
  return { group: GITOPS_GROUP, version: GITOPS_VERSION, kind: KD_KIND, name, namespace };
}
