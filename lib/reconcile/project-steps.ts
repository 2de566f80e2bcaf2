/**
 * Steps 8 to 12 of a reconcile (reconcile.ts): the work on the project itself once the run holds the
 * lease and no manual request is pending. Prepare (clone, render, hash), plan against the memory,
 * deploy and prune when the plan says so, validate, detect drift, and remember what was done. The
 * cluster is touched only after prepare succeeded.
 */
import { deployMode, retryInterval, validateEnabled } from '../api/spec-defaults.js';
import type { CommandResultSummary, KluctlDeployment, ProjectKey, TargetKey } from '../api/types.js';
import { summarizeResult } from '../deploy/command-result.js';
import type { CommandResult } from '../deploy/command-result.js';
import type { DeadlineError } from './deadline.js';
import { runDeployStep } from './deploy-step.js';
import type { DeployStepInput } from './deploy-step.js';
import { detectDrift, versionsBeforeDiff } from './drift.js';
import { commandErrorText } from './manual-requests.js';
import type { TakenRequest } from './manual-requests.js';
import { loadMemory, rememberRun } from './memory.js';
import { nextReconcileAt, planReconcile } from './plan.js';
import { PrepareError, prepareProject } from './prepare.js';
import type { PreparedProject } from './prepare.js';
import type { ReconcileOutcome } from './outcome.js';
import { keepCommandResult, keepValidateResult, sameValidateFindings } from './results.js';
import type { Run } from './run.js';
import type { StatusWriter } from './status-writer.js';
import { readinessRetryLimit, readinessWaitMessage, validateUntilReady } from './validate.js';

/** What the project steps read from the run, and what they hand back to it. */
export interface ProjectRun {
  readonly run: Run;
  /** The deployment with a reconcile request's overrides applied. */
  readonly kd: KluctlDeployment;
  readonly status: StatusWriter;
  readonly projectKey: ProjectKey;
  readonly request: TakenRequest | undefined;
  /** The failures of this run's commands, for a reconcile request's commandError. */
  readonly commandErrors: (string | undefined)[];
  /** Records a failed prepare in status and returns the outcome that says so. */
  failPrepare(err: unknown, commit?: string): ReconcileOutcome;
  /** Records that the deadline cut the run short and returns the outcome that says so. */
  stop(err: DeadlineError, deploy?: CommandResultSummary): ReconcileOutcome;
  /** Written by the steps: read by the run's last steps and its cleanup. */
  readonly progress: { prepared?: PreparedProject; deployed: boolean; nextRunAt: Date };
}

/**
 * Runs steps 8 to 12. Returns the outcome when a step ended the run early (a failed prepare, the
 * deadline); undefined when the run goes on to build Ready from the results.
 */
