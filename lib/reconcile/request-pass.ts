/**
 * A run that serves one manual command request (`kluctl.io/request-diff|deploy|prune|validate`,
 * lib/reconcile/manual-requests.ts), as Kluctl's controller serves it: take the request, record its
 * start, prepare with the request's overrides, run the one command, store its result (always, since the
 * CLI prints it), and complete the record. The run neither plans nor deploys otherwise, leaves
 * `lastObjectsHash` and `observedGeneration` alone and runs while suspended too; the reconcile that
 * follows at once (lib/reconcile/reconcile.ts) rebuilds Ready. Like Kluctl, a prune request's result
 * replaces `lastDeployResult`, and a deploy request deploys even when approval is pending.
 */
import { deployMode } from '../api/spec-defaults.js';
import type { ProjectKey, TargetKey } from '../api/types.js';
import type { CommandResult } from '../deploy/command-result.js';
import { summarizeResult } from '../deploy/command-result.js';
import { commandProject } from '../deploy/commands/command-base.js';
import { runDiff } from '../deploy/commands/deploy-command.js';
import { runPrune } from '../deploy/commands/prune-command.js';
import type { Clock } from '../ports.js';
import {
  asControllerResult,
  controllerCommandEnv,
  controllerDiffOptions,
  failedCommandResult,
} from './controller-command.js';
import { runDeployStep } from './deploy-step.js';
import type { DeployStepInput } from './deploy-step.js';
import { commandErrorText, finishedRequest, REQUEST_RESULT_FIELD, takeRequest } from './manual-requests.js';
import type { CommandRequestKind, TakenRequest } from './manual-requests.js';
import { loadMemory, rememberPartial } from './memory.js';
import { PrepareError, prepareProject } from './prepare.js';
import type { PrepareDeps, PreparedProject } from './prepare.js';
import type { ReconcileOutcome } from './outcome.js';
import { keepCommandResult, keepValidateResult } from './results.js';
import type { Run } from './run.js';
import type { ResultSinks } from './results.js';
import { prepareErrorText, projectKeyOf } from './status.js';
import type { StatusPatch, StatusWriter } from './status-writer.js';
import { validateObjects } from './validate.js';

/** What serving a request needs of the reconcile's dependencies. */
export interface RequestDeps extends Omit<PrepareDeps, 'sops' | 'signal'>, ResultSinks {
  readonly clock: Clock;
}

/** The run a request is served in, as the reconcile hands it over. */
export interface RequestRun extends Omit<Run, 'deps' | 'started'> {
  readonly deps: RequestDeps;
  readonly status: StatusWriter;
  /** Records a failed prepare in status (Kluctl's PrepareFailed) and gives the run's outcome. */
  readonly failPrepare: (err: unknown, commit?: string) => ReconcileOutcome;
}

/** What the command did, for status, the request's record and the memory. */
interface CommandOutcome {
  readonly status: StatusPatch;
  readonly resultId: string;
  readonly commandError?: string;
  readonly deployEnd?: string;
  readonly validateEnd?: string;
}

/** Serves the pending request of `kind`; the outcome asks for the next run at once (`requeue`). */
export async function serveCommandRequest(
  r: RequestRun,
  kind: CommandRequestKind,
): Promise<ReconcileOutcome> {
  const { deps, status, log } = r;
  let taken: TakenRequest;
  try {
    taken = await takeRequest(deps.kube, r.ref, r.kd, kind, {
      reconcileId: r.reconcileId,
      now: deps.clock.now(),
    });
  } catch (err) {
    // Kluctl takes the annotation off first, so a broken request is reported once, as a failed prepare.
    return r.failPrepare(err);
  }
  const field = REQUEST_RESULT_FIELD[kind];
  log.info(`processing kluctl.io/request-${kind}`, { requestValue: taken.request.requestValue });
  await status.patch({ [field]: taken.started });
  const finish = (outcome: Parameters<typeof finishedRequest>[2], extra: StatusPatch = {}) =>
    status.patch({ ...extra, [field]: finishedRequest(taken.started, deps.clock.now(), outcome) });

  let prepared: PreparedProject;
  try {
    prepared = await prepareProject(
      { ...deps, signal: r.deadline.signal },
      { name: r.kd.metadata.name, namespace: r.kd.metadata.namespace ?? '', spec: taken.kd.spec },
    );
  } catch (err) {
    const cause = r.deadline.reached() ? r.deadline.error('prepare') : err;
    const outcome = r.failPrepare(cause, err instanceof PrepareError ? err.commit : undefined);
    await finish({ commandError: prepareErrorText(cause) });
    return outcome;
  }
  try {
    status.set({ observedCommit: prepared.commit });
    await status.patch({ lastPrepareError: null });
    const spec = taken.kd.spec;
    // A manual request shows its step at once (the CLI that asked for it is waiting).
    await status.progressing(`Performing ${kind === 'deploy' ? deployMode(spec) : kind}`, undefined, true);
    const done = await runRequestedCommand(r, kind, taken, prepared);
    // One patch completes the record together with the result it names: `kluctl gitops diff` clears
    // lastDiffResult as soon as it sees the end time, and must not see it set afterwards.
    await finish(
      { resultId: done.resultId, ...(done.commandError ? { commandError: done.commandError } : {}) },
      done.status,
    );
    const uid = r.kd.metadata.uid;
    const loaded = await loadMemory(deps.store, r.stateKey, r.kd.status, uid, r.state.known);
    r.state.known = await rememberPartial(
      deps.store,
      r.stateKey,
      loaded,
      { ...done, ...(uid ? { uid } : {}) },
      log,
      r.state.known,
    );
    log.info(`finished kluctl.io/request-${kind}`, {
      resultId: done.resultId,
      commandError: done.commandError,
    });
    return {
      outcome: done.commandError ? 'failed' : 'succeeded',
      message: done.commandError ?? `${kind} request ${taken.request.requestValue} done`,
      deployed: kind === 'deploy' || kind === 'prune',
      nextRunAt: deps.clock.now(),
      requeue: true,
    };
  } finally {
    await prepared.cleanup();
  }
}

