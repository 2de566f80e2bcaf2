/**
 * The field names of every KluctlDeployment type (lib/api/types.ts), as values. Each list is checked by
 * the compiler to name every field of its type (and nothing else), and crd-schema.test.ts checks each
 * list against the matching object (and its `required` list) in
 * crds/gitops.kluctl.io_kluctldeployments.yaml. So a field added to the types but not the CRD (or the
 * reverse) fails either `tsc` or that test. Only that test needs these lists, so they live beside it.
 */
import type {
  Condition,
  Decryption,
  FixedImage,
  GitCredentials,
  GitRefSpec,
  GitSourceSpec,
  HelmCredentials,
  KluctlDeploymentSpec,
  KluctlDeploymentStatus,
  KluctlObjectRef,
  KubeConfigSpec,
  LegacyHelmCredentials,
  LocalObjectReference,
  ManualRequest,
  ManualRequestResult,
  OciCredentials,
  OciRefSpec,
  OciSourceSpec,
  ProjectCredentials,
  ProjectKey,
  ProjectSourceSpec,
  SecretKeyReference,
  SourceOverride,
  TargetKey,
} from '../../lib/api/types.js';
import { DEPLOY_FLAGS } from '../../lib/deploy/deploy-flags.js';

type Unlisted<T, L extends readonly PropertyKey[]> = Exclude<keyof T, L[number]>;
type RequiredKeys<T> = { [K in keyof T]-?: object extends Pick<T, K> ? never : K }[keyof T];
// `unknown` when nothing is missing, else a property the argument lacks, so the compiler names it.
type NoneMissing<Missing> = [Missing] extends [never] ? unknown : { readonly missingFields: Missing };

/**
 * Returns a field list unchanged. The type parameter makes the call fail to compile when the list misses
 * a field of T (the error names it under `missingFields`) or names one T does not have.
 */
function fieldsOf<T>() {
  return <const L extends readonly (keyof T & string)[]>(list: L & NoneMissing<Unlisted<T, L>>): L => list;
}

/** The declared fields of one schema object and which of them are required. */
export interface ObjectShape {
  readonly fields: readonly string[];
  readonly required: readonly string[];
}

/** Like {@link fieldsOf}, plus the required (non-optional) fields of T, checked the same way. */
function shapeOf<T>() {
  return <
    const F extends readonly (keyof T & string)[],
    const R extends readonly (RequiredKeys<T> & string)[],
  >(
    fields: F & NoneMissing<Unlisted<T, F>>,
    required: R & NoneMissing<Exclude<RequiredKeys<T>, R[number]>>,
  ): ObjectShape => ({ fields, required });
}

/** Every field of `spec`. */
export const SPEC_FIELDS = fieldsOf<KluctlDeploymentSpec>()([
  'source',
  'sourceOverrides',
  'credentials',
  'decryption',
  'interval',
  'retryInterval',
  'deployInterval',
  'validateInterval',
  'timeout',
  'suspend',
  'helmCredentials',
  'serviceAccountName',
  'kubeConfig',
  'target',
  'targetNameOverride',
  'context',
  'args',
  'images',
  ...DEPLOY_FLAGS,
  'includeTags',
  'excludeTags',
  'includeDeploymentDirs',
  'excludeDeploymentDirs',
  'deployMode',
  'validate',
  'prune',
  'delete',
  'manual',
  'manualObjectsHash',
]);

/** Every field of `status`. */
export const STATUS_FIELDS = fieldsOf<KluctlDeploymentStatus>()([
  'reconcileRequestResult',
  'diffRequestResult',
  'deployRequestResult',
  'pruneRequestResult',
  'validateRequestResult',
  'observedGeneration',
  'observedCommit',
  'conditions',
  'projectKey',
  'targetKey',
  'lastObjectsHash',
  'lastManualObjectsHash',
  'lastPrepareError',
  'lastDiffResult',
  'lastDeployResult',
  'lastValidateResult',
  'lastDriftDetectionResult',
  'lastDriftDetectionResultMessage',
]);

/** The spec fields holding durations, and which CRD pattern each carries (lib/api/durations.ts). */
export const DURATION_FIELDS = {
  interval: 'strict',
  retryInterval: 'strict',
  timeout: 'strict',
  deployInterval: 'safe',
  validateInterval: 'safe',
} as const satisfies Partial<Record<keyof KluctlDeploymentSpec, 'strict' | 'safe'>>;

