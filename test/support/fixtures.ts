/** Fixture projects of test/fixtures/projects/, as folders and as file maps for test Git repositories. */
import { fileURLToPath } from 'node:url';
import { readTree } from '../../devenv/git-repo.js';

/** The folder of a fixture project under test/fixtures/projects/. */
export function fixtureDir(name: string): string {
  return fileURLToPath(new URL(`../fixtures/projects/${name}`, import.meta.url));
}

/** Every file of fixture project `name`, keyed by its relative path (what `createRepo` pushes). */
export function fixtureFiles(name: string): Promise<Record<string, string>> {
  return readTree(fixtureDir(name));
}

/**
 * A project of one ConfigMap per entry of `data` (named after its key, value in `k`), each its own
 * deployment item, in namespace `ns`, with the discriminator `<ns>-<target>` and one target `t1`.
 */
export function configMapItemsProject(ns: string, data: Record<string, string>): Record<string, string> {
  const files: Record<string, string> = {
    '.kluctl.yml': `discriminator: "${ns}-{{ target.name }}"\ntargets:\n  - name: t1\n`,
    'deployment.yml': `deployments:\n${Object.keys(data)
      .map((n) => `  - path: ${n}`)
      .join('\n')}\n`,
  };
  for (const [name, value] of Object.entries(data)) {
    files[`${name}/kustomization.yml`] = 'resources: [cm.yml]\n';
    files[`${name}/cm.yml`] =
      `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n  namespace: ${ns}\ndata:\n  k: '${value}'\n`;
  }
  return files;
}