export async function reconcileProject(p: ProjectRun): Promise<ReconcileOutcome | undefined> {
  const { run, kd, status, projectKey, request, commandErrors, progress, stop, failPrepare } = p;
  const { deps, ref, reconcileId, clusterId, deadline, log, report } = run;
  const { name, namespace } = ref as { name: string; namespace: string };
  const generation = kd.metadata.generation ?? 0;
  // 8. Prepare: clone, render, hash. Failures are PrepareFailed and touch nothing.
  if (deadline.reached()) return stop(deadline.error('prepare'));
  let prepared: PreparedProject;
  try {
    // The reconcile's dependencies are a superset of prepare's; the deadline stops rendering.
    prepared = await prepareProject({ ...deps, signal: deadline.signal }, { name, namespace, spec: kd.spec });
  } catch (err) {
    const commit = err instanceof PrepareError ? err.commit : undefined;
    // Kluctl reports the commit it checked out also when a later part of prepare failed.
    if (commit) status.set({ observedCommit: commit });
    return deadline.reached() ? stop(deadline.error('prepare')) : failPrepare(err);
  }
  progress.prepared = prepared;
  const rendered = prepared.rendered;
  status.set({ observedCommit: prepared.commit });
  // Kluctl omits an empty lastPrepareError: null removes it (RFC 7386); written with what follows.
  status.defer({ lastPrepareError: null });
  // The target cluster (spec.kubeConfig may name another than ours) and its id.
  const targetKey: TargetKey = {
    targetName: rendered.target.name,
    clusterId: prepared.targetClusterId,
    ...(rendered.discriminator ? { discriminator: rendered.discriminator } : {}),
  };
  await status.patchChanged({ targetKey });
  const target = prepared.target.kube;

  // 9. Plan against the persisted memory (or, for a deployment new to our state, its status).
  const loaded = await loadMemory(deps.store, run.stateKey, kd.status, kd.metadata.uid, run.state.known);
  const plan = planReconcile({
    spec: kd.spec,
    generation,
    memory: loaded.memory,
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
  progress.nextRunAt = plan.nextRunAt;
  // lastObjectsHash is the hash a user approves through spec.manualObjectsHash; both are recorded
  // also when nothing was deployed (null removes a withdrawn approval, RFC 7386).
  status.set({
    lastObjectsHash: rendered.objectsHash,
    lastManualObjectsHash: kd.spec.manualObjectsHash ?? null,
    ...(validateEnabled(kd.spec) ? {} : { lastValidateResult: null }),
  });

  // 10. Deploy (and prune) when the plan says so; the deadline ends waits and stops new applies.
  const stepInput: DeployStepInput = {
    kd,
    rendered,
    commit: prepared.commit,
    reconcileId,
    clusterId,
    projectKey,
    signal: deadline.signal,
    ...(prepared.ref ? { ref: prepared.ref } : {}),
    ...(request?.request.overridesPatch ? { overridesPatch: request.request.overridesPatch } : {}),
  };
  let deployStopped = false;
  let deployResult: CommandResult | undefined;
  if (plan.deploy) {
    if (deadline.reached()) return stop(deadline.error('deploy'));
    // Sent at once: the cluster is about to change (validate and drift detection progress waits).
    await status.progressing(`Performing kluctl ${deployMode(kd.spec)}`, undefined, true);
    const t0 = deps.clock.now().getTime();
    const result = (deployResult = await runDeployStep(target, deps.clock, stepInput));
    const summary = summarizeResult(result);
    status.set({ lastDeployResult: summary });
    progress.deployed = true;
    deployStopped = deadline.reached();
    commandErrors.push(commandErrorText('deploy', result.errors, result.warnings));
    await keepCommandResult(deps, { clusterId, namespace, name }, result);
    await report.commandFinished(summary, deployMode(kd.spec), (deps.clock.now().getTime() - t0) / 1000);
    log.info('deployed', {
      applied: status.status.lastDeployResult?.appliedObjects,
      errors: result.errors.length,
      deleted: status.status.lastDeployResult?.deletedObjects,
    });
  }

  // 11. Validate, unless the deadline came first. Right after a real deploy, a validate failing only
  // on readiness is repeated until the workloads are ready, for up to retryInterval (beyond Kluctl,
  // validate.ts).
  const validated = plan.validate && !deadline.reached();
  if (validated) {
    const step = 'Performing kluctl validate';
    await status.progressing(step);
    const t0 = deps.clock.now().getTime();
    const validateResult = await validateUntilReady(
      target,
      deps.clock,
      {
        objects: rendered.items.filter((i) => !i.onlyRender).flatMap((i) => i.objects),
        projectKey,
        targetKey,
        reconcileId,
        renderedObjectsHash: rendered.objectsHash,
        kluctlDeployment: { name, namespace, clusterId },
        // As Kluctl's validate: list the used kinds by discriminator, then read the rest one by one.
        ...(rendered.discriminator ? { discriminator: rendered.discriminator } : {}),
      },
      {
        limitMs: readinessRetryLimit({
          deployed: plan.deploy && !kd.spec.dryRun,
          retryIntervalMs: retryInterval(kd.spec),
          remainingMs: deadline.at.getTime() - deps.clock.now().getTime(),
        }),
        signal: deadline.signal,
        onWait: (w) => status.progressing(step, readinessWaitMessage(w)),
      },
    );
    const overridesPatch = request?.request.overridesPatch;
    const result = overridesPatch ? { ...validateResult, overridesPatch } : validateResult;
    // A quiet steady state (run-report.ts) does not store a scheduled validate's result again when it
    // found what the last one found: the status shows this run's times with the stored result's id.
    const previous = kd.status?.lastValidateResult;
    const repeated =
      deps.quietSteadyState === true &&
      !request &&
      previous != null &&
      sameValidateFindings(previous, result);
    const lastValidateResult = repeated ? { ...result, id: previous.id } : result;
    status.set({ lastValidateResult });
    commandErrors.push(commandErrorText('validate', validateResult.errors, validateResult.warnings));
    if (!repeated) await keepValidateResult(deps, lastValidateResult);
    report.validated((deps.clock.now().getTime() - t0) / 1000, !repeated);
  }

  // 12. Drift detection, as Kluctl on every full reconcile: a dry-run diff that skips the objects
  // still at the resourceVersion the deploy or the last diff saw matching.
  let resourceVersions = versionsBeforeDiff({
    remembered: loaded.resourceVersions,
    lastObjectsHash: loaded.memory.lastObjectsHash,
    objectsHash: rendered.objectsHash,
    ...(deployResult ? { deploy: { dryRun: kd.spec.dryRun ?? false, objects: deployResult.objects } } : {}),
  });
  if (deps.driftDetection !== false && !deadline.reached()) {
    await status.progressing('Performing drift detection');
    const drift = await detectDrift(target, deps.clock, {
      ...stepInput,
      skipResourceVersions: resourceVersions,
    });
    // A diff cut short by the deadline says nothing reliable: keep the last result.
    if (!deadline.reached()) {
      status.set({
        lastDriftDetectionResult: drift.result,
        lastDriftDetectionResultMessage: drift.message,
      });
      resourceVersions = drift.resourceVersions;
      log.info('drift detection', { drift: drift.message, dryRunApplied: drift.dryRunApplied });
    }
  }
  // Kluctl's memory is its status: a deploy whose status write fails is deployed again next time.
  // Ours is in the state store, so after a deploy the status goes first; if it cannot be written (the
  // API server went away mid-run) the run fails here and the memory stays as it was.
  if (plan.deploy) await status.flush({ observe: false });
  // Remember what we did (the next plan reads it). A deploy cut by the host's deadline did not do
  // what Kluctl's controller would have done, so the next run deploys again.
  run.state.known = await rememberRun(
    deps.store,
    run.stateKey,
    loaded,
    {
      ...(kd.metadata.uid ? { uid: kd.metadata.uid } : {}),
      objectsHash: rendered.objectsHash,
      generation,
      manualObjectsHash: kd.spec.manualObjectsHash,
      commit: prepared.commit,
      ...(plan.deploy ? { deployEnd: status.status.lastDeployResult?.commandInfo.endTime } : {}),
      ...(validated ? { validateEnd: status.status.lastValidateResult?.endTime } : {}),
      ...(deployStopped && deadline.by === 'deadline'
        ? { deployInterrupted: deps.clock.now().toISOString() }
        : {}),
      resourceVersions,
    },
    log,
    run.state.known,
  );
  // As Kluctl: the next run is scheduled from when this one's deploy and validate really ended.
  const deployEnd = plan.deploy ? status.status.lastDeployResult?.commandInfo.endTime : undefined;
  const validateEnd = validated ? status.status.lastValidateResult?.endTime : undefined;
  const lastDeployEnd = deployEnd ?? loaded.memory.lastDeployEndTime;
  const lastValidateEnd = validateEnd ?? loaded.memory.lastValidateEndTime;
  progress.nextRunAt = nextReconcileAt({
    spec: kd.spec,
    now: deps.clock.now(),
    awaitingApproval: plan.awaitingApproval,
    ...(lastDeployEnd ? { lastDeployEnd } : {}),
    ...(lastValidateEnd ? { lastValidateEnd } : {}),
  });
  if (deployStopped) {
    return stop(deadline.error('deploy'), status.status.lastDeployResult ?? undefined);
  }
  if (plan.validate && !validated) return stop(deadline.error('validate'));
  return undefined;
}
