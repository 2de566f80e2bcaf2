/**
 * The project of Kluctl's e2e manual-request scenarios (e2e/gitops_manual_requests_test.go), as a file
 * map for a test Git repository: targets named like Kluctl's test project, a discriminator
 * `<slug>-<target>`, and one kustomize deployment per ConfigMap (`d1/configmap-cm1.yml`, ...) in the
 * namespace `slug`.
 */

/** One ConfigMap deployment item: its directory, ConfigMap name and data. */
export interface ConfigMapItem {
  readonly dir: string;
  readonly name: string;
  readonly data?: Readonly<Record<string, string>>;
}

/** A target with optional args (Kluctl's `UpdateTarget`). */
export interface ProjectTarget {
  readonly name: string;
  readonly args?: Readonly<Record<string, string>>;
}

/** The files of the project; the files of `removed` items are deleted (`null`). */
export function requestsProject(
  slug: string,
  targets: readonly ProjectTarget[],
  items: readonly ConfigMapItem[],
  removed: readonly ConfigMapItem[] = [],
): Record<string, string | null> {
  const files: Record<string, string | null> = {
    '.kluctl.yml': [
      `discriminator: "${slug}-{{ target.name or 'no-name' }}"`,
      'targets:',
      ...targets.flatMap((t) => [
        `  - name: ${t.name}`,
        ...(t.args
          ? ['    args:', ...Object.entries(t.args).map(([k, v]) => `      ${k}: ${singleQuoted(v)}`)]
          : []),
      ]),
      '',
    ].join('\n'),
    'deployment.yml': `deployments:\n${items.map((i) => `  - path: ${i.dir}`).join('\n')}\n`,
  };
  for (const i of items) {
    const file = `configmap-${i.name}.yml`;
    files[`${i.dir}/kustomization.yml`] = `resources:\n  - ${file}\n`;
    files[`${i.dir}/${file}`] = [
      'apiVersion: v1',
      'kind: ConfigMap',
      'metadata:',
      `  name: ${i.name}`,
      `  namespace: ${slug}`,
      ...(i.data && Object.keys(i.data).length > 0
        ? ['data:', ...Object.entries(i.data).map(([k, v]) => `  ${k}: ${singleQuoted(v)}`)]
        : []),
      '',
    ].join('\n');
  }
  for (const i of removed) {
    files[`${i.dir}/kustomization.yml`] = null;
    files[`${i.dir}/configmap-${i.name}.yml`] = null;
  }
  return files;
}

/** A YAML single-quoted scalar: templates inside stay as they are (Kluctl renders before parsing). */
function singleQuoted(v: string): string {
  return `'${v.replace(/'/g, "''")}'`;
}
