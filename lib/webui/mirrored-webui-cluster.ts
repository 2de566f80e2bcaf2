/**
 * The web UI's clusters as the serverless runtime knows them: which deployments exist comes from the
 * mirrors ingest keeps in the state store (`clusters/<id>/deployments/<ns>/<name>/mirror.json`), so
 * the list needs no cluster to answer; status, result Secrets and actions go to the cluster itself
 * through the connection the cluster registry gives (the reconcile function's own kubeconfig), and the
 * reconcile logs are read from the store (`results/<id>/<ns>/<name>/logs/`).
 */
import { GITOPS_GROUP, GITOPS_VERSION, KD_KIND } from '../api/constants.js';
import type { KluctlDeployment } from '../api/types.js';
import { KsError, errorMessage } from '../errors.js';
import type { KubeClient, KubeObject, Logger, StateStore } from '../ports.js';
import { readReconcileLogs } from '../reconcile/reconcile-log.js';
import type { ReconcileLog } from '../reconcile/reconcile-log.js';
import type { ResultKind } from '../results/kluctl-result-format.js';
import type { MirrorDocument } from '../serverless/protocol.js';
import { readJson } from '../state/json-state.js';
import { CLUSTERS_PREFIX, mirrorKey, parseDeploymentKey } from '../state/layout.js';
import { KubeWebuiCluster } from './webui-cluster.js';
import type { WebuiCluster } from './webui-cluster.js';

/** The client of a registered cluster; undefined when the registry does not know it. */
export type ConnectWebuiCluster = (clusterId: string) => Promise<KubeClient | undefined>;

/** What every mirrored cluster shares. */
export interface MirroredClustersOptions {
  readonly store: StateStore;
  readonly connect: ConnectWebuiCluster;
  readonly logger: Logger;
}

/** One {@link MirroredWebuiCluster} per cluster that has at least one mirror, from one listing. */
export async function mirroredClusters(opts: MirroredClustersOptions): Promise<WebuiCluster[]> {
  const byCluster = new Map<string, { namespace: string; name: string }[]>();
  for (const key of await opts.store.list(CLUSTERS_PREFIX)) {
    const id = parseDeploymentKey(key);
    if (!id || id.file !== 'mirror.json') continue;
    const list = byCluster.get(id.clusterId) ?? [];
    list.push({ namespace: id.namespace, name: id.name });
    byCluster.set(id.clusterId, list);
  }
  return [...byCluster].map(([clusterId, ids]) => new MirroredWebuiCluster(clusterId, ids, opts));
}

/** {@link WebuiCluster} over the mirrors of one cluster and its registered connection. */
export class MirroredWebuiCluster implements WebuiCluster {
  private live: Promise<KubeWebuiCluster> | undefined;

  constructor(
    private readonly id: string,
    private readonly mirrored: readonly { readonly namespace: string; readonly name: string }[],
    private readonly opts: MirroredClustersOptions,
  ) {}

  clusterId(): Promise<string> {
    return Promise.resolve(this.id);
  }

  /** The mirrored deployments, with the status the cluster holds when it answers. */
  async listDeployments(): Promise<KluctlDeployment[]> {
    const mirrors = await Promise.all(
      this.mirrored.map(async (d) => {
        const doc = await readJson<MirrorDocument>(this.opts.store, mirrorKey(this.id, d.namespace, d.name));
        return doc.value;
      }),
    );
    const statuses = new Map<string, KluctlDeployment['status']>();
    try {
      for (const kd of await (await this.cluster()).listDeployments()) {
        statuses.set(`${kd.metadata.namespace}/${kd.metadata.name}`, kd.status);
      }
    } catch (err) {
      // The list still shows what ingest mirrored; only the status columns stay empty.
      this.opts.logger.warn('web UI: cluster not readable, listing mirrors without status', {
        clusterId: this.id,
        error: errorMessage(err),
      });
    }
    return mirrors.flatMap((m) => (m ? [toDeployment(m, statuses)] : []));
  }

  async getDeployment(namespace: string, name: string): Promise<KluctlDeployment | undefined> {
    if (!this.mirrored.some((d) => d.namespace === namespace && d.name === name)) return undefined;
    return (await this.cluster()).getDeployment(namespace, name);
  }

  async listResults(): Promise<KubeObject[]> {
    return (await this.cluster()).listResults();
  }

  async getResult(kind: ResultKind, id: string): Promise<KubeObject | undefined> {
    return (await this.cluster()).getResult(kind, id);
  }

  reconcileLogs(namespace: string, name: string): Promise<ReconcileLog[]> {
    return readReconcileLogs(this.opts.store, { clusterId: this.id, namespace, name });
  }

  async patchDeployment(
    namespace: string,
    name: string,
    patch: Record<string, unknown>,
  ): Promise<KluctlDeployment> {
    return (await this.cluster()).patchDeployment(namespace, name, patch);
  }

  private cluster(): Promise<KubeWebuiCluster> {
    this.live ??= this.opts.connect(this.id).then((kube) => {
      if (!kube) {
        throw new KsError(
          'KubeNotFound',
          `cluster ${this.id} is not in the cluster registry; register it (kluctl-serverless cluster register)`,
        );
      }
      return new KubeWebuiCluster(kube);
    });
    this.live.catch(() => (this.live = undefined));
    return this.live;
  }
}

function toDeployment(
  m: MirrorDocument,
  statuses: Map<string, KluctlDeployment['status']>,
): KluctlDeployment {
  const { metadata, spec } = m.object;
  const status = statuses.get(`${metadata.namespace}/${metadata.name}`);
  return {
    apiVersion: `${GITOPS_GROUP}/${GITOPS_VERSION}`,
    kind: KD_KIND,
    metadata,
    spec,
    ...(status ? { status } : {}),
  } as KluctlDeployment;
}
