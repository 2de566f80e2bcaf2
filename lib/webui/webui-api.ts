/**
 * The web UI's data and actions over every cluster served: list rows, one deployment's detail with its
 * result history, one result, and the actions. Errors are KsErrors the HTTP layer maps to statuses
 * (KubeNotFound 404, KubeConflict 409, InvalidInput 400).
 */
import type { DriftDetectionResult, KluctlDeployment } from '../api/types.js';
import { obfuscateChanges } from '../deploy/diff/obfuscate.js';
import { KsError } from '../errors.js';
import type { Clock } from '../ports.js';
import type { ReconcileLog } from '../reconcile/reconcile-log.js';
import { resultsOfDeployment } from '../results/kluctl-result-format.js';
import { deploymentDetail, summarizeDeployment } from './deployment-view.js';
import type { DeploymentKey, DeploymentSummary } from './deployment-view.js';
import { commandResultView, resultEntries, validateResultView } from './result-history.js';
import type { CommandResultView, ValidateResultView } from './result-history.js';
import { actionPatch, isWebuiAction } from './webui-actions.js';
import type { WebuiCluster } from './webui-cluster.js';

/** What an action answers. */
export interface ActionDone {
  readonly action: string;
  readonly requestValue?: string;
}

/** Reads and acts on the deployments of `clusters`. */
export class WebuiApi {
  constructor(
    private readonly clusters: readonly WebuiCluster[] | (() => Promise<readonly WebuiCluster[]>),
    private readonly clock: Clock,
  ) {}

  private async served(): Promise<readonly WebuiCluster[]> {
    return typeof this.clusters === 'function' ? this.clusters() : this.clusters;
  }

  /** Every deployment of every cluster, sorted by project, target, namespace and name. */
  async summaries(): Promise<DeploymentSummary[]> {
    const rows = await Promise.all(
      (await this.served()).map(async (c) => {
        const id = await c.clusterId();
        return (await c.listDeployments()).map((kd) => summarizeDeployment(kd, id));
      }),
    );
    return rows
      .flat()
      .sort((a, b) =>
        [a.project, a.target, a.namespace, a.name].join('\0') <
        [b.project, b.target, b.namespace, b.name].join('\0')
          ? -1
          : 1,
      );
  }

  /** One deployment: spec, conditions, status results, drift (Secrets obfuscated) and result history. */
  async detail(key: DeploymentKey): Promise<Record<string, unknown>> {
    const { cluster, kd } = await this.find(key);
    const detail = deploymentDetail(kd, key.clusterId);
    const status = detail.status as Record<string, unknown>;
    const drift = kd.status?.lastDriftDetectionResult;
    return {
      ...detail,
      status: { ...status, lastDriftDetectionResult: drift ? obfuscatedDrift(drift) : undefined },
      results: resultEntries(await cluster.listResults(), key),
    };
  }

  /** One result of the deployment; a result of another deployment is not found. */
  async result(
    key: DeploymentKey,
    kind: string,
    id: string,
  ): Promise<CommandResultView | ValidateResultView> {
    if (kind !== 'command' && kind !== 'validate') {
      throw new KsError('InvalidInput', `result kind must be 'command' or 'validate', not '${kind}'`);
    }
    const { cluster } = await this.find(key);
    const secret = await cluster.getResult(kind, id);
    if (!secret || resultsOfDeployment([secret], key).length === 0) {
      throw new KsError(
        'KubeNotFound',
        `no ${kind} result ${id} of ${key.namespace}/${key.name} (results are kept for a while only)`,
      );
    }
    return kind === 'command' ? commandResultView(secret) : validateResultView(secret);
  }

  /** The kept reconcile logs of the deployment, newest first. */
  async logs(key: DeploymentKey): Promise<ReconcileLog[]> {
    const { cluster } = await this.find(key);
    return (await cluster.reconcileLogs(key.namespace, key.name)).reverse();
  }

  /** Runs `action` on the deployment (see webui-actions.ts). */
  async act(key: DeploymentKey, action: string, hash: string | undefined): Promise<ActionDone> {
    if (!isWebuiAction(action)) throw new KsError('InvalidInput', `unknown action '${action}'`);
    const { cluster, kd } = await this.find(key);
    const p = actionPatch(action, kd, { now: this.clock.now(), ...(hash ? { hash } : {}) });
    await cluster.patchDeployment(key.namespace, key.name, p.patch);
    return { action, ...(p.requestValue ? { requestValue: p.requestValue } : {}) };
  }

  private async find(key: DeploymentKey): Promise<{ cluster: WebuiCluster; kd: KluctlDeployment }> {
    for (const cluster of await this.served()) {
      if ((await cluster.clusterId()) !== key.clusterId) continue;
      const kd = await cluster.getDeployment(key.namespace, key.name);
      if (kd) return { cluster, kd };
    }
    throw new KsError(
      'KubeNotFound',
      `no KluctlDeployment ${key.namespace}/${key.name} on cluster ${key.clusterId}`,
    );
  }
}

function obfuscatedDrift(d: DriftDetectionResult): DriftDetectionResult {
  return {
    ...d,
    ...(d.objects
      ? {
          objects: d.objects.map((o) =>
            o.changes
              ? { ...o, changes: obfuscateChanges({ group: o.ref.group ?? '', kind: o.ref.kind }, o.changes) }
              : o,
          ),
        }
      : {}),
  };
}