/** Runs the command of the request against the target cluster and keeps its result. */
async function runRequestedCommand(
  r: RequestRun,
  kind: CommandRequestKind,
  taken: TakenRequest,
  prepared: PreparedProject,
): Promise<CommandOutcome> {
  const { deps } = r;
  const { kd } = taken;
  const projectKey: ProjectKey = projectKeyOf(kd.spec);
  const rendered = prepared.rendered;
  const input: DeployStepInput = {
    kd,
    rendered,
    commit: prepared.commit,
    reconcileId: r.reconcileId,
    clusterId: r.clusterId,
    projectKey,
    signal: r.deadline.signal,
    ...(prepared.ref ? { ref: prepared.ref } : {}),
    ...(taken.request.overridesPatch ? { overridesPatch: taken.request.overridesPatch } : {}),
  };
  const id = { clusterId: r.clusterId, namespace: kd.metadata.namespace ?? '', name: kd.metadata.name };
  const target = prepared.target.kube;
  if (kind === 'validate') {
    const targetKey: TargetKey = {
      targetName: rendered.target.name,
      clusterId: prepared.targetClusterId,
      ...(rendered.discriminator ? { discriminator: rendered.discriminator } : {}),
    };
    const vr = await validateObjects(target, deps.clock, {
      objects: rendered.items.filter((i) => !i.onlyRender).flatMap((i) => i.objects),
      projectKey,
      targetKey,
      reconcileId: r.reconcileId,
      renderedObjectsHash: rendered.objectsHash,
      kluctlDeployment: id,
    });
    const result = taken.request.overridesPatch
      ? { ...vr, overridesPatch: taken.request.overridesPatch }
      : vr;
    await keepValidateResult(deps, result);
    return {
      status: { lastValidateResult: result },
      resultId: result.id,
      validateEnd: result.endTime,
      ...optionalError(commandErrorText('validate', result.errors, result.warnings)),
    };
  }
  const result =
    kind === 'deploy'
      ? await runDeployStep(target, deps.clock, input)
      : await runDiffOrPrune(r, kind, input, target);
  await keepCommandResult(deps, id, result, { force: true });
  const summary = summarizeResult(result);
  await r.report.commandFinished(summary, kind);
  return {
    status: kind === 'diff' ? { lastDiffResult: summary } : { lastDeployResult: summary },
    resultId: result.id,
    ...(kind === 'diff' ? {} : { deployEnd: summary.commandInfo.endTime }),
    ...optionalError(commandErrorText(kind, result.errors, result.warnings)),
  };
}

/**
 * Kluctl's controller diffs with the spec's apply flags, and prunes without waiting for the objects to
 * go (as a dry run under `spec.dryRun`).
 */
async function runDiffOrPrune(
  r: RequestRun,
  kind: 'diff' | 'prune',
  input: DeployStepInput,
  target: PreparedProject['target']['kube'],
): Promise<CommandResult> {
  const clock = r.deps.clock;
  const t0 = clock.now();
  const env = controllerCommandEnv(target, clock, input);
  const project = commandProject(input.rendered);
  const spec = input.kd.spec;
  let result: CommandResult;
  try {
    result =
      kind === 'diff'
        ? await runDiff(env, project, controllerDiffOptions(spec))
        : await runPrune(env, project, { dryRun: spec.dryRun ?? false, wait: false });
  } catch (err) {
    result = await failedCommandResult(env, project, kind, err);
  }
  return asControllerResult(result, {
    kd: input.kd,
    clusterId: input.clusterId,
    startTime: t0,
    renderedObjectsHash: input.rendered.objectsHash,
    ...(input.overridesPatch ? { overridesPatch: input.overridesPatch } : {}),
  });
}

function optionalError(text: string | undefined): { commandError?: string } {
  return text ? { commandError: text } : {};
}
