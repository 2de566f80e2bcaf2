/**
 * The deploy step of a reconcile (kluctl-semantics §10.5): run the spec's deploy mode with the same
 * command the CLI runs (`full-deploy` is `deploy` with the spec's flags and pruning, `poke-images`
 * sets images of live objects) and mark the result as the controller's, the way Kluctl's controller
 * does: initiator `KluctlDeployment`, the spec's args, overrides and images in the command info, the
 * checked-out ref in the git info.
 */
import { deployMode } from '../api/spec-defaults.js';
import type { CommandInfo, GitRefSpec, KluctlDeployment, ProjectKey } from '../api/types.js';
import type { CommandResult } from '../deploy/command-result.js';
import {
  commandProject,
  finishCommandResult,
  ignoreRulesByObject,
  newCommandResult,
} from '../deploy/commands/command-base.js';
import type { CommandEnv, CommandProject } from '../deploy/commands/command-base.js';
import { runDeploy } from '../deploy/commands/deploy-command.js';
import { deployFlagsOf } from '../deploy/deploy-flags.js';
import { collectResultObjects } from '../deploy/diff/collect-objects.js';
import { pokeImages } from '../deploy/poke-images.js';
import { NO_REF } from '../deploy/remote-objects.js';
import { errorMessage } from '../errors.js';
import type { Clock, KubeClient } from '../ports.js';
import type { RenderedProject } from '../project/render-project.js';
import { metaTime } from '../api/meta-time.js';

/** What the deploy step needs to know about the reconcile. */
export interface DeployStepInput {
  readonly kd: KluctlDeployment;
  readonly rendered: RenderedProject;
  readonly commit: string;
  readonly reconcileId: string;
  /** Cluster id of the KluctlDeployment's own cluster (the target's is in `targetKey`). */
  readonly clusterId: string;
  readonly projectKey: ProjectKey;
  /** The ref that was checked out (Kluctl reports it in `gitInfo.ref`). */
  readonly ref?: GitRefSpec;
  /** The run's deadline: nothing new is applied or pruned after it, readiness waits end on it. */
  readonly signal?: AbortSignal;
}

/** Kluctl's controller waits up to 10 minutes for readiness (its CLI 5). */
const CONTROLLER_READINESS_TIMEOUT_MS = 10 * 60_000;

/** Deploys (or pokes images) with `kube`, the target cluster's client, and returns the full command result. */
export async function runDeployStep(
  kube: KubeClient,
  clock: Clock,
  input: DeployStepInput,
): Promise<CommandResult> {
  const { kd, rendered } = input;
  const spec = kd.spec;
  const mode = deployMode(spec);
  const t0 = clock.now();
  const env = controllerCommandEnv(kube, clock, input);
  const project = commandProject(rendered);
  let result: CommandResult;
  try {
    result =
      mode === 'poke-images'
        ? await pokeImagesResult(env, project, rendered, spec.dryRun ?? false)
        : await runDeploy(env, project, {
            prune: spec.prune ?? false,
            ...deployFlagsOf(spec),
            readinessTimeoutMs: CONTROLLER_READINESS_TIMEOUT_MS,
            // Kluctl's controller does not wait for pruned objects to go away.
            waitPrune: false,
            ...(input.signal ? { signal: input.signal } : {}),
          });
  } catch (err) {
    // A failure the command could not attribute to one object (the API went away while listing) is
    // an error of the result without an object, as in Kluctl's command results: the deployment then
    // reports "deploy failed with 1 errors." like any other failed deploy.
    const header = await newCommandResult(
      env,
      project,
      mode === 'poke-images' ? 'poke-images' : 'deploy',
      rendered.discriminator,
    );
    result = finishCommandResult(header, env, { errors: [{ ref: NO_REF, message: errorMessage(err) }] });
  }
  return {
    ...result,
    command: { ...result.command, initiator: 'KluctlDeployment', startTime: metaTime(t0) },
    kluctlDeployment: {
      name: kd.metadata.name,
      namespace: kd.metadata.namespace ?? '',
      clusterId: input.clusterId,
    },
    renderedObjectsHash: rendered.objectsHash,
  };
}

/**
 * The environment the controller runs its commands in (deploy, and the diff of drift detection): the
 * target cluster, the controller's git info and project key, the spec's inclusion rules and command info.
 */
export function controllerCommandEnv(
  kube: KubeClient,
  clock: Clock,
  input: Omit<DeployStepInput, 'rendered' | 'clusterId' | 'signal'>,
): CommandEnv {
  const { kd } = input;
  const spec = kd.spec;
  return {
    kube,
    clock,
    reconcileId: input.reconcileId,
    projectKey: input.projectKey,
    gitInfo: {
      url: spec.source.git?.url ?? spec.source.url ?? null,
      ref: input.ref ?? null,
      subDir: input.projectKey.subDir ?? '',
      commit: input.commit,
      dirty: false,
    },
    inclusion: {
      includeTags: spec.includeTags ?? [],
      excludeTags: spec.excludeTags ?? [],
      includeDeploymentDirs: spec.includeDeploymentDirs ?? [],
      excludeDeploymentDirs: spec.excludeDeploymentDirs ?? [],
    },
    info: controllerCommandInfo(kd),
  };
}

/** `poke-images` only sets container images of live objects (kluctl-semantics §7.11). */
async function pokeImagesResult(
  env: CommandEnv,
  project: CommandProject,
  rendered: RenderedProject,
  dryRun: boolean,
): Promise<CommandResult> {
  const header = await newCommandResult(env, project, 'poke-images', rendered.discriminator);
  const out = await pokeImages(env.kube, rendered, { dryRun });
  return finishCommandResult(
    {
      ...header,
      // Project ignoreForDiff rules and kluctl.io/diff-name apply to the controller's results too.
      objects: collectResultObjects(out.objects, { rulesFor: ignoreRulesByObject(project) }),
    },
    env,
    out,
  );
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
