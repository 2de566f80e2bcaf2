/**
 * The deploy step of a reconcile (kluctl-semantics §10.5): run the spec's deploy mode (`full-deploy`
 * with the spec's flags and pruning, or `poke-images`) and shape the outcome as the command result the
 * controller stores and summarises in `status.lastDeployResult`.
 */
import { randomUUID } from 'node:crypto';
import { deployMode } from '../api/spec-defaults.js';
import type { KluctlDeployment, ProjectKey, TargetKey } from '../api/types.js';
import { toKluctlRef } from '../deploy/command-result.js';
import type { CommandResult } from '../deploy/command-result.js';
import { ignoreRulesByObject } from '../deploy/commands/command-base.js';
import { deployProject } from '../deploy/deploy-project.js';
import { collectResultObjects } from '../deploy/diff/collect-objects.js';
import { pokeImages } from '../deploy/poke-images.js';
import type { Clock, KubeClient } from '../ports.js';
import type { RenderedProject } from '../project/render-project.js';

/** What the deploy step needs to know about the reconcile. */
export interface DeployStepInput {
  readonly kd: KluctlDeployment;
  readonly rendered: RenderedProject;
  readonly commit: string;
  readonly reconcileId: string;
  /** Cluster id of the KluctlDeployment's own cluster (the target's is in `targetKey`). */
  readonly clusterId: string;
  readonly projectKey: ProjectKey;
  readonly targetKey: TargetKey;
}

/** Kluctl's controller waits up to 10 minutes for readiness (its CLI 5). */
const CONTROLLER_READINESS_TIMEOUT_MS = 10 * 60_000;

/** Deploys (or pokes images) and returns the full command result. */
export async function runDeployStep(
  kube: KubeClient,
  clock: Clock,
  input: DeployStepInput,
): Promise<CommandResult> {
  const { kd, rendered } = input;
  const spec = kd.spec;
  const mode = deployMode(spec);
  const t0 = clock.now();
  // `poke-images` only sets container images of live objects (kluctl-semantics §7.11).
  const out =
    mode === 'poke-images'
      ? await pokeImages(kube, rendered, { dryRun: spec.dryRun ?? false })
      : await deployProject(kube, rendered, {
          prune: spec.prune ?? false,
          dryRun: spec.dryRun ?? false,
          abortOnError: spec.abortOnError ?? false,
          forceApply: spec.forceApply ?? false,
          replaceOnError: spec.replaceOnError ?? false,
          forceReplaceOnError: spec.forceReplaceOnError ?? false,
          noWait: spec.noWait ?? false,
          readinessTimeoutMs: CONTROLLER_READINESS_TIMEOUT_MS,
          clock,
          inclusion: {
            includeTags: spec.includeTags ?? [],
            excludeTags: spec.excludeTags ?? [],
            includeDeploymentDirs: spec.includeDeploymentDirs ?? [],
            excludeDeploymentDirs: spec.excludeDeploymentDirs ?? [],
          },
        });
  return {
    id: randomUUID(),
    reconcileId: input.reconcileId,
    projectKey: input.projectKey,
    targetKey: input.targetKey,
    target: {
      name: rendered.target.name,
      ...(rendered.discriminator ? { discriminator: rendered.discriminator } : {}),
    },
    command: {
      initiator: 'KluctlDeployment',
      startTime: t0.toISOString(),
      endTime: clock.now().toISOString(),
      command: mode === 'poke-images' ? 'poke-images' : 'deploy',
      ...(spec.target ? { target: spec.target } : {}),
      dryRun: spec.dryRun ?? false,
    },
    kluctlDeployment: {
      name: kd.metadata.name,
      namespace: kd.metadata.namespace ?? '',
      clusterId: input.clusterId,
    },
    gitInfo: {
      url: spec.source.git?.url ?? spec.source.url ?? null,
      ref: spec.source.git?.ref ?? null,
      subDir: input.projectKey.subDir ?? '',
      commit: input.commit,
      dirty: false,
    },
    // The cluster deployed to, which `spec.kubeConfig` may make another than the deployment's own.
    clusterInfo: { clusterId: input.targetKey.clusterId },
    renderedObjectsHash: rendered.objectsHash,
    // Project ignoreForDiff rules and kluctl.io/diff-name apply to the controller's results too.
    objects: collectResultObjects(out.objects, {
      rulesFor: ignoreRulesByObject({
        target: { name: rendered.target.name },
        discriminator: rendered.discriminator,
        items: rendered.items,
      }),
    }),
    errors: out.errors.map((e) => ({ ref: toKluctlRef(e.ref), message: e.message })),
    warnings: out.warnings.map((e) => ({ ref: toKluctlRef(e.ref), message: e.message })),
  };
}