const gitRef = shapeOf<GitRefSpec>()(['branch', 'tag', 'commit'], []);
const localRef = shapeOf<LocalObjectReference>()(['name'], ['name']);
const manualRequestResult = shapeOf<ManualRequestResult>()(
  ['request', 'startTime', 'endTime', 'reconcileId', 'resultId', 'commandError'],
  ['request', 'startTime', 'reconcileId'],
);
const manualRequest = shapeOf<ManualRequest>()(['requestValue', 'overridesPatch'], ['requestValue']);
const requestResults = Object.fromEntries(
  ['reconcile', 'diff', 'deploy', 'prune', 'validate'].flatMap((kind) => [
    [`status.${kind}RequestResult`, manualRequestResult],
    [`status.${kind}RequestResult.request`, manualRequest],
  ]),
);

/**
 * Declared and required fields by schema path (`.` between properties, `[]` for array items), for every
 * object in the CRD schema that declares properties. Free-form objects (preserve-unknown-fields) are absent.
 */
export const SCHEMA_OBJECTS: Readonly<Record<string, ObjectShape>> = {
  spec: shapeOf<KluctlDeploymentSpec>()(SPEC_FIELDS, ['source', 'interval']),
  'spec.source': shapeOf<ProjectSourceSpec>()(
    ['git', 'oci', 'url', 'ref', 'path', 'secretRef', 'credentials'],
    [],
  ),
  'spec.source.git': shapeOf<GitSourceSpec>()(['url', 'ref', 'path'], ['url']),
  'spec.source.git.ref': gitRef,
  'spec.source.oci': shapeOf<OciSourceSpec>()(['url', 'ref', 'path'], ['url']),
  'spec.source.oci.ref': shapeOf<OciRefSpec>()(['tag', 'digest'], []),
  'spec.source.ref': gitRef,
  'spec.sourceOverrides[]': shapeOf<SourceOverride>()(['repoKey', 'url', 'isGroup'], ['repoKey', 'url']),
  'spec.credentials': shapeOf<ProjectCredentials>()(['git', 'oci', 'helm'], []),
  'spec.credentials.git[]': shapeOf<GitCredentials>()(['host', 'path', 'secretRef'], ['host', 'secretRef']),
  'spec.credentials.git[].secretRef': localRef,
  'spec.credentials.oci[]': shapeOf<OciCredentials>()(
    ['registry', 'repository', 'secretRef'],
    ['registry', 'secretRef'],
  ),
  'spec.credentials.oci[].secretRef': localRef,
  'spec.credentials.helm[]': shapeOf<HelmCredentials>()(['host', 'path', 'secretRef'], ['host', 'secretRef']),
  'spec.credentials.helm[].secretRef': localRef,
  'spec.helmCredentials[]': shapeOf<LegacyHelmCredentials>()(['secretRef'], ['secretRef']),
  'spec.helmCredentials[].secretRef': localRef,
  'spec.decryption': shapeOf<Decryption>()(['provider', 'secretRef', 'serviceAccount'], ['provider']),
  'spec.decryption.secretRef': localRef,
  'spec.kubeConfig': shapeOf<KubeConfigSpec>()(['secretRef'], ['secretRef']),
  'spec.kubeConfig.secretRef': shapeOf<SecretKeyReference>()(['name', 'key'], ['name']),
  'spec.images[]': shapeOf<FixedImage>()(
    [
      'image',
      'imageRegex',
      'resultImage',
      'deployedImage',
      'namespace',
      'object',
      'deployment',
      'container',
      'deployTags',
      'deploymentDir',
    ],
    ['resultImage'],
  ),
  'spec.images[].object': shapeOf<KluctlObjectRef>()(
    ['group', 'version', 'kind', 'name', 'namespace'],
    ['kind', 'name'],
  ),
  status: shapeOf<KluctlDeploymentStatus>()(STATUS_FIELDS, []),
  ...requestResults,
  'status.conditions[]': shapeOf<Condition>()(
    ['type', 'status', 'observedGeneration', 'lastTransitionTime', 'reason', 'message'],
    ['type', 'status', 'lastTransitionTime', 'reason', 'message'],
  ),
  'status.projectKey': shapeOf<ProjectKey>()(['repoKey', 'subDir'], []),
  'status.targetKey': shapeOf<TargetKey>()(['targetName', 'clusterId', 'discriminator'], ['clusterId']),
};
