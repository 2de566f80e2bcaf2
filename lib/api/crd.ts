/** Where the KluctlDeployment CRD manifest lives, for installers and tests. */
import { packageFile } from '../util/package-root.js';

/** Absolute path of crds/gitops.kluctl.io_kluctldeployments.yaml in this checkout (or package). */
export function kluctlDeploymentCrdPath(): string {
  return packageFile('crds/gitops.kluctl.io_kluctldeployments.yaml');
}
