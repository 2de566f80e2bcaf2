/**
 * Deletion of a KluctlDeployment (kluctl-semantics §10.9, Kluctl's `doFinalize`). With `delete: true`
 * and not suspended, the objects of the deployment go: the CLI's `delete` command
 * (lib/deploy/commands/prune-command.ts) runs in the target cluster, as the deployment's identity, on
 * the discriminator recorded in `status.targetKey`, filtered by the spec's inclusion rules, without
 * waiting, and under `dryRun` only as server-side dry runs. Its result is stored like a deploy's (in
 * our state store). Then the deployment's state is forgotten (a re-created object of the same name
 * deploys again), the finalizer goes, and its results leave Kluctl's result store, as Kluctl's orphan
 * cleanup removes them once the object is gone. Delete errors are logged and never keep the finalizer,
 * as in Kluctl.
 *
 * Like Kluctl's finalizer, this neither clones nor renders: the discriminator is the one the last
 * reconcile recorded (what the cluster carries), the inclusion rules are the spec's, and a source that
 * is gone cannot block the deletion. "Preparing" is connecting to the target with the deployment's
 * identity (`spec.kubeConfig`, `spec.serviceAccountName`); when that fails nothing is deleted.
 */
import {
  CONTROLLER_FIELD_MANAGER,
  GITOPS_GROUP,
  GITOPS_VERSION,
  KD_FINALIZER,
  KD_KIND,
} from '../api/constants.js';
import type { KluctlDeployment } from '../api/types.js';
import type { CommandResult } from '../deploy/command-result.js';
import { summarizeResult } from '../deploy/command-result.js';
import { runDelete } from '../deploy/commands/prune-command.js';
import { refString } from '../deploy/object-ref.js';
import { errorMessage } from '../errors.js';
import type { Clock, KubeClient, Logger, ObjectRef, StateStore } from '../ports.js';
import { asControllerResult, controllerCommandEnv } from './controller-command.js';
import { forgetMemory } from './memory.js';
import type { KluctlResultStore } from '../results/kluctl-result-store.js';
import { keepCommandResult } from './results.js';
import { connectTargetCluster } from './target-cluster.js';
import type { TargetClusterDeps } from './target-cluster.js';

/** What the finalizer needs besides the target cluster's dependencies. */
export interface FinalizeDeps extends TargetClusterDeps {
  readonly store: StateStore;
  readonly clock: Clock;
  /** Kluctl's result store, whose results of the deployment go with it; absent: nothing to clean. */
  readonly kluctlResults?: KluctlResultStore;
}

/** The run the finalizer is part of. */
export interface FinalizeRun {
  readonly reconcileId: string;
  /** Id of the cluster the KluctlDeployment lives in (keys its state and results). */
  readonly clusterId: string;
  /** Key of the deployment's state (lib/state/layout.ts `stateKey`). */
  readonly stateKey: string;
}

/** What the finalizer did. */
export interface FinalizeOutcome {
  /** One line for logs and the run's outcome. */
  readonly message: string;
  /** The delete command's result, when the delete ran. */
  readonly result?: CommandResult;
}

/** Runs the finalizer. Throws only when the state or the finalizer cannot be removed. */
export async function finalizeDeletion(
  deps: FinalizeDeps,
  kd: KluctlDeployment,
  run: FinalizeRun,
  log: Logger,
): Promise<FinalizeOutcome> {
  if (!kd.metadata.finalizers?.includes(KD_FINALIZER)) {
    await deleteKluctlResults(deps, kd, run, log);
    return { message: 'no finalizer' };
  }
  log.info('Finalizing');
  const outcome = await deleteObjectsOf(deps, kd, run, log);
  await forgetMemory(deps.store, run.stateKey);
  await removeFinalizer(deps.kube, kd);
  await deleteKluctlResults(deps, kd, run, log);
  log.info(outcome.message);
  return outcome;
}

/** Deletes the deployment's results from Kluctl's result store; a failure is logged. */
async function deleteKluctlResults(
  deps: FinalizeDeps,
  kd: KluctlDeployment,
  run: FinalizeRun,
  log: Logger,
): Promise<void> {
  const { name, namespace = '' } = kd.metadata;
  await deps.kluctlResults
    ?.deleteResultsOf({ name, namespace, clusterId: run.clusterId })
    .catch((err: unknown) => log.warn('deleting the results failed', { error: errorMessage(err) }));
}

