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
import {
  deployMode,
  effectiveTimeout,
  intervalMs,
  retryInterval,
  validateEnabled,
} from '../api/spec-defaults.js';
import type {
  Condition,
  KluctlDeployment,
  KluctlDeploymentStatus,
  ProjectKey,
  TargetKey,
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
import type { CommandResult } from '../deploy/command-result.js';
import { hasDeployMemory, memoryFromStatus, planReconcile } from './plan.js';
import type { DeployMemory } from './plan.js';
import { PrepareError, prepareProject } from './prepare.js';
import type { PreparedProject } from './prepare.js';
import {
  finalReadyStatus,
  makeCondition,
  prepareErrorText,
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
import type { SopsDecryptor } from '../ports.js';
import type { VarsServices } from '../project/vars/vars-services.js';
import { acquireLease, readJson, releaseLease, updateJson } from '../state/json-state.js';
import { stateKey as stateKeyOf } from '../state/layout.js';
import { storeCommandResult } from './results.js';
import { finalizeDeletion } from './finalize.js';
import { createMergePatch } from '../util/merge-patch.js';

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

/** Reconcile state persisted in the state store per deployment. */
export interface ReconcileMemory extends DeployMemory {
  readonly lastCommit?: string;
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
  const status: StatusPatch = { ...(kd.status ?? {}) };
  const patch = (fields: StatusPatch): Promise<void> => {
    Object.assign(status, fields);
    return patchStatus(deps, ref, fields);
  };
  const setConditions = (ready: Condition | undefined, reconciling: Condition | undefined) => {
    let list = ready ? setCondition(status.conditions ?? [], ready) : [...(status.conditions ?? [])];
    list = reconciling ? setCondition(list, reconciling) : removeCondition(list, RECONCILING);
    return { conditions: list };
  };
  /** Kluctl's "real work starts" step: Ready Unknown, Reconciling names the step. */
  const progressing = (step: string) =>
    patch(
      setConditions(
        cond(READY, 'Unknown', Reasons.progressing, 'Reconciliation in progress'),
        cond(RECONCILING, 'True', Reasons.progressing, step),
      ),
    );
  /** Kluctl's failed-prepare path: full text to lastPrepareError, a short Ready message. */
  const failPrepare = (err: unknown, commit?: string): ReconcileOutcome => {
    const message = errorMessage(err);
    log.warn('prepare failed', { error: message });
    Object.assign(status, {
      lastPrepareError: prepareErrorText(err),
      ...(commit ? { observedCommit: commit } : {}),
      ...setConditions(cond(READY, 'False', Reasons.prepareFailed, prepareFailedMessage(err)), undefined),
    });
    return {
      outcome: 'failed',
      message: `prepare failed: ${message}`,
      deployed: false,
      nextRunAt: after(started, retryInterval(kd.spec)),
    };
  };
  let outcome: ReconcileOutcome = { outcome: 'failed', message: 'reconcile did not finish', deployed: false };
  let prepared: PreparedProject | undefined;
  let deployed = false;
  // Kluctl requeues by the plan (interval, deployInterval, validateInterval) also after a failed deploy
  // or validate; only failures before the plan (prepare) use retryInterval.
  let nextRunAt = after(started, intervalMs(kd.spec));
  try {
    // 3. Tell the user we are at it, keeping the old Ready until real work starts.
    const oldReady = status.conditions?.find((c) => c.type === READY);
    await patch(
      setConditions(
        oldReady
          ? cond(READY, oldReady.status, oldReady.reason, oldReady.message)
          : cond(READY, 'Unknown', Reasons.progressing, 'Reconciliation in progress'),
        cond(RECONCILING, 'True', Reasons.progressing, 'Initializing'),
      ),
    );

    // 4. The project key is written right away, as Kluctl does (its web UI shows it early).
    let projectKey: ProjectKey;
    try {
      projectKey = projectKeyOf(kd.spec);
    } catch (err) {
      return (outcome = failPrepare(err));
    }
    if (!sameJson(status.projectKey, projectKey)) await patch({ projectKey });

    // 5. Suspended deployments are not reconciled; Ready is rebuilt from the last results (step 9).
    if (!kd.spec.suspend) {
      // 6. Prepare: clone, render, hash. Failures are PrepareFailed and touch nothing.
      try {
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
        return (outcome = failPrepare(err, err instanceof PrepareError ? err.commit : undefined));
      }
      const rendered = prepared.rendered;
      status.observedCommit = prepared.commit;
      // Kluctl omits an empty lastPrepareError: null removes it (RFC 7386).
      await patch({ lastPrepareError: null });
      // The target cluster (spec.kubeConfig may name another than ours) and its id.
      const targetKey: TargetKey = {
        targetName: rendered.target.name,
        clusterId: prepared.targetClusterId,
        ...(rendered.discriminator ? { discriminator: rendered.discriminator } : {}),
      };
      if (!sameJson(status.targetKey, targetKey)) await patch({ targetKey });
      const target = prepared.target.kube;

      // 7. Plan against the persisted memory; a deployment new to our state (e.g. one Kluctl's
      // controller reconciled so far) is planned from what its status remembers, as Kluctl would.
      const stored = (await readJson<ReconcileMemory>(deps.store, stateKey)).value ?? {};
      const seeded = hasDeployMemory(stored) ? {} : memoryFromStatus(kd.status);
      const plan = planReconcile({
        spec: kd.spec,
        generation,
        memory: { ...seeded, ...stored },
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
      // lastObjectsHash is the hash a user approves through spec.manualObjectsHash; both are recorded
      // also when nothing was deployed (null removes a withdrawn approval, RFC 7386).
      status.lastObjectsHash = rendered.objectsHash;
      status.lastManualObjectsHash = kd.spec.manualObjectsHash ?? null;
      if (!validateEnabled(kd.spec)) status.lastValidateResult = null;

      // 8. Deploy (and prune) when the plan says so.
      if (plan.deploy) {
        await progressing(`Performing kluctl ${deployMode(kd.spec)}`);
        const result = await runDeployStep(target, deps.clock, {
          kd,
          rendered,
          commit: prepared.commit,
          reconcileId,
          clusterId,
          projectKey,
          ...(prepared.ref ? { ref: prepared.ref } : {}),
        });
        status.lastDeployResult = summarizeResult(result);
        deployed = true;
        await keepResult(deps, deploymentId, result, log);
        log.info('deployed', {
          applied: status.lastDeployResult.appliedObjects,
          errors: result.errors.length,
          deleted: status.lastDeployResult.deletedObjects,
        });
      }

      // 9. Validate.
      if (plan.validate) {
        await progressing('Performing kluctl validate');
        status.lastValidateResult = await validateObjects(target, deps.clock, {
          objects: rendered.items.filter((i) => !i.onlyRender).flatMap((i) => i.objects),
          projectKey,
          targetKey,
          reconcileId,
          renderedObjectsHash: rendered.objectsHash,
          kluctlDeployment: { name: req.name, namespace: req.namespace, clusterId },
        });
      }
      // Remember what we did (the next plan reads it).
      const validateEnd = plan.validate ? status.lastValidateResult?.endTime : undefined;
      const deployEnd = plan.deploy ? status.lastDeployResult?.commandInfo.endTime : undefined;
      await updateJson<ReconcileMemory>(deps.store, stateKey, (m) => ({
        ...seeded,
        ...(m ?? {}),
        lastObjectsHash: rendered.objectsHash,
        lastReconciledGeneration: generation,
        lastManualObjectsHash: kd.spec.manualObjectsHash,
        lastCommit: prepared!.commit,
        ...(deployEnd ? { lastDeployEndTime: deployEnd } : {}),
        ...(validateEnd ? { lastValidateEndTime: validateEnd } : {}),
      })).catch((err: unknown) =>
        // The status holds the results; the next reconcile plans from it when the memory lags.
        log.warn('writing the reconcile state failed', { error: errorMessage(err) }),
      );
      nextRunAt = plan.nextRunAt;
    }

    // 10. Ready from the last results, as Kluctl builds it (also for suspended deployments).
    const ready = finalReadyStatus(
      status.lastDeployResult ?? undefined,
      status.lastValidateResult ?? undefined,
      validateEnabled(kd.spec),
    );
    Object.assign(status, setConditions(cond(READY, ready.status, ready.reason, ready.message), undefined));
    outcome = {
      outcome: kd.spec.suspend ? 'suspended' : ready.status === 'True' ? 'succeeded' : 'failed',
      message: kd.spec.suspend ? 'deployment is suspended' : ready.message,
      deployed,
      nextRunAt,
    };
    return outcome;
  } catch (err) {
    // Unexpected failures (the API server or state store went away) are reported like Kluctl reports
    // every failure outside its commands: as a failed prepare, with the full text in lastPrepareError.
    return (outcome = { ...failPrepare(err), deployed });
  } finally {
    // 11. Status has one owner and is always written, observedGeneration included.
    status.observedGeneration = generation;
    try {
      // Only what changed, and removals as null: stale keys of replaced results must not survive.
      await patchStatus(deps, ref, createMergePatch(kd.status ?? {}, status));
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

/**
 * Stores a deploy result when it says something (new, changed, orphan or deleted objects, errors or
 * warnings), as Kluctl's controller does; a failed write is logged, not fatal.
 */
async function keepResult(
  deps: ReconcileDeps,
  d: { clusterId: string; namespace: string; name: string },
  result: CommandResult,
  log: Logger,
): Promise<void> {
  const s = summarizeResult(result);
  const worth =
    s.newObjects + s.changedObjects + s.orphanObjects + s.deletedObjects > 0 ||
    result.errors.length > 0 ||
    result.warnings.length > 0;
  if (!worth) return;
  await storeCommandResult(deps.store, d, result).catch((err: unknown) =>
    log.warn('writing the command result failed', { error: errorMessage(err) }),
  );
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Status fields to write; `null` removes a field (RFC 7386 merge patch). */
type StatusPatch = { -readonly [K in keyof KluctlDeploymentStatus]?: KluctlDeploymentStatus[K] | null };

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
  status: StatusPatch | Record<string, unknown>,
): Promise<void> {
  await deps.kube.mergePatch(
    ref,
    { status },
    { fieldManager: CONTROLLER_FIELD_MANAGER, subresource: 'status' },
  );
}
