/**
 * Drift detection, as Kluctl's controller runs it on every full reconcile (reconcileFullRequest2 in
 * pkg/controllers/kluctldeployment_controller_reconcile.go): the `diff` command (a server-side dry-run
 * apply of every rendered object, diffed against the live one, orphans listed) whose objects with
 * changes, new, orphan or deleted become `status.lastDriftDetectionResult`, summed up in
 * `status.lastDriftDetectionResultMessage` (the DRIFT printer column).
 *
 * The diff skips objects whose resourceVersion is the one remembered from the last deploy or diff that
 * saw them match, so an unchanged deployment costs the listing by discriminator and no dry-run applies.
 * Kluctl keeps that map in the controller's memory; we keep it in the reconcile state (memory.ts), so
 * it survives between functions. The bookkeeping follows Kluctl's: forget everything when the rendered
 * objects changed without a deploy or after a dry-run deploy, take the versions of a real deploy, and
 * after the diff keep the versions of every object except the drifted ones (so they are diffed again).
 */
import type { DriftDetectionResult, DriftedObject } from '../api/types.js';
import type { CommandResult, ResultObject } from '../deploy/command-result.js';
import { toKluctlRef } from '../deploy/command-result.js';
import { commandProject } from '../deploy/commands/command-base.js';
import { runDiff } from '../deploy/commands/deploy-command.js';
import { obfuscateChanges } from '../deploy/diff/obfuscate.js';
import { refKey } from '../deploy/object-ref.js';
import type { Clock, KubeClient } from '../ports.js';
import { controllerCommandEnv, controllerDiffOptions, failedCommandResult } from './controller-command.js';
import type { DeployStepInput } from './deploy-step.js';

/** resourceVersions by refKey of the objects known to match their rendered form. */
export type ResourceVersions = Readonly<Record<string, string>>;

/** Inputs of {@link detectDrift}: those of the deploy step and the versions to skip. */
export interface DriftInput extends DeployStepInput {
  readonly skipResourceVersions: ResourceVersions;
}

/** What one drift detection found. */
export interface DriftOutcome {
  /** `status.lastDriftDetectionResult`. */
  readonly result: DriftDetectionResult;
  /** `status.lastDriftDetectionResultMessage`. */
  readonly message: string;
  /** The versions the next drift detection may skip. */
  readonly resourceVersions: ResourceVersions;
  /** How many objects were dry-run applied (the others were skipped by their resourceVersion). */
  readonly dryRunApplied: number;
}

/**
 * Runs the diff on the target cluster and builds the drift result. A failure the diff cannot attribute
 * to one object (the API went away) is an error of the result, as in Kluctl's command results.
 */
export async function detectDrift(kube: KubeClient, clock: Clock, input: DriftInput): Promise<DriftOutcome> {
  const { kd, rendered } = input;
  const env = controllerCommandEnv(kube, clock, input);
  const project = commandProject(rendered);
  const skip = new Map(Object.entries(input.skipResourceVersions));
  let diff: CommandResult;
  try {
    diff = await runDiff(env, project, {
      ...controllerDiffOptions(kd.spec),
      skipResourceVersions: skip,
      ...(input.signal ? { signal: input.signal } : {}),
    });
  } catch (err) {
    diff = await failedCommandResult(env, project, 'diff', err);
  }
  const result = driftDetectionResult({
    ...diff,
    kluctlDeployment: {
      name: kd.metadata.name,
      namespace: kd.metadata.namespace ?? '',
      clusterId: input.clusterId,
    },
    renderedObjectsHash: rendered.objectsHash,
  });
  return {
    result,
    message: driftMessage(result),
    resourceVersions: resourceVersionsOf(diff.objects, result.objects ?? []),
    // A skipped object's applied object is its live one.
    dryRunApplied: diff.objects.filter((o) => o.applied !== undefined && o.applied !== o.remote).length,
  };
}