/** Kluctl's deletion step: the `delete` command, or nothing when the spec or status does not allow it. */
async function deleteObjectsOf(
  deps: FinalizeDeps,
  kd: KluctlDeployment,
  run: FinalizeRun,
  log: Logger,
): Promise<FinalizeOutcome> {
  const spec = kd.spec;
  if (!spec.delete) return { message: 'finalizer removed (delete is false, objects kept)' };
  if (spec.suspend) return { message: 'finalizer removed (suspended, objects kept)' };
  const { projectKey, targetKey } = kd.status ?? {};
  if (!projectKey || !targetKey) {
    return { message: 'finalizer removed (no project/target key set, skipping deletion)' };
  }
  const discriminator = targetKey.discriminator ?? '';
  log.info(`Deleting objects with discriminator '${discriminator}'`);
  const namespace = kd.metadata.namespace!;
  let target;
  try {
    target = await connectTargetCluster(deps, { namespace, spec });
  } catch (err) {
    log.warn('preparing the deletion failed, nothing deleted', { error: errorMessage(err) });
    return { message: `finalizer removed (deletion not prepared: ${errorMessage(err)})` };
  }
  try {
    const env = controllerCommandEnv(target.kube, deps.clock, {
      kd,
      reconcileId: run.reconcileId,
      projectKey,
    });
    const deleted = await runDelete(env, undefined, {
      discriminator,
      dryRun: spec.dryRun ?? false,
      wait: false,
      confirm: async (refs) => {
        if (refs.length > 0) log.info(`deleting (without waiting): ${refs.map(refString).join(', ')}`);
      },
    });
    // Kluctl names the target by the spec: there is no rendered target to take it from.
    const targetName = spec.targetNameOverride ?? spec.target ?? '';
    const result = asControllerResult(
      { ...deleted, targetKey: { ...deleted.targetKey, targetName } },
      { kd, clusterId: run.clusterId },
    );
    await keepCommandResult(
      { store: deps.store, logger: log },
      { clusterId: run.clusterId, namespace, name: kd.metadata.name },
      result,
    );
    for (const e of result.errors) log.warn('delete failed', { object: e.ref, error: e.message });
    const s = summarizeResult(result);
    const dry = spec.dryRun ? ' (dry run)' : '';
    return {
      message: `finalizer removed, ${s.deletedObjects} objects deleted${dry}, ${result.errors.length} errors`,
      result,
    };
  } finally {
    target.close();
  }
}

/** Removes our finalizer, conditionally on the version read (a concurrent change makes it fail). */
async function removeFinalizer(kube: KubeClient, kd: KluctlDeployment): Promise<void> {
  const rest = (kd.metadata.finalizers ?? []).filter((f) => f !== KD_FINALIZER);
  await kube.mergePatch(
    kdRefOf(kd),
    { metadata: { finalizers: rest.length > 0 ? rest : null } },
    {
      fieldManager: CONTROLLER_FIELD_MANAGER,
      ...(kd.metadata.resourceVersion ? { resourceVersion: kd.metadata.resourceVersion } : {}),
    },
  );
}

/** Adds our finalizer, conditionally on the version read (a concurrent change makes it fail). */
export async function ensureFinalizer(kube: KubeClient, ref: ObjectRef, kd: KluctlDeployment): Promise<void> {
  if (kd.metadata.finalizers?.includes(KD_FINALIZER)) return;
  await kube.mergePatch(
    ref,
    { metadata: { finalizers: [...(kd.metadata.finalizers ?? []), KD_FINALIZER] } },
    {
      fieldManager: CONTROLLER_FIELD_MANAGER,
      ...(kd.metadata.resourceVersion ? { resourceVersion: kd.metadata.resourceVersion } : {}),
    },
  );
}

function kdRefOf(kd: KluctlDeployment): ObjectRef {
  return {
    group: GITOPS_GROUP,
    version: GITOPS_VERSION,
    kind: KD_KIND,
    name: kd.metadata.name,
    namespace: kd.metadata.namespace!,
  };
}
