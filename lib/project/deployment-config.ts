/**
 * `deployment.yaml` (kluctl-semantics §2.2, 2.3) and vars sources (§3.2): types and the strict schema.
 * The schema accepts every field Kluctl knows, also those kluctl-serverless does not implement (`oci`
 * includes; the gcpSecretManager, vault and azureKeyVault vars sources): a project using one fails
 * where it is used, with a message naming the feature, instead of as an "unknown field".
 */
import { ProjectLoadError } from '../errors.js';
import { S, decodeYaml } from '../util/strict-yaml.js';
import type { Spec } from '../util/strict-yaml.js';

/** An object reference of `deleteObjects` / `waitReadinessObjects`. */
export interface ObjectRefItem {
  readonly group?: string;
  readonly kind?: string;
  readonly name: string;
  readonly namespace?: string;
}

/** One `vars:` entry. Exactly one source field is set. */
export interface VarsSource {
  readonly values?: Record<string, unknown>;
  readonly file?: string;
  readonly ignoreMissing?: boolean;
  readonly noOverride?: boolean;
  readonly sensitive?: boolean;
  readonly multidoc?: boolean;
  readonly targetPath?: string;
  readonly when?: string;
  readonly [source: string]: unknown;
}

/** One entry of `deployments:`. */
export interface DeploymentItemConfig {
  readonly path?: string;
  readonly include?: string;
  readonly git?: unknown;
  readonly oci?: unknown;
  readonly deleteObjects?: readonly ObjectRefItem[];
  readonly tags?: readonly string[];
  readonly barrier?: boolean;
  readonly message?: string;
  readonly recursive?: boolean;
  readonly waitReadiness?: boolean;
  readonly waitReadinessObjects?: readonly ObjectRefItem[];
  readonly args?: Record<string, unknown>;
  readonly passVars?: boolean;
  readonly vars?: readonly VarsSource[];
  readonly skipDeleteIfTags?: boolean;
  readonly onlyRender?: boolean;
  readonly alwaysDeploy?: boolean;
  readonly when?: string;
}

/** A decoded `deployment.yaml`. */
export interface DeploymentProjectConfig {
  readonly vars?: readonly VarsSource[];
  readonly when?: string;
  readonly deployments?: readonly DeploymentItemConfig[];
  readonly commonLabels?: Readonly<Record<string, string>>;
  readonly commonAnnotations?: Readonly<Record<string, string>>;
  readonly overrideNamespace?: string;
  readonly tags?: readonly string[];
  readonly ignoreForDiff?: readonly unknown[];
  readonly conflictResolution?: readonly unknown[];
}

/**
 * The vars source types Kluctl knows (§3.2); lib/project/vars/vars-loader.ts loads all but
 * gcpSecretManager, vault and azureKeyVault, which fail as not supported.
 */
export const VARS_SOURCE_TYPES = [
  'values',
  'file',
  'git',
  'gitFiles',
  'clusterConfigMap',
  'clusterSecret',
  'clusterObject',
  'systemEnvVars',
  'http',
  'awsSecretsManager',
  'gcpSecretManager',
  'vault',
  'azureKeyVault',
] as const;

const VARS_SOURCE: Spec = S.object({
  ...Object.fromEntries(VARS_SOURCE_TYPES.map((t) => [t, t === 'file' ? S.string : S.any])),
  ignoreMissing: S.bool,
  noOverride: S.bool,
  sensitive: S.bool,
  multidoc: S.bool,
  targetPath: S.string,
  when: S.string,
});

const OBJECT_REF: Spec = S.object({ group: S.string, kind: S.string, name: S.string, namespace: S.string });
const GIT_REF: Spec = S.object({ branch: S.string, tag: S.string, commit: S.string });

const ITEM: Spec = S.object({
  path: S.string,
  include: S.string,
  git: S.stringOr(S.object({ url: S.string, ref: S.stringOr(GIT_REF), subDir: S.string })),
  oci: S.object({ url: S.string, ref: S.object({ tag: S.string, digest: S.string }), subDir: S.string }),
  deleteObjects: S.list(OBJECT_REF),
  tags: S.list(S.string),
  barrier: S.bool,
  message: S.string,
  recursive: S.bool,
  waitReadiness: S.bool,
  waitReadinessObjects: S.list(OBJECT_REF),
  args: S.map(S.any),
  passVars: S.bool,
  vars: S.list(VARS_SOURCE),
  skipDeleteIfTags: S.bool,
  onlyRender: S.bool,
  alwaysDeploy: S.bool,
  when: S.string,
});

const DEPLOYMENT_PROJECT: Spec = S.object({
  vars: S.list(VARS_SOURCE),
  when: S.string,
  deployments: S.list(ITEM),
  commonLabels: S.map(S.string),
  commonAnnotations: S.map(S.string),
  overrideNamespace: S.string,
  tags: S.list(S.string),
  ignoreForDiff: S.list(S.any),
  conflictResolution: S.list(S.any),
});

/** Checks the rules Kluctl's validator applies to one item (types/deployment.go). */
function validateItem(item: DeploymentItemConfig, index: number, file: string): void {
  const where = `deployments[${index}]`;
  const err = (msg: string): never => {
    throw new ProjectLoadError(`${where}: ${msg}`, { file });
  };
  const kinds = ['path', 'include', 'git', 'oci'].filter(
    (k) => item[k as keyof DeploymentItemConfig] !== undefined,
  );
  const isInclude = kinds.some((k) => k !== 'path');
  if (kinds.length > 1) err('only one of path, include, git and oci can be set at the same time');
  if (item.recursive && item.path === undefined) err('recursive can only be set when path is set');
  if (item.waitReadiness && item.path === undefined)
    err('only kustomize deployments are allowed to have waitReadiness set');
  if (item.args && Object.keys(item.args).length > 0 && !isInclude) {
    err('args are only allowed when another project is included (via include, git or oci)');
  }
  if (item.passVars && !isInclude)
    err('passVars is only allowed when another project is included (via include, git or oci)');
  for (const ref of [...(item.deleteObjects ?? []), ...(item.waitReadinessObjects ?? [])]) {
    if (!ref.name) err('object references need a name');
    if (ref.group === undefined && ref.kind === undefined) err('at least one of group or kind must be set');
  }
}

/** Decodes the (already rendered) text of a deployment.yaml. `file` names it in errors. */
export function parseDeploymentConfig(text: string, file: string): DeploymentProjectConfig {
  const config = decodeYaml<DeploymentProjectConfig>(text, DEPLOYMENT_PROJECT, file);
  (config.deployments ?? []).forEach((item, i) => {
    if (item === null) throw new ProjectLoadError(`deployments[${i}] is empty`, { file });
    validateItem(item, i, file);
  });
  return config;
}
