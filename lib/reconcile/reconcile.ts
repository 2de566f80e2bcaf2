/**
 * One reconcile of one KluctlDeployment, as a flat list of narrated steps (kluctl-semantics §10.2):
 * read the object, take the lease, prepare (clone + render), plan, deploy/prune, validate, and always
 * write status at the end, also when a step failed. The cluster is only touched after prepare succeeded,
 * so a broken commit leaves cluster and state as they were.
 */
import { randomUUID } from 'node:crypto';
import {
  CONTROLLER_FIELD_MANAGER,
  GITOPS_GROUP,
  GITOPS_VERSION,
  KD_FINALIZER,
  KD_KIND,
} from '../api/constants.js';
import { deployMode, effectiveTimeout, retryInterval, validateEnabled } from '../api/spec-defaults.js';
import type {
  CommandResultSummary,
  KluctlDeployment,
  KluctlDeploymentStatus,
  ValidateResult,
} from '../api/types.js';
import { errorMessage } from '../errors.js';
import type {
  Clock,
  GitSource,
  KubeClient,
  KubeClientFactory,
  Logger,
  ObjectRef,
  StateStore,
} from '../ports.js';
import { summarizeResult } from '../deploy/command-result.js';
import { hasDeployMemory, memoryFromStatus, planReconcile } from './plan.js';
import type { DeployMemory } from './plan.js';
import { prepareProject } from './prepare.js';
import type { PreparedProject } from './prepare.js';
import {
  finalReadyStatus,
  makeCondition,
  prepareFailedMessage,
  projectKeyOf,
  Reasons,
  READY,
  RECONCILING,
  removeCondition,
  setCondition,
} from './status.js';
import { validateObjects } from './validate.js';
import { runDeployStep } from './deploy-step.js';
import type { SopsDecryptor } from '../project/sops/sops-decryptor.js';
import type { VarsServices } from '../project/vars/vars-services.js';
import { acquireLease, readJson, releaseLease, updateJson } from '../state/json-state.js';
import { stateKey as stateKeyOf } from '../state/layout.js';
import { storeCommandResult } from './results.js';
import { finalizeDeletion } from './finalize.js';

/** Everything a reconcile needs, built once per process by a composition root. */
export interface ReconcileDeps {
  readonly kube: KubeClient;
  readonly store: StateStore;
  readonly git: GitSource;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Parent directory of per-reconcile temp dirs. */
  readonly workDir: string;
  readonly kustomizePath?: string;
  /** helm binary; default the pinned one. */
  readonly helmPath?: string;
  /** Builds a SOPS decryptor from the age keys of `spec.decryption` (the controller has no others). */
  readonly sopsWithKeys?: (ageKeys: readonly string[]) => SopsDecryptor;
  /** Services of vars sources beyond the cluster and Git (AWS Secrets Manager, ref listing). */
  readonly varsServices?: VarsServices;
  /** Identifies this worker in leases. */
  readonly holder: string;
  /** Clients for `spec.kubeConfig` clusters and impersonated identities (see ./target-cluster.ts). */
  readonly clusters?: KubeClientFactory;
  /** Service account impersonated when `spec.serviceAccountName` is empty (`--default-service-account`). */
  readonly defaultServiceAccount?: string;
}

/** Which deployment to reconcile. */
export interface ReconcileRequest {
  readonly namespace: string;
  readonly name: string;
  readonly reconcileId?: string;
}

/** The outcome, for logs, the runner's schedule and the function's response. */
export interface ReconcileOutcome {
  readonly outcome: 'succeeded' | 'failed' | 'suspended' | 'gone' | 'busy' | 'finalized';
  readonly message: string;
  readonly deployed: boolean;
  /** When the next reconcile is due (absent when the object is gone). */
  readonly nextRunAt?: Date;
}

/** Reconcile state persisted in the state store per deployment. */
export interface ReconcileMemory extends DeployMemory {
  readonly lastCommit?: string;
}

