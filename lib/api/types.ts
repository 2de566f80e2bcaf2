/**
 * TypeScript shapes of the `KluctlDeployment` resource (gitops.kluctl.io/v1beta1) and of the result
 * summaries it carries in its status. JSON names are Kluctl's exactly (kluctl-semantics §7.9, §9).
 * crds/gitops.kluctl.io_kluctldeployments.yaml is the schema; test/unit/crd-fields.ts lists these types' fields
 * so test/unit/crd-schema.test.ts can hold the two together. Defaults: lib/api/spec-defaults.ts.
 */
import type { KubeObject } from '../ports.js';
import type { DeployFlagFields, FixedImage, GitRefSpec, ProjectKey, TargetKey } from './common-types.js';
import type { CommandResultSummary, DriftDetectionResult, ValidateResult } from './result-types.js';

export type * from './common-types.js';
export type * from './result-types.js';

// ---------------------------------------------------------------------------------------------------
// Shared small types

/** A Secret (or other object) in the KluctlDeployment's own namespace. */
export interface LocalObjectReference {
  readonly name: string;
}

/** A Secret and optionally one of its keys. */
export interface SecretKeyReference {
  readonly name: string;
  /** Default: `value`, then `value.yaml` (kluctl-semantics §9.5). */
  readonly key?: string;
}

/** A Kubernetes `metav1.Condition`. */
export interface Condition {
  readonly type: string;
  readonly status: 'True' | 'False' | 'Unknown';
  readonly observedGeneration?: number;
  /** RFC 3339 timestamp. */
  readonly lastTransitionTime: string;
  readonly reason: string;
  readonly message: string;
}

// ---------------------------------------------------------------------------------------------------
// Spec

/** `spec.source.git`. */
export interface GitSourceSpec {
  readonly url: string;
  readonly ref?: GitRefSpec;
  /** Project sub-directory; default the repository root. */
  readonly path?: string;
}

/** `spec.source.oci.ref`: the digest wins over the tag; default tag `latest`. */
export interface OciRefSpec {
  readonly tag?: string;
  readonly digest?: string;
}

/** `spec.source.oci`. */
export interface OciSourceSpec {
  /** `oci://registry/repository` without tag or digest. */
  readonly url: string;
  readonly ref?: OciRefSpec;
  readonly path?: string;
}

/** `spec.source`. The flat url/ref/path form is deprecated but still means Git. */
export interface ProjectSourceSpec {
  readonly git?: GitSourceSpec;
  readonly oci?: OciSourceSpec;
  /** @deprecated use `git.url`. */
  readonly url?: string;
  /** @deprecated use `git.ref`. */
  readonly ref?: GitRefSpec;
  /** @deprecated use `git.path`. */
  readonly path?: string;
  /** @deprecated rejected at reconcile; use `spec.credentials.git`. Free-form on purpose. */
  readonly secretRef?: Readonly<Record<string, unknown>>;
  /** @deprecated rejected at reconcile; use `spec.credentials.git`. Free-form on purpose. */
  readonly credentials?: readonly Readonly<Record<string, unknown>>[];
}

/** `spec.sourceOverrides[]`. */
export interface SourceOverride {
  /** `git://host/path` or `oci://host/path`. */
  readonly repoKey: string;
  /** `grpc+source-override://<host:port>/<server id>`. */
  readonly url: string;
  readonly isGroup?: boolean;
}

/** `spec.credentials.git[]`. */
export interface GitCredentials {
  /** `*` matches any host but is ignored for http(s) URLs. */
  readonly host: string;
  /** Glob on the repository path. */
  readonly path?: string;
  readonly secretRef: LocalObjectReference;
}

/** `spec.credentials.oci[]`. */
export interface OciCredentials {
  /** `host[:port]`. */
  readonly registry: string;
  /** `org/repo`; either segment may be `*`. */
  readonly repository?: string;
  readonly secretRef: LocalObjectReference;
}

/** `spec.credentials.helm[]`. */
export interface HelmCredentials {
  readonly host: string;
  readonly path?: string;
  readonly secretRef: LocalObjectReference;
}

/** `spec.credentials`: in each list the first matching entry wins. */
export interface ProjectCredentials {
  readonly git?: readonly GitCredentials[];
  readonly oci?: readonly OciCredentials[];
  readonly helm?: readonly HelmCredentials[];
}

