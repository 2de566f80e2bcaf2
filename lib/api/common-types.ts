/**
 * The small types that both the KluctlDeployment resource (lib/api/types.ts) and the command results
 * (lib/api/result-types.ts) are built from: object references, fixed images, Git refs, the project
 * and target keys, and the deploy flags. JSON names are Kluctl's exactly. Re-exported by lib/api/types.ts.
 */

/** An object reference as Kluctl serialises it: group and version are omitted when empty. */
export interface KluctlObjectRef {
  readonly group?: string;
  readonly version?: string;
  readonly kind: string;
  readonly name: string;
  readonly namespace?: string;
}

/** A fixed image override (`images` of targets, the spec and `--fixed-image`). */
export interface FixedImage {
  readonly image?: string;
  readonly imageRegex?: string;
  readonly resultImage: string;
  readonly deployedImage?: string;
  readonly namespace?: string;
  readonly object?: KluctlObjectRef;
  readonly deployment?: string;
  readonly container?: string;
  readonly deployTags?: readonly string[];
  readonly deploymentDir?: string;
}

/** A Git ref: at most one of branch, tag or commit; none means the remote's default branch. */
export interface GitRefSpec {
  readonly branch?: string;
  readonly tag?: string;
  readonly commit?: string;
}

/** Identifies a project: its repository and sub-directory. */
export interface ProjectKey {
  /** `git://host/path` or `oci://host/path`. */
  readonly repoKey?: string;
  readonly subDir?: string;
}

/** Identifies where a project was deployed. */
export interface TargetKey {
  readonly targetName?: string;
  readonly clusterId: string;
  readonly discriminator?: string;
}

/**
 * The deploy flags and inclusion lists as Kluctl names them both in a KluctlDeployment's `spec` and in
 * a command result's `commandInfo` (which records the flags a command ran with).
 */
export interface DeployFlagFields {
  readonly dryRun?: boolean;
  readonly noWait?: boolean;
  readonly forceApply?: boolean;
  readonly replaceOnError?: boolean;
  readonly forceReplaceOnError?: boolean;
  readonly abortOnError?: boolean;
  readonly includeTags?: readonly string[];
  readonly excludeTags?: readonly string[];
  readonly includeDeploymentDirs?: readonly string[];
  readonly excludeDeploymentDirs?: readonly string[];
}
