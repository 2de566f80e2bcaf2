/**
 * The controller's side of the one command path (Kluctl's rule: the controller only schedules what the
 * CLI can do). Every command a KluctlDeployment runs (deploy, poke-images, prune, diff, validate,
 * delete) is the CLI's command of lib/deploy/commands; this file holds what the controller adds
 * around it, written once: the command environment a spec gives (inclusion rules, command info, git
 * info), the deploy options a spec gives, and the marks Kluctl's controller puts on the result
 * (initiator `KluctlDeployment`, the deployment, the reconcile id and rendered objects hash).
 */
import type {
  CommandInfo,
  GitRefSpec,
  KluctlDeployment,
  KluctlDeploymentSpec,
  ProjectKey,
} from '../api/types.js';
import { metaTime } from '../api/meta-time.js';
import type { CommandResult } from '../deploy/command-result.js';
import type { CommandEnv, CommandProject } from '../deploy/commands/command-base.js';
import { finishCommandResult, newCommandResult } from '../deploy/commands/command-base.js';
import type { DeployCommandOptions } from '../deploy/commands/deploy-command.js';
import { deployFlagsOf } from '../deploy/deploy-flags.js';
import { NO_REF } from '../deploy/remote-objects.js';
import { errorMessage } from '../errors.js';
import type { Clock, KubeClient } from '../ports.js';
import { inclusionOf } from '../project/inclusion.js';

/** What the controller knows when it starts a command for a deployment. */
export interface ControllerCommandInput {
  readonly kd: KluctlDeployment;
  readonly reconcileId: string;
  readonly projectKey: ProjectKey;
  /** The commit checked out; absent for commands that run without the source (delete). */
  readonly commit?: string;
  /** The ref that was checked out (Kluctl reports it in `gitInfo.ref`). */
  readonly ref?: GitRefSpec;
}

/**
 * The environment of a controller command on `kube` (the target cluster): the spec's inclusion rules
 * and command info, and, when the source was checked out, its git info.
 */
export function controllerCommandEnv(
  kube: KubeClient,
  clock: Clock,
  input: ControllerCommandInput,
): CommandEnv {
  const spec = input.kd.spec;
  return {
    kube,
    clock,
    reconcileId: input.reconcileId,
    projectKey: input.projectKey,
    ...(input.commit !== undefined
      ? {
          gitInfo: {
            url: gitUrlOf(spec),
            ref: input.ref ?? null,
            subDir: input.projectKey.subDir ?? '',
            commit: input.commit,
            dirty: false,
          },
        }
      : {}),
    inclusion: inclusionOf(spec),
    info: controllerCommandInfo(input.kd),
  };
}

/**
 * The command info Kluctl's controller records: the spec's args, overrides, fixed images, inclusion and
 * dry run (each only when set).
 */
export function controllerCommandInfo(kd: KluctlDeployment): Partial<CommandInfo> {
  const spec = kd.spec;
  const list = <T>(key: string, v: readonly T[] | undefined) => (v && v.length > 0 ? { [key]: v } : {});
  return {
    ...(spec.args && Object.keys(spec.args).length > 0 ? { args: spec.args as Record<string, unknown> } : {}),
    ...(spec.targetNameOverride ? { targetNameOverride: spec.targetNameOverride } : {}),
    ...(spec.context ? { contextOverride: spec.context } : {}),
    ...list('images', spec.images),
    ...list('includeTags', spec.includeTags),
    ...list('excludeTags', spec.excludeTags),
    ...list('includeDeploymentDirs', spec.includeDeploymentDirs),
    ...list('excludeDeploymentDirs', spec.excludeDeploymentDirs),
    ...(spec.dryRun ? { dryRun: true } : {}),
  };
}

/** Kluctl's controller waits up to 10 minutes for readiness (its CLI 5). */
export const CONTROLLER_READINESS_TIMEOUT_MS = 10 * 60_000;

/**
 * The deploy command's options for a spec, as Kluctl's controller runs `deploy`: the spec's flags and
 * `prune`, readiness waits of up to 10 minutes, pruned objects not waited for. `signal` ends waits and
 * stops new applies (the run's deadline).
 */
export function controllerDeployOptions(
  spec: KluctlDeploymentSpec,
  signal?: AbortSignal,
): DeployCommandOptions {
  return {
    prune: spec.prune ?? false,
    ...deployFlagsOf(spec),
    readinessTimeoutMs: CONTROLLER_READINESS_TIMEOUT_MS,
    waitPrune: false,
    ...(signal ? { signal } : {}),
  };
}

/** How {@link asControllerResult} marks a result. */
export interface ControllerResultMarks {
  readonly kd: KluctlDeployment;
  /** Cluster id of the KluctlDeployment's own cluster (the target's is in `targetKey`). */
  readonly clusterId: string;
  /** When the controller started the command (Kluctl counts the prepare in). */
  readonly startTime?: Date;
  /** The rendered objects hash; absent for commands that render nothing (delete). */
  readonly renderedObjectsHash?: string;
  /** The `overridesPatch` of the manual request the command serves (Kluctl records it). */
  readonly overridesPatch?: Readonly<Record<string, unknown>>;
}

/** The result as Kluctl's controller records it: run by the KluctlDeployment, for that deployment. */
export function asControllerResult(result: CommandResult, marks: ControllerResultMarks): CommandResult {
  return {
    ...result,
    command: {
      ...result.command,
      initiator: 'KluctlDeployment',
      ...(marks.startTime ? { startTime: metaTime(marks.startTime) } : {}),
    },
    kluctlDeployment: {
      name: marks.kd.metadata.name,
      namespace: marks.kd.metadata.namespace ?? '',
      clusterId: marks.clusterId,
    },
    ...(marks.overridesPatch ? { overridesPatch: marks.overridesPatch } : {}),
    ...(marks.renderedObjectsHash ? { renderedObjectsHash: marks.renderedObjectsHash } : {}),
  };
}

/**
 * The result of a command that failed as a whole (the API went away while listing): one error without
 * an object, as in Kluctl's command results, so the deployment reports "<command> failed with 1 errors."
 * like any other failed command.
 */
export async function failedCommandResult(
  env: CommandEnv,
  project: CommandProject,
  command: string,
  err: unknown,
): Promise<CommandResult> {
  const header = await newCommandResult(env, project, command, project.discriminator);
  return finishCommandResult(header, env, { errors: [{ ref: NO_REF, message: errorMessage(err) }] });
}

/** The diff options of a spec: its apply flags, as Kluctl's controller diffs (drift and diff requests). */
export function controllerDiffOptions(spec: KluctlDeploymentSpec): {
  readonly forceApply: boolean;
  readonly replaceOnError: boolean;
  readonly forceReplaceOnError: boolean;
} {
  return {
    forceApply: spec.forceApply ?? false,
    replaceOnError: spec.replaceOnError ?? false,
    forceReplaceOnError: spec.forceReplaceOnError ?? false,
  };
}

function gitUrlOf(spec: KluctlDeploymentSpec): string | null {
  return spec.source.git?.url ?? spec.source.url ?? null;
}
