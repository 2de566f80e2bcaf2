/**
 * Helm items rendered through renderProject with the real pinned helm against a chart repository
 * served by the test (devenv/helm-repo.ts). Scenarios follow Kluctl's e2e/helm_test.go.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { HttpKubeClient } from '../../lib/adapters/http-kube-client.js';
import type { KubeObject } from '../../lib/ports.js';
import { helmPull } from '../../lib/project/helm/helm-pull.js';
import { noHelmCredentials } from '../../lib/credentials/helm-credentials.js';
import { renderProject } from '../../lib/project/render-project.js';
import type { RenderOptions } from '../../lib/project/render-project.js';
import { toolPath } from '../../devenv/tools.js';
import { startHelmRepo } from '../../devenv/helm-repo.js';
import type { TestHelmRepo } from '../../devenv/helm-repo.js';
import { TempDirs, writeFiles } from '../support/files.js';
import { testEnv } from '../support/test-env.js';

const temps = new TempDirs('helm-render-');
let repo: TestHelmRepo;
let kube: HttpKubeClient;
const helmPath = toolPath('helm');

const tempDir = (prefix: string): string => temps.make(prefix);

/** A helm item like Kluctl's AddHelmDeployment: kustomization listing helm-rendered.yaml. */
function helmItem(dir: string, chart: Record<string, unknown>, values?: unknown): Record<string, string> {
  return {
    [`${dir}/kustomization.yaml`]: 'resources:\n- helm-rendered.yaml\n',
    [`${dir}/helm-chart.yaml`]: stringify({ helmChart: chart }),
    ...(values !== undefined ? { [`${dir}/helm-values.yaml`]: stringify(values) } : {}),
  };
}

function project(items: Record<string, string>, dirs: string[]): string {
  return writeFiles(tempDir('helm-project-'), {
    '.kluctl.yaml': 'targets: []\n',
    'deployment.yaml': stringify({ deployments: dirs.map((path) => ({ path })) }),
    ...items,
  });
}

const pull = (projectDir: string): ReturnType<typeof helmPull> =>
  helmPull({ projectDir, helmPath, credentials: noHelmCredentials, force: true });
// With the test cluster's scopes, as Kluctl's e2e tests render: namespaced Helm objects then land in the
// release namespace (offline, Kluctl and we leave them without one).
const render = (opts: Partial<RenderOptions> & { projectDir: string }): ReturnType<typeof renderProject> =>
  renderProject({
    renderDir: tempDir('helm-render-'),
    isNamespaced: async (apiVersion, kind) => (await kube.resolve(apiVersion, kind))?.namespaced,
    ...opts,
  });
const find = (objs: readonly KubeObject[], name: string): KubeObject => {
  const o = objs.find((x) => x.metadata.name === name);
  if (!o) throw new Error(`${name} not rendered; got ${objs.map((x) => x.metadata.name).join(', ')}`);
  return o;
};

beforeAll(async () => {
  kube = await HttpKubeClient.fromKubeconfig({ kubeconfigPath: testEnv().kubeconfigPath });
  repo = await startHelmRepo({
    charts: [
      { name: 'test-chart1', version: '0.1.0' },
      { name: 'test-chart2', version: '0.1.0' },
      { name: 'test-chart1', version: '0.2.0' },
      { name: 'lib-chart', version: '1.0.0', fixture: 'library-chart' },
    ],
  });
});
afterAll(async () => {
  kube?.close();
  await repo.close();
  temps.removeAll();
});

const chart = (
  name: string,
  releaseName: string,
  extra: Record<string, unknown> = {},
): Record<string, unknown> => ({
  repo: repo.url,
  chartName: name,
  chartVersion: '0.1.0',
  releaseName,
  ...extra,
});

test('TestHelmTemplateChartYaml: releaseName and namespace are templated', async () => {
  const dir = project(
    {
      ...helmItem('helm1', chart('test-chart1', 'test-helm-{{ args.a }}', { namespace: 'ns' })),
      ...helmItem('helm2', chart('test-chart2', 'test-helm-{{ args.b }}', { namespace: 'ns' })),
      ...helmItem('helm3', chart('test-chart1', 'test-helm-ns', { namespace: 'ns-{{ args.a }}' })),
      ...helmItem('helm4', chart('test-chart1', 'test-helm-ns', { namespace: 'ns-{{ args.b }}' })),
    },
    ['helm1', 'helm2', 'helm3', 'helm4'],
  );
  await pull(dir);
  const r = await render({ projectDir: dir, args: { a: 'a', b: 'b' } });
  expect(r.objects.map((o) => `${o.metadata.namespace}/${o.metadata.name}`)).toEqual([
    'ns/test-helm-a-test-chart1',
    'ns/test-helm-b-test-chart2',
    'ns-a/test-helm-ns-test-chart1',
    'ns-b/test-helm-ns-test-chart1',
  ]);
  // The internal namespace annotation is gone once namespaces are fixed.
  expect(
    r.objects.every((o) => !('kluctl.io/helm-install-namespace' in (o.metadata.annotations ?? {}))),
  ).toBe(true);
});

