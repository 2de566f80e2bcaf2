/**
 * Command, validate and drift-detection results as Kluctl serialises them into KluctlDeployment status
 * and result-store annotations (kluctl-semantics §7.9). JSON names are Kluctl's exactly; timestamps are
 * RFC 3339 strings. Re-exported by lib/api/types.ts.
 */
import type {
  DeployFlagFields,
  FixedImage,
  GitRefSpec,
  KluctlObjectRef,
  ProjectKey,
  TargetKey,
} from './common-types.js';

/** An error or warning, attached to the object it concerns (an empty ref when none). */
export interface DeploymentError {
  readonly ref: KluctlObjectRef;
  readonly message: string;
}

/** One difference between the desired and the live object. */
export interface Change {
  /** `insert`, `delete` or `update`. */
  readonly type: string;
  readonly jsonPath: string;
  readonly oldValue?: unknown;
  readonly newValue?: unknown;
  readonly unifiedDiff?: string;
}

/** The project target as it was used by a command (Kluctl's `Target`). */
export interface TargetSpec {
  readonly name: string;
  readonly context?: string;
  readonly args?: Readonly<Record<string, unknown>>;
  readonly aws?: Readonly<Record<string, unknown>>;
  readonly images?: readonly FixedImage[];
  readonly discriminator?: string;
}

/** Which KluctlDeployment ran a command. */
export interface KluctlDeploymentInfo {
  readonly name: string;
  readonly namespace: string;
  readonly clusterId: string;
}

/** Who ran which command with which options. */
export interface CommandInfo extends DeployFlagFields {
  readonly initiator: 'CommandLine' | 'KluctlDeployment';
  readonly startTime: string;
  readonly endTime: string;
  /** `deploy`, `diff`, `prune`, `delete` or `poke-images`. */
  readonly command?: string;
  readonly target?: string;
  readonly targetNameOverride?: string;
  readonly contextOverride?: string;
  readonly args?: Readonly<Record<string, unknown>>;
  readonly images?: readonly FixedImage[];
}

/** The Git checkout a command ran on; url and ref are null outside a Git repository. */
export interface GitInfo {
  readonly url: string | null;
  readonly ref: GitRefSpec | null;
  readonly subDir: string;
  readonly commit: string;
  readonly dirty: boolean;
}

/** The cluster a command ran against. */
export interface ClusterInfo {
  /** UID of the kube-system namespace. */
  readonly clusterId: string;
}

/** `status.lastDeployResult` / `lastDiffResult`: a command result without its objects. */
export interface CommandResultSummary {
  readonly id: string;
  readonly reconcileId: string;
  readonly projectKey: ProjectKey;
  readonly targetKey: TargetKey;
  readonly target: TargetSpec;
  readonly commandInfo: CommandInfo;
  readonly kluctlDeployment?: KluctlDeploymentInfo;
  readonly gitInfo?: GitInfo;
  readonly clusterInfo?: ClusterInfo;
  readonly renderedObjectsHash?: string;
  readonly renderedObjects: number;
  readonly remoteObjects: number;
  readonly appliedObjects: number;
  readonly appliedHookObjects: number;
  readonly newObjects: number;
  readonly changedObjects: number;
  readonly orphanObjects: number;
  readonly deletedObjects: number;
  /** Kluctl writes `null` for an empty list. */
  readonly errors: readonly DeploymentError[] | null;
  readonly warnings: readonly DeploymentError[] | null;
  readonly totalChanges: number;
}

/** One validation finding. */
export interface ValidateResultEntry {
  readonly ref: KluctlObjectRef;
  readonly annotation: string;
  readonly message: string;
}

/** `status.lastValidateResult`: the full result of a validate command. */
export interface ValidateResult {
  readonly id: string;
  readonly reconcileId: string;
  readonly projectKey: ProjectKey;
  readonly targetKey: TargetKey;
  readonly kluctlDeployment?: KluctlDeploymentInfo;
  readonly overridesPatch?: Readonly<Record<string, unknown>>;
  readonly renderedObjectsHash?: string;
  readonly startTime: string;
  readonly endTime: string;
  readonly ready: boolean;
  readonly warnings?: readonly DeploymentError[];
  readonly errors?: readonly DeploymentError[];
  readonly results?: readonly ValidateResultEntry[];
}

/** One drifted object: new, orphan, deleted or changed. */
export interface DriftedObject {
  readonly ref: KluctlObjectRef;
  readonly changes?: readonly Change[];
  readonly new?: boolean;
  readonly orphan?: boolean;
  readonly deleted?: boolean;
  readonly hook?: boolean;
  readonly lastResourceVersion: string;
}

/** `status.lastDriftDetectionResult`. */
export interface DriftDetectionResult {
  readonly id: string;
  readonly reconcileId: string;
  readonly projectKey: ProjectKey;
  readonly targetKey: TargetKey;
  readonly kluctlDeployment?: KluctlDeploymentInfo;
  readonly renderedObjectsHash?: string;
  readonly startTime: string;
  readonly endTime: string;
  readonly warnings?: readonly DeploymentError[];
  readonly errors?: readonly DeploymentError[];
  readonly objects?: readonly DriftedObject[];
}
