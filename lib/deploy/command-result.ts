/**
 * Command results as data (STYLE.md rule 3, kluctl-semantics §7.9): every object the command touched,
 * with its changes, and errors and warnings keyed by object. A failure on one object is an entry here,
 * not an exception.
 */
import type {
  ClusterInfo,
  CommandInfo,
  CommandResultSummary,
  DeploymentError,
  GitInfo,
  KluctlDeploymentInfo,
  KluctlObjectRef,
  ProjectKey,
  TargetKey,
  TargetSpec,
} from '../api/types.js';
import type { KubeObject, ObjectRef } from '../ports.js';
import type { Change } from './changes.js';
import { obfuscateChanges, obfuscateObject } from './diff/obfuscate.js';

/** One object of a command result. */
export interface ResultObject {
  ref: ObjectRef;
  changes?: Change[];
  new?: boolean;
  orphan?: boolean;
  deleted?: boolean;
  hook?: boolean;
  rendered?: KubeObject;
  remote?: KubeObject;
  applied?: KubeObject;
}

/** A full command result (Kluctl's `CommandResult`). */
export interface CommandResult {
  id: string;
  reconcileId?: string;
  projectKey: ProjectKey;
  targetKey: TargetKey;
  target: TargetSpec;
  command: CommandInfo;
  kluctlDeployment?: KluctlDeploymentInfo;
  /** The `overridesPatch` of the manual request that ran the command (`kluctl gitops deploy -a ...`). */
  overridesPatch?: Record<string, unknown>;
  gitInfo?: GitInfo;
  clusterInfo: ClusterInfo;
  renderedObjectsHash?: string;
  objects: ResultObject[];
  errors: DeploymentError[];
  warnings: DeploymentError[];
}

/** Kluctl's serialised form of a ref: empty group and version are omitted. */
export function toKluctlRef(ref: ObjectRef): KluctlObjectRef {
  return {
    ...(ref.group ? { group: ref.group } : {}),
    ...(ref.version ? { version: ref.version } : {}),
    kind: ref.kind,
    name: ref.name,
    ...(ref.namespace ? { namespace: ref.namespace } : {}),
  };
}

/**
 * A command result in Kluctl's serialised form (`-o json`, the result store): object refs without empty
 * group and version, empty error and warning lists omitted, `reconcileId` always present.
 */
export function kluctlResultJson(r: CommandResult): Record<string, unknown> {
  const { errors, warnings, objects, reconcileId, ...rest } = r;
  return {
    ...rest,
    reconcileId: reconcileId ?? '',
    objects: objects.map((o) => ({ ...o, ref: toKluctlRef(o.ref) })),
    ...(errors.length > 0 ? { errors } : {}),
    ...(warnings.length > 0 ? { warnings } : {}),
  };
}

/** Counts and messages of a result, as stored in `status.lastDeployResult`. */
export function summarizeResult(r: CommandResult): CommandResultSummary {
  const count = (p: (o: ResultObject) => boolean): number => r.objects.filter(p).length;
  return {
    id: r.id,
    reconcileId: r.reconcileId ?? '',
    projectKey: r.projectKey,
    targetKey: r.targetKey,
    target: r.target,
    commandInfo: r.command,
    ...(r.kluctlDeployment ? { kluctlDeployment: r.kluctlDeployment } : {}),
    ...(r.gitInfo ? { gitInfo: r.gitInfo } : {}),
    clusterInfo: r.clusterInfo,
    renderedObjects: count((o) => o.rendered !== undefined),
    remoteObjects: count((o) => o.remote !== undefined),
    appliedObjects: count((o) => o.applied !== undefined && !o.hook),
    appliedHookObjects: count((o) => o.applied !== undefined && o.hook === true),
    newObjects: count((o) => o.new === true),
    changedObjects: count((o) => (o.changes?.length ?? 0) > 0),
    orphanObjects: count((o) => o.orphan === true),
    deletedObjects: count((o) => o.deleted === true),
    ...(r.renderedObjectsHash ? { renderedObjectsHash: r.renderedObjectsHash } : {}),
    // Kluctl writes `null` for empty lists here (the API server then drops the field).
    errors: r.errors.length > 0 ? r.errors : null,
    warnings: r.warnings.length > 0 ? r.warnings : null,
    totalChanges: r.objects.reduce((n, o) => n + (o.changes?.length ?? 0), 0),
  };
}

/**
 * A copy of the result safe to store or print: Secret values are replaced in the object bodies and in
 * the change records (lib/deploy/diff/obfuscate.ts; DESIGN.md §4: no plaintext secret data stored).
 */
export function obfuscateSecrets(r: CommandResult): CommandResult {
  return {
    ...r,
    objects: r.objects.map((o) => ({
      ...o,
      ...(o.rendered ? { rendered: obfuscateObject(o.rendered) } : {}),
      ...(o.remote ? { remote: obfuscateObject(o.remote) } : {}),
      ...(o.applied ? { applied: obfuscateObject(o.applied) } : {}),
      ...(o.changes ? { changes: obfuscateChanges(o.ref, o.changes) } : {}),
    })),
  };
}
