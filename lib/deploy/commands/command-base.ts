/**
 * What every command of lib/deploy/commands needs (kluctl-semantics §7.9): the rendered project as the
 * engine sees it, the environment (cluster, clock, progress, git and project keys), and the header of a
 * command result (ids, target, command info, cluster id) that each command fills with objects.
 */
import { randomUUID } from 'node:crypto';
import type { CommandInfo, GitInfo, ProjectKey, TargetSpec } from '../../api/types.js';
import { KubeApiError, errorMessage } from '../../errors.js';
import type { Clock, KubeClient, KubeObject, ObjectRef, Progress } from '../../ports.js';
import { silentProgress, systemClock } from '../../ports.js';
import type { Inclusion } from '../../project/inclusion.js';
import type { RenderedProject } from '../../project/render-project.js';
import type { CommandResult } from '../command-result.js';
import { toKluctlRef } from '../command-result.js';
import type { DeployItem } from '../deploy-types.js';
import { parseIgnoreForDiff, rulesForFlags } from '../diff/ignore-rules.js';
import type { IgnoreFlags, IgnoreForDiffRule } from '../diff/ignore-rules.js';
import { refKey, refOf } from '../object-ref.js';
import { metaTime } from '../../api/meta-time.js';

/** A rendered project as the commands need it (RenderedProject satisfies this). */
export interface CommandProject {
  readonly target: TargetSpec;
  readonly discriminator: string;
  readonly items: readonly (DeployItem & { readonly ignoreForDiff?: readonly unknown[] })[];
  readonly objectsHash?: string;
}

/**
 * The rendered project as the commands take it. The target is reported as Kluctl does: with its
 * context (after any override), args, AWS config (`{}` when none) and images.
 */
export function commandProject(rendered: RenderedProject): CommandProject {
  const t = rendered.target;
  return {
    target: {
      name: t.name,
      ...(t.context ? { context: t.context } : {}),
      ...(t.args ? { args: t.args } : {}),
      aws: { ...t.aws },
      ...(t.images ? { images: t.images as unknown as TargetSpec['images'] } : {}),
      ...(rendered.discriminator ? { discriminator: rendered.discriminator } : {}),
    },
    discriminator: rendered.discriminator,
    items: rendered.items,
    objectsHash: rendered.objectsHash,
  };
}

/** The world a command runs in. */
export interface CommandEnv {
  readonly kube: KubeClient;
  readonly clock?: Clock;
  readonly progress?: Progress;
  readonly projectKey?: ProjectKey;
  readonly gitInfo?: GitInfo;
  /** Command info fields beyond command/start/end (args, overrides, images, flags). */
  readonly info?: Partial<CommandInfo>;
  readonly reconcileId?: string;
  /** Inclusion rules the project was rendered with (delete/prune filter live objects by them). */
  readonly inclusion?: Inclusion;
}

/** Starts a result: id, target, keys, command info, and the cluster id (a warning when unknown). */
export async function newCommandResult(
  env: CommandEnv,
  project: CommandProject | undefined,
  command: string,
  discriminator: string,
): Promise<CommandResult> {
  const clock = env.clock ?? systemClock;
  const warnings: CommandResult['warnings'][number][] = [];
  let clusterId = '';
  try {
    clusterId = await env.kube.clusterId();
  } catch (err) {
    // Kluctl stays silent when kube-system may not be read and warns about other failures.
    if (!(err instanceof KubeApiError && err.status === 403))
      warnings.push({ ref: { kind: '', name: '' }, message: errorMessage(err) });
  }
  const target: TargetSpec = project?.target ?? { name: '' };
  const inc = env.inclusion;
  return {
    id: randomUUID(),
    ...(env.reconcileId ? { reconcileId: env.reconcileId } : {}),
    projectKey: env.projectKey ?? {},
    targetKey: { targetName: target.name, clusterId, ...(discriminator ? { discriminator } : {}) },
    target,
    command: {
      initiator: 'CommandLine',
      startTime: metaTime(clock.now()),
      endTime: metaTime(clock.now()),
      command,
      ...(inc?.includeTags?.length ? { includeTags: inc.includeTags } : {}),
      ...(inc?.excludeTags?.length ? { excludeTags: inc.excludeTags } : {}),
      ...(inc?.includeDeploymentDirs?.length ? { includeDeploymentDirs: inc.includeDeploymentDirs } : {}),
      ...(inc?.excludeDeploymentDirs?.length ? { excludeDeploymentDirs: inc.excludeDeploymentDirs } : {}),
      ...env.info,
    },
    ...(env.gitInfo ? { gitInfo: env.gitInfo } : {}),
    clusterInfo: { clusterId },
    ...(project?.objectsHash ? { renderedObjectsHash: project.objectsHash } : {}),
    objects: [],
    errors: [],
    warnings,
  };
}

/** Sets the end time and appends per-object errors and warnings in Kluctl's serialised form. */
export function finishCommandResult(
  r: CommandResult,
  env: CommandEnv,
  found: {
    errors?: readonly { ref: ObjectRef; message: string }[];
    warnings?: readonly { ref: ObjectRef; message: string }[];
  },
): CommandResult {
  return {
    ...r,
    command: { ...r.command, endTime: metaTime((env.clock ?? systemClock).now()) },
    errors: [
      ...r.errors,
      ...(found.errors ?? []).map((e) => ({ ref: toKluctlRef(e.ref), message: e.message })),
    ],
    warnings: [
      ...r.warnings,
      ...(found.warnings ?? []).map((e) => ({ ref: toKluctlRef(e.ref), message: e.message })),
    ],
  };
}

/** The deployed (not only rendered) objects of a project. */
export function deployedObjects(project: CommandProject): KubeObject[] {
  return project.items.filter((i) => !i.onlyRender).flatMap((i) => i.objects);
}

/** Per rendered object, the `ignoreForDiff` rules of its item plus the command's flags. */
export function ignoreRulesByObject(
  project: CommandProject,
  flags: IgnoreFlags = {},
): (rendered: KubeObject) => readonly IgnoreForDiffRule[] {
  const extra = rulesForFlags(flags);
  const byKey = new Map<string, readonly IgnoreForDiffRule[]>();
  for (const item of project.items) {
    const rules = [...parseIgnoreForDiff(item.ignoreForDiff), ...extra];
    for (const o of item.objects) byKey.set(refKey(refOf(o)), rules);
  }
  return (o) => byKey.get(refKey(refOf(o))) ?? extra;
}

/** A progress that also goes nowhere when none was given. */
export function progressOf(env: CommandEnv): Progress {
  return env.progress ?? silentProgress;
}
