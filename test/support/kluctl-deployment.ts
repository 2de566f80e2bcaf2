/**
 * KluctlDeployment objects for tests: one builder, applied with kubectl as a user would (so they pass
 * the CRD's admission, schema and defaults, exactly like real ones), read back, and their Ready
 * condition.
 */
import { GITOPS_GROUP, GITOPS_VERSION, KD_KIND } from '../../lib/api/constants.js';
import type { Condition, KluctlDeployment } from '../../lib/api/types.js';
import type { KubeMetadata, ObjectRef } from '../../lib/ports.js';
import { kubectlJson, kubectlTest } from './test-env.js';

/** A KluctlDeployment as a manifest; `spec` is taken as is (tests of the CRD pass invalid ones). */
export interface KluctlDeploymentManifest<S = Readonly<Record<string, unknown>>> {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: KubeMetadata;
  readonly spec: S;
}

/** The manifest of KluctlDeployment `name` in `namespace`; `metadata` adds fields (labels, generation, …). */
export function kluctlDeployment<S>(
  namespace: string,
  name: string,
  spec: S,
  metadata: Partial<KubeMetadata> = {},
): KluctlDeploymentManifest<S> {
  return {
    apiVersion: `${GITOPS_GROUP}/${GITOPS_VERSION}`,
    kind: KD_KIND,
    metadata: { ...metadata, name, namespace },
    spec,
  };
}

/** The ref of KluctlDeployment `name` in `namespace`, for a KubeClient. */
export function kluctlDeploymentRef(namespace: string, name: string): ObjectRef {
  return { group: GITOPS_GROUP, version: GITOPS_VERSION, kind: KD_KIND, name, namespace };
}

/** Applies a KluctlDeployment `name` in `namespace` with `spec`; throws with kubectl's stderr on failure. */
export async function applyKluctlDeployment(
  namespace: string,
  name: string,
  spec: Readonly<Record<string, unknown>>,
): Promise<void> {
  const kd = kluctlDeployment(namespace, name, spec);
  const r = await kubectlTest(['apply', '-f', '-'], { input: JSON.stringify(kd) });
  if (r.code !== 0)
    throw new Error(`kubectl apply of KluctlDeployment ${namespace}/${name} failed: ${r.stderr.trim()}`);
}

/** Merge-patches the spec of KluctlDeployment `name`; throws with kubectl's stderr on failure. */
export async function patchKluctlDeploymentSpec(
  namespace: string,
  name: string,
  spec: Readonly<Record<string, unknown>>,
): Promise<void> {
  const patch = JSON.stringify({ spec });
  const r = await kubectlTest([
    'patch',
    'kluctldeployment',
    name,
    '-n',
    namespace,
    '--type=merge',
    '-p',
    patch,
  ]);
  if (r.code !== 0)
    throw new Error(`kubectl patch of KluctlDeployment ${namespace}/${name} failed: ${r.stderr.trim()}`);
}

/** KluctlDeployment `name` as the API server has it now; throws when it does not exist. */
export function getKluctlDeployment(namespace: string, name: string): Promise<KluctlDeployment> {
  return kubectlJson<KluctlDeployment>(['get', 'kluctldeployment', name, '-n', namespace]);
}

/** The `Ready` condition of a KluctlDeployment's status, if any. */
export function readyCondition(kd: Pick<KluctlDeployment, 'status'> | undefined): Condition | undefined {
  return kd?.status?.conditions?.find((c) => c.type === 'Ready');
}