/** Kluctl's drift detection result of a diff: its header and the objects that drifted. */
export function driftDetectionResult(diff: CommandResult): DriftDetectionResult {
  const objects = diff.objects.filter(drifted).map(driftedObject);
  return {
    id: diff.id,
    reconcileId: diff.reconcileId ?? '',
    projectKey: diff.projectKey,
    targetKey: diff.targetKey,
    ...(diff.kluctlDeployment ? { kluctlDeployment: diff.kluctlDeployment } : {}),
    ...(diff.renderedObjectsHash ? { renderedObjectsHash: diff.renderedObjectsHash } : {}),
    startTime: diff.command.startTime,
    endTime: diff.command.endTime,
    // Kluctl omits empty lists.
    ...(diff.warnings.length > 0 ? { warnings: diff.warnings } : {}),
    ...(diff.errors.length > 0 ? { errors: diff.errors } : {}),
    ...(objects.length > 0 ? { objects } : {}),
  };
}

function drifted(o: ResultObject): boolean {
  return o.new === true || o.orphan === true || o.deleted === true || (o.changes?.length ?? 0) > 0;
}

function driftedObject(o: ResultObject): DriftedObject {
  // Unlike Kluctl, Secret values never reach the status (STYLE.md: no secret data in status).
  const changes = o.changes?.length ? obfuscateChanges(o.ref, o.changes) : undefined;
  return {
    ref: toKluctlRef(o.ref),
    ...(changes ? { changes } : {}),
    ...(o.new ? { new: true } : {}),
    ...(o.orphan ? { orphan: true } : {}),
    ...(o.deleted ? { deleted: true } : {}),
    ...(o.hook ? { hook: true } : {}),
    lastResourceVersion: versionOf(o) ?? '',
  };
}

/** The version of what the command left: the applied object, else the live one. */
function versionOf(o: ResultObject): string | undefined {
  return (o.applied ?? o.remote)?.metadata.resourceVersion || undefined;
}

/**
 * Kluctl's short message: `no drift`, else the non-zero counts of new, changed, orphan and deleted
 * objects, errors and warnings, e.g. `1 new/2 chg/1 err`.
 */
export function driftMessage(dr: DriftDetectionResult): string {
  const objects = dr.objects ?? [];
  if (objects.length === 0) return 'no drift';
  const counts: [number, string][] = [
    [objects.filter((o) => o.new).length, 'new'],
    [objects.filter((o) => (o.changes?.length ?? 0) > 0).length, 'chg'],
    [objects.filter((o) => o.orphan).length, 'orp'],
    [objects.filter((o) => o.deleted).length, 'del'],
    [dr.errors?.length ?? 0, 'err'],
    [dr.warnings?.length ?? 0, 'wrn'],
  ];
  return counts
    .filter(([n]) => n > 0)
    .map(([n, what]) => `${n} ${what}`)
    .join('/');
}

/**
 * The resourceVersions of a command's objects (applied, else live), without the drifted ones so that
 * the next diff looks at them again. Keys are refKeys of the result's refs, as Kluctl keys its map.
 */
export function resourceVersionsOf(
  objects: readonly ResultObject[],
  drift: readonly DriftedObject[] = [],
): ResourceVersions {
  const out: Record<string, string> = {};
  for (const o of objects) {
    const v = versionOf(o);
    if (v) out[refKey(o.ref)] = v;
  }
  for (const d of drift) {
    const { group = '', kind, name, namespace } = d.ref;
    delete out[refKey({ group, version: '', kind, name, ...(namespace ? { namespace } : {}) })];
  }
  return out;
}

/** What happened before the diff, for {@link versionsBeforeDiff}. */
export interface VersionsBeforeDiff {
  /** The versions remembered by the last run. */
  readonly remembered: ResourceVersions | undefined;
  /** The rendered objects hash the last run saw, and this run's. */
  readonly lastObjectsHash: string | undefined;
  readonly objectsHash: string;
  /** This run's deploy, when it deployed: a dry run, and its objects. */
  readonly deploy?: { readonly dryRun: boolean; readonly objects: readonly ResultObject[] };
}

/**
 * The versions the diff may skip, by Kluctl's rules: a deploy's own objects (none after a dry run, whose
 * applied objects are not what the cluster holds); without a deploy, the remembered ones unless the
 * rendered objects changed since (then nothing can be skipped).
 */
export function versionsBeforeDiff(v: VersionsBeforeDiff): ResourceVersions {
  if (v.deploy) return v.deploy.dryRun ? {} : resourceVersionsOf(v.deploy.objects);
  if (v.lastObjectsHash !== v.objectsHash) return {};
  return v.remembered ?? {};
}