/** `spec.helmCredentials[]` (deprecated, rejected at reconcile). */
export interface LegacyHelmCredentials {
  readonly secretRef: LocalObjectReference;
}

/** `spec.decryption`. */
export interface Decryption {
  readonly provider: (typeof DECRYPTION_PROVIDERS)[number];
  readonly secretRef?: LocalObjectReference;
  readonly serviceAccount?: string;
}

/** `spec.kubeConfig`. */
export interface KubeConfigSpec {
  readonly secretRef: SecretKeyReference;
}

/** The values of `spec.deployMode`. */
export const DEPLOY_MODES = ['full-deploy', 'poke-images'] as const;
/** One of {@link DEPLOY_MODES}. */
export type DeployMode = (typeof DEPLOY_MODES)[number];

/** The values of `spec.decryption.provider`. */
export const DECRYPTION_PROVIDERS = ['sops'] as const;

/**
 * `spec`. Fields the API server defaults (booleans, `deployMode`, `validate`) are optional here because
 * objects built in code or read from files may lack them; read them through lib/api/spec-defaults.ts.
 * Durations are Go duration strings (lib/api/durations.ts). The deploy flags and inclusion lists
 * (`dryRun` … `excludeDeploymentDirs`) come from {@link DeployFlagFields}.
 */
export interface KluctlDeploymentSpec extends DeployFlagFields {
  readonly source: ProjectSourceSpec;
  readonly sourceOverrides?: readonly SourceOverride[];
  readonly credentials?: ProjectCredentials;
  readonly decryption?: Decryption;
  readonly interval: string;
  readonly retryInterval?: string;
  readonly deployInterval?: string;
  readonly validateInterval?: string;
  readonly timeout?: string;
  readonly suspend?: boolean;
  /** @deprecated rejected at reconcile; use `credentials.helm`. */
  readonly helmCredentials?: readonly LegacyHelmCredentials[];
  readonly serviceAccountName?: string;
  readonly kubeConfig?: KubeConfigSpec;
  readonly target?: string;
  readonly targetNameOverride?: string;
  readonly context?: string;
  readonly args?: Readonly<Record<string, unknown>>;
  readonly images?: readonly FixedImage[];
  readonly deployMode?: DeployMode;
  readonly validate?: boolean;
  readonly prune?: boolean;
  readonly delete?: boolean;
  readonly manual?: boolean;
  readonly manualObjectsHash?: string;
}

// ---------------------------------------------------------------------------------------------------
// Status

/** The JSON carried in a `kluctl.io/request-*` annotation. */
export interface ManualRequest {
  readonly requestValue: string;
  /** RFC 7386 merge patch applied to the KluctlDeployment (spec only) for this request. */
  readonly overridesPatch?: Readonly<Record<string, unknown>>;
}

/** `status.<kind>RequestResult`: progress and outcome of one manual request. */
export interface ManualRequestResult {
  readonly request: ManualRequest;
  readonly startTime: string;
  readonly endTime?: string;
  readonly reconcileId: string;
  readonly resultId?: string;
  readonly commandError?: string;
}

/** `status`. */
export interface KluctlDeploymentStatus {
  readonly reconcileRequestResult?: ManualRequestResult;
  readonly diffRequestResult?: ManualRequestResult;
  readonly deployRequestResult?: ManualRequestResult;
  readonly pruneRequestResult?: ManualRequestResult;
  readonly validateRequestResult?: ManualRequestResult;
  readonly observedGeneration?: number;
  readonly observedCommit?: string;
  readonly conditions?: readonly Condition[];
  readonly projectKey?: ProjectKey;
  readonly targetKey?: TargetKey;
  readonly lastObjectsHash?: string;
  readonly lastManualObjectsHash?: string;
  /** Full text of the last prepare error; cleared by a successful prepare. */
  readonly lastPrepareError?: string;
  readonly lastDiffResult?: CommandResultSummary;
  readonly lastDeployResult?: CommandResultSummary;
  /** The full validate result, not a summary. */
  readonly lastValidateResult?: ValidateResult;
  readonly lastDriftDetectionResult?: DriftDetectionResult;
  /** `no drift` or e.g. `1 new/2 chg`. */
  readonly lastDriftDetectionResultMessage?: string;
}

/** A KluctlDeployment as read from the API server. */
export interface KluctlDeployment extends KubeObject {
  readonly spec: KluctlDeploymentSpec;
  readonly status?: KluctlDeploymentStatus;
}
