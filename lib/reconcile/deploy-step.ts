/**
 * The deploy step of a reconcile (kluctl-semantics §10.5): run the spec's deploy mode with the same
 * command the CLI runs (`full-deploy` is `deploy` with the spec's flags and pruning, `poke-images`
 * sets images of live objects) and mark the result as the controller's, the way Kluctl's controller
 * does: initiator `KluctlDeployment`, the spec's args, overrides and images in the command info, the
 * checked-out ref in the git info.
 */
import { deployMode } from '../api/spec-defaults.js';
import type { GitRefSpec, KluctlDeployment, ProjectKey } from '../api/types.js';
import type { CommandResult } from '../deploy/command-result.js';
import { commandProject } from '../deploy/commands/command-base.js';
import { runDeploy } from '../deploy/commands/deploy-command.js';
import { runPokeImages } from '../deploy/commands/poke-images-command.js';
import type { Clock, KubeClient } from '../ports.js';
import type { RenderedProject } from '../project/render-project.js';
import {
  asControllerResult,
  controllerCommandEnv,
  controllerDeployOptions,
  failedCommandResult,
} from './controller-command.js';

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
  /** The `overridesPatch` of the manual request this run serves (recorded in the result). */
  readonly overridesPatch?: Readonly<Record<string, unknown>>;
}

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
        ? await runPokeImages(env, project, rendered, { dryRun: spec.dryRun ?? false })
        : await runDeploy(env, project, controllerDeployOptions(spec, input.signal));
  } catch (err) {
    result = await failedCommandResult(env, project, mode === 'poke-images' ? 'poke-images' : 'deploy', err);
  }
  return asControllerResult(result, {
    kd,
    clusterId: input.clusterId,
    startTime: t0,
    renderedObjectsHash: rendered.objectsHash,
    ...(input.overridesPatch ? { overridesPatch: input.overridesPatch } : {}),
  });
}
