/** Where the KluctlDeployment CRD manifest lives, for installers and tests. */
import { fileURLToPath } from 'node:url';

/** Absolute path of crds/gitops.kluctl.io_kluctldeployments.yaml in this checkout (or package). */
export function kluctlDeploymentCrdPath(): string {
  return fileURLToPath(new URL('../../crds/gitops.kluctl.io_kluctldeployments.yaml', import.meta.url));
}