/** Runs one reconcile. Throws only when status itself cannot be read or written. */
export async function reconcileDeployment(
  deps: ReconcileDeps,
  req: ReconcileRequest,
): Promise<ReconcileOutcome> {
  const reconcileId = req.reconcileId ?? randomUUID();
  const log = deps.logger.child({ name: req.name, namespace: req.namespace, reconcileID: reconcileId });
  const started = deps.clock.now();
  const ref = kdRef(req);

  // 1. Read the object fresh; it may be gone already.
  const kd = (await deps.kube.get(ref)) as KluctlDeployment | undefined;
  if (!kd) return { outcome: 'gone', message: 'KluctlDeployment not found', deployed: false };
  if (kd.metadata.deletionTimestamp) {
    const message = await finalizeDeletion(deps, kd, log);
    return { outcome: 'finalized', message, deployed: false };
  }
  if (!kd.metadata.finalizers?.includes(KD_FINALIZER)) {
    await deps.kube.mergePatch(
      ref,
      { metadata: { finalizers: [...(kd.metadata.finalizers ?? []), KD_FINALIZER] } },
      {
        fieldManager: CONTROLLER_FIELD_MANAGER,
        ...(kd.metadata.resourceVersion ? { resourceVersion: kd.metadata.resourceVersion } : {}),
      },
    );
  }

  // 2. One reconcile per deployment at a time, across processes and functions.
  const clusterId = await deps.kube.clusterId();
  const stateKey = stateKeyOf(clusterId, req.namespace, req.name);
  const deploymentId = { clusterId, namespace: req.namespace, name: req.name };
  const timeoutMs = effectiveTimeout(kd.spec);
  if (!(await acquireLease(deps.store, stateKey, deps.holder, timeoutMs + 60_000, started))) {
    log.info('another reconcile holds the lease; skipping');
    return { outcome: 'busy', message: 'another reconcile is running', deployed: false };
  }

  const generation = kd.metadata.generation ?? 0;
  const cond = (type: string, status: 'True' | 'False' | 'Unknown', reason: string, message: string) =>
    makeCondition(type, status, reason, message, { generation, now: deps.clock.now() });
  const status: Mutable<KluctlDeploymentStatus> = { ...(kd.status ?? {}) };
  let outcome: ReconcileOutcome = { outcome: 'failed', message: 'reconcile did not finish', deployed: false };
  let prepared: PreparedProject | undefined;
  try {
    // 3. Tell the user we are at it, keeping the old Ready until real work starts.
    status.conditions = setCondition(
      status.conditions,
      cond(RECONCILING, 'True', Reasons.progressing, 'Initializing'),
    );
    await patchStatus(deps, ref, { conditions: status.conditions });

    // 4. Suspended deployments are only acknowledged.
    if (kd.spec.suspend) {
      status.observedGeneration = generation;
      status.conditions = removeCondition(status.conditions, RECONCILING);
      outcome = {
        outcome: 'suspended',
        message: 'deployment is suspended',
        deployed: false,
        nextRunAt: after(started, retryInterval(kd.spec)),
      };
      return outcome;
    }

    // 5. Prepare: project key, clone, render, hash. Failures are PrepareFailed and touch nothing.
    try {
      status.projectKey = projectKeyOf(kd.spec);
      prepared = await prepareProject(
        {
          git: deps.git,
          kube: deps.kube,
          workDir: deps.workDir,
          ...(deps.kustomizePath ? { kustomizePath: deps.kustomizePath } : {}),
          ...(deps.helmPath ? { helmPath: deps.helmPath } : {}),
          ...(deps.sopsWithKeys ? { sopsWithKeys: deps.sopsWithKeys } : {}),
          ...(deps.varsServices ? { varsServices: deps.varsServices } : {}),
          ...(deps.clusters ? { clusters: deps.clusters } : {}),
          ...(deps.defaultServiceAccount ? { defaultServiceAccount: deps.defaultServiceAccount } : {}),
        },
        { name: req.name, namespace: req.namespace, spec: kd.spec },
      );
    } catch (err) {
      const message = errorMessage(err);
      log.warn('prepare failed', { error: message });
      status.lastPrepareError = message;
      status.observedGeneration = generation;
      status.conditions = removeCondition(
        setCondition(status.conditions, cond(READY, 'False', Reasons.prepareFailed, prepareFailedMessage())),
        RECONCILING,
      );
      outcome = {
        outcome: 'failed',
        message: `prepare failed: ${message}`,
        deployed: false,
        nextRunAt: after(started, retryInterval(kd.spec)),
      };
      return outcome;
    }
    const rendered = prepared.rendered;
    status.lastPrepareError = '';
    status.observedCommit = prepared.commit;
    status.targetKey = {
      targetName: rendered.target.name,
      clusterId: prepared.targetClusterId,
      discriminator: rendered.discriminator,
    };
    const target = prepared.target.kube;

    // 6. Plan against the persisted memory; a deployment new to our state (e.g. one Kluctl's
    // controller reconciled so far) is planned from what its status remembers, as Kluctl would.
    const stored = (await readJson<ReconcileMemory>(deps.store, stateKey)).value ?? {};
    const seeded = hasDeployMemory(stored) ? {} : memoryFromStatus(kd.status);
    const memory = { ...seeded, ...stored };
    const plan = planReconcile({
      spec: kd.spec,
      generation,
      memory,
      objectsHash: rendered.objectsHash,
      now: deps.clock.now(),
    });
    log.info('planned', {
      deploy: plan.deploy,
      deployReason: plan.deployReason,
      awaitingApproval: plan.awaitingApproval,
      validate: plan.validate,
      validateReason: plan.validateReason,
    });

    // 7. Deploy (and prune) when the plan says so.
    let deployed = false;
    let deploySummary = kd.status?.lastDeployResult as CommandResultSummary | undefined;
    let deployEnd: string | undefined;
    if (plan.deploy) {
      const mode = deployMode(kd.spec);
      status.conditions = setCondition(
        status.conditions,
        cond(READY, 'Unknown', Reasons.progressing, 'Reconciliation in progress'),
      );
      status.conditions = setCondition(
        status.conditions,
        cond(RECONCILING, 'True', Reasons.progressing, `Performing kluctl ${mode}`),
      );
      await patchStatus(deps, ref, { conditions: status.conditions });
      const result = await runDeployStep(target, deps.clock, {
        kd,
        rendered,
        commit: prepared.commit,
        reconcileId,
        clusterId,
        projectKey: status.projectKey!,
        targetKey: status.targetKey,
      });
      deployEnd = result.command.endTime;
      deploySummary = summarizeResult(result);
      status.lastDeployResult = deploySummary;
      await storeCommandResult(deps.store, deploymentId, result);
      deployed = true;
      log.info('deployed', {
        applied: deploySummary.appliedObjects,
        errors: result.errors.length,
        deleted: deploySummary.deletedObjects,
      });
    }

    // 8. Validate.
    let validateResult = kd.status?.lastValidateResult as ValidateResult | undefined;
    if (!validateEnabled(kd.spec)) {
      validateResult = undefined;
      // A merge patch removes a field only when it is null (RFC 7386).
      (status as Record<string, unknown>).lastValidateResult = null;
    } else if (plan.validate) {
      status.conditions = setCondition(
        status.conditions,
        cond(RECONCILING, 'True', Reasons.progressing, 'Performing kluctl validate'),
      );
      validateResult = await validateObjects(target, deps.clock, {
        objects: rendered.items.filter((i) => !i.onlyRender).flatMap((i) => i.objects),
        projectKey: status.projectKey!,
        targetKey: status.targetKey,
        reconcileId,
        renderedObjectsHash: rendered.objectsHash,
        kluctlDeployment: { name: req.name, namespace: req.namespace, clusterId },
      });
      status.lastValidateResult = validateResult;
    }

    // 9. Remember what we did, then compute Ready from the last results.
    await updateJson<ReconcileMemory>(deps.store, stateKey, (m) => ({
      ...seeded,
      ...(m ?? {}),
      lastObjectsHash: rendered.objectsHash,
      lastReconciledGeneration: generation,
      lastManualObjectsHash: kd.spec.manualObjectsHash,
      lastCommit: prepared!.commit,
      ...(deployEnd ? { lastDeployEndTime: deployEnd } : {}),
      ...(plan.validate && validateResult ? { lastValidateEndTime: validateResult.endTime } : {}),
    }));
    // lastObjectsHash is the hash a user approves through spec.manualObjectsHash; both are recorded
    // also when nothing was deployed (null removes a withdrawn approval, RFC 7386).
    status.lastObjectsHash = rendered.objectsHash;
    (status as Record<string, unknown>).lastManualObjectsHash = kd.spec.manualObjectsHash ?? null;
    status.observedGeneration = generation;
    const ready = finalReadyStatus(deploySummary, validateResult, validateEnabled(kd.spec));
    status.conditions = removeCondition(
      setCondition(status.conditions, cond(READY, ready.status, ready.reason, ready.message)),
      RECONCILING,
    );
    outcome = {
      outcome: ready.status === 'True' ? 'succeeded' : 'failed',
      message: ready.message,
      deployed,
      nextRunAt:
        ready.status === 'True'
          ? plan.nextRunAt
          : after(started, Math.min(retryInterval(kd.spec), plan.nextRunAt.getTime() - started.getTime())),
    };
    return outcome;
  } catch (err) {
    // Unexpected failures (API unreachable mid-way, state store down) still end up in status.
    const message = errorMessage(err);
    log.error('reconcile failed', { error: message });
    status.conditions = removeCondition(
      setCondition(status.conditions, cond(READY, 'False', Reasons.deployFailed, message)),
      RECONCILING,
    );
    outcome = {
      outcome: 'failed',
      message,
      deployed: outcome.deployed,
      nextRunAt: after(started, retryInterval(kd.spec)),
    };
    return outcome;
  } finally {
    // 10. Status has one owner and is always written.
    try {
      await patchStatus(deps, ref, status);
    } finally {
      await prepared?.cleanup();
      await releaseLease(deps.store, stateKey, deps.holder).catch((err: unknown) =>
        log.warn('releasing the lease failed', { error: errorMessage(err) }),
      );
      const secs = ((deps.clock.now().getTime() - started.getTime()) / 1000).toFixed(1);
      const next = outcome.nextRunAt
        ? `, next run in ${Math.max(0, Math.round((outcome.nextRunAt.getTime() - deps.clock.now().getTime()) / 1000))}s`
        : '';
      log.info(`Reconciliation finished in ${secs}s${next}`, {
        outcome: outcome.outcome,
        deployed: outcome.deployed,
      });
    }
  }
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

function kdRef(req: ReconcileRequest): ObjectRef {
  return {
    group: GITOPS_GROUP,
    version: GITOPS_VERSION,
    kind: KD_KIND,
    name: req.name,
    namespace: req.namespace,
  };
}

function after(from: Date, ms: number): Date {
  return new Date(from.getTime() + Math.max(0, ms));
}

async function patchStatus(
  deps: ReconcileDeps,
  ref: ObjectRef,
  status: Partial<KluctlDeploymentStatus>,
): Promise<void> {
  await deps.kube.mergePatch(
    ref,
    { status },
    { fieldManager: CONTROLLER_FIELD_MANAGER, subresource: 'status' },
  );
}
