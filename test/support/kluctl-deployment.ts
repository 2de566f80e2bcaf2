/**
 * KluctlDeployment objects for tests: applied with kubectl, as a user would, so they pass the CRD's
 * admission (schema, defaults) exactly like real ones.
 */
import { kubectlTest } from './test-env.js';

/** Applies a KluctlDeployment `name` in `namespace` with `spec`; throws with kubectl's stderr on failure. */
export async function applyKluctlDeployment(
  namespace: string,
  name: string,
  spec: Readonly<Record<string, unknown>>,
): Promise<void> {
  const kd = {
    apiVersion: 'gitops.kluctl.io/v1beta1',
    kind: 'KluctlDeployment',
    metadata: { name, namespace },
    spec,
  };
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