test('TestHelmValues: templated helm-values.yaml and the injected Kubernetes version', async () => {
  const dir = project(
    {
      ...helmItem('helm1', chart('test-chart1', 'test-helm1'), { data: { a: 'x1', b: 'y1' } }),
      ...helmItem('helm2', chart('test-chart2', 'test-helm2'), { data: { a: 'x2', b: 'y2' } }),
      ...helmItem('helm3', chart('test-chart1', 'test-helm3'), {
        data: { a: '{{ args.a }}', b: '{{ args.b }}' },
      }),
    },
    ['helm1', 'helm2', 'helm3'],
  );
  await pull(dir);
  const r = await render({ projectDir: dir, args: { a: 'a', b: 'b' }, helm: { kubeVersion: 'v1.29.3' } });
  const data = (n: string): unknown => find(r.objects, n).data;
  expect(data('test-helm1-test-chart1')).toEqual({
    a: 'x1',
    b: 'y1',
    version: '0.1.0',
    kubeVersion: 'v1.29.3',
  });
  expect(data('test-helm2-test-chart2')).toEqual({
    a: 'x2',
    b: 'y2',
    version: '0.1.0',
    kubeVersion: 'v1.29.3',
  });
  expect(data('test-helm3-test-chart1')).toEqual({
    a: 'a',
    b: 'b',
    version: '0.1.0',
    kubeVersion: 'v1.29.3',
  });
  // No namespace in helm-chart.yaml: the release namespace is `default`, objects land there.
  expect(find(r.objects, 'test-helm1-test-chart1').metadata.namespace).toBe('default');
});

test('generated kustomization lists the helm output; hooks are appended, test hooks dropped', async () => {
  const dir = project(
    {
      'helm1/helm-chart.yaml': stringify({ helmChart: chart('test-chart1', 'rel', { namespace: 'apps' }) }),
      'helm1/helm-values.yaml': 'hooks: true\n',
      'helm1/other.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: other\n',
    },
    ['helm1'],
  );
  await pull(dir);
  const r = await render({ projectDir: dir });
  expect(r.objects.map((o) => `${o.kind}/${o.metadata.namespace}/${o.metadata.name}`)).toEqual([
    'ConfigMap/apps/rel-test-chart1',
    'ConfigMap/apps/rel-pre-install',
    'ConfigMap/default/other',
  ]);
  expect(find(r.objects, 'rel-pre-install').metadata.annotations?.['helm.sh/hook']).toBe('pre-install');
  expect(readFileSync(join(r.renderDir, 'helm1', 'helm-rendered.yaml'), 'utf8')).toContain(
    'kluctl.io/helm-install-namespace: apps',
  );
});

test('errors: not pre-pulled, pre-pulled version differs, kustomization misses the output', async () => {
  const dir = project(helmItem('helm1', chart('test-chart1', 'r')), ['helm1']);
  await expect(render({ projectDir: dir })).rejects.toThrow(
    "rendering helm chart test-chart1 for release r has failed: Helm Chart test-chart1 has not been pre-pulled, which is not allowed when skipPrePull is not enabled. Run 'kluctl helm-pull' to pre-pull all Helm Charts",
  );
  await pull(dir);
  const chartYaml = join(dir, `.helm-charts/http_${repo.port}_127.0.0.1/test-chart1/0.1.0/Chart.yaml`);
  writeFileSync(chartYaml, readFileSync(chartYaml, 'utf8').replace('version: 0.1.0', 'version: 0.0.9'));
  await expect(render({ projectDir: dir })).rejects.toThrow(
    "pre-pulled Helm Chart test-chart1 need to be pulled (call 'kluctl helm-pull'). Desired version is 0.1.0 while pre-pulled version is 0.0.9",
  );
  await pull(dir);
  writeFileSync(join(dir, 'helm1/kustomization.yaml'), 'resources: []\n');
  await expect(render({ projectDir: dir })).rejects.toThrow(
    'helm1/kustomization.yaml does not include the rendered helm chart: helm-rendered.yaml',
  );
});

test('TestHelmSkipPrePull (render side): pulled on demand into the cache dir', async () => {
  const dir = project(helmItem('helm1', chart('test-chart1', 'r', { skipPrePull: true })), ['helm1']);
  const cacheDir = tempDir('helm-cache-');
  const r = await render({ projectDir: dir, helm: { cacheDir } });
  expect(find(r.objects, 'r-test-chart1').data).toMatchObject({ version: '0.1.0' });
  expect(
    existsSync(join(cacheDir, `helm-charts/http_${repo.port}_127.0.0.1/test-chart1/0.1.0/Chart.yaml`)),
  ).toBe(true);
  expect(existsSync(join(dir, '.helm-charts'))).toBe(false);
});

test('TestHelmLocalChart: path chart, not templated; library charts are refused', async () => {
  const dir = project(
    {
      'charts/local/Chart.yaml': 'apiVersion: v2\nname: local\nversion: 1.2.3\n',
      'charts/local/templates/cm.yaml':
        'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-local\ndata:\n  v: {{ .Chart.Version | quote }}\n',
      'helm1/helm-chart.yaml': stringify({ helmChart: { path: '../charts/local', releaseName: 'loc' } }),
      'lib/helm-chart.yaml': stringify({ helmChart: { ...chart('lib-chart', 'l'), chartVersion: '1.0.0' } }),
    },
    ['helm1'],
  );
  const r = await render({ projectDir: dir });
  expect(find(r.objects, 'loc-local').data).toEqual({ v: '1.2.3' });

  writeFileSync(join(dir, 'deployment.yaml'), stringify({ deployments: [{ path: 'lib' }] }));
  await pull(dir);
  await expect(render({ projectDir: dir })).rejects.toThrow(
    'rendering helm chart lib-chart for release l has failed: library charts are not installable',
  );
});
