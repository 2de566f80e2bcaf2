/**
 * Hook delete policies, weights, dry runs and Helm hooks against the real API server
 * (kluctl-semantics §5.5, §6.3, §4.4; Kluctl's e2e/hooks_test.go and its helm hook cases). Calls are
 * recorded by the wrapper of hooks-scenario.ts; Helm hooks come out of the real pinned `helm template`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { HttpKubeClient } from '../../lib/adapters/http-kube-client.js';
import { renderProject } from '../../lib/project/render-project.js';
import { createTestNamespace, kubectlTest, testEnv } from '../support/test-env.js';
import { HookScenario } from './hooks-scenario.js';
import { writeFiles } from '../support/files.js';

let real: HttpKubeClient;
const temps: string[] = [];
beforeAll(async () => {
  real = await HttpKubeClient.fromKubeconfig({ kubeconfigPath: testEnv().kubeconfigPath });
});
afterAll(() => {
  real?.close();
  temps.forEach((d) => rmSync(d, { recursive: true, force: true }));
});

const scenario = async (): Promise<HookScenario> =>
  new HookScenario(real, await createTestNamespace('hook-policy'));
const exists = async (ns: string, name: string): Promise<boolean> =>
  (await kubectlTest(['get', 'configmap', name, '-n', ns])).code === 0;

test('TestHooksDeletePolicy hook-succeeded: the hook is deleted once it is ready', async () => {
  const s = (await scenario()).cm('cm1').hook('hook1', 'post-deploy', {
    'kluctl.io/hook-delete-policy': 'hook-succeeded',
  });
  const first = await s.ensureHookExecuted('cm1', 'hook1');
  expect(first.ops).toEqual(['apply:cm1', 'apply:hook1', 'delete:hook1']);
  expect(await exists(s.ns, 'hook1')).toBe(false);
  // Without before-hook-creation nothing is deleted up front; the hook runs again (upgrade).
  const second = await s.ensureHookExecuted('cm1', 'hook1');
  expect(second.ops).toEqual(['apply:cm1', 'apply:hook1', 'delete:hook1']);
});

test('TestHooksDeletePolicy hook-failed: only a hook that did not get ready is deleted', async () => {
  const s = (await scenario())
    .cm('cm1')
    .hook('ok', 'post-deploy', { 'kluctl.io/hook-delete-policy': 'hook-failed' })
    .hook('bad', 'post-deploy', {
      'helm.sh/hook-delete-policy': 'hook-failed',
      'kluctl.io/is-ready': 'false',
      'kluctl.io/hook-timeout': '1s',
    });
  const out = await s.deploy();
  expect(out.errors.map((e) => e.message)).toEqual([
    `timed out while waiting for readiness of ${s.ns}/ConfigMap/bad`,
  ]);
  expect(out.ops).toEqual(['apply:cm1', 'apply:ok', 'apply:bad', 'delete:bad']);
  expect(await exists(s.ns, 'ok')).toBe(true);
  expect(await exists(s.ns, 'bad')).toBe(false);
});

test('hook weights order the applies; after-run deletions go in reverse order', async () => {
  const policy = { 'kluctl.io/hook-delete-policy': 'before-hook-creation,hook-succeeded' };
  const s = (await scenario())
    .cm('cm1')
    .hook('w5', 'pre-deploy', { ...policy, 'kluctl.io/hook-weight': '5' })
    .hook('wm1', 'pre-deploy', { ...policy, 'helm.sh/hook-weight': '-1' })
    .hook('w0a', 'pre-deploy', policy)
    .hook('w0b', 'pre-deploy', policy);
  const out = await s.ensureHookExecuted('wm1', 'w0a', 'w0b', 'w5', 'cm1');
  expect(out.ops).toEqual([
    ...['delete:wm1', 'delete:w0a', 'delete:w0b', 'delete:w5'],
    ...['apply:wm1', 'apply:w0a', 'apply:w0b', 'apply:w5'],
    ...['delete:w5', 'delete:w0b', 'delete:w0a', 'delete:wm1'],
    'apply:cm1',
  ]);
});

test('unknown hook types and delete policies are errors; such hooks are never applied', async () => {
  const s = (await scenario())
    .cm('cm1')
    .hook('typo', 'post-deploy-inital')
    .hook('policy', 'pre-deploy', { 'kluctl.io/hook-delete-policy': 'always' });
  const out = await s.deploy();
  expect(out.errors.map((e) => [e.ref.name, e.message.split(':')[0]])).toEqual([
    ['typo', "unsupported kluctl.io/hook 'post-deploy-inital'"],
    ['policy', "unsupported kluctl.io/hook-delete-policy 'always'"],
  ]);
  expect(out.applied).toEqual(['policy', 'cm1']);
});

test('dry run: hooks are applied and deleted as server-side dry runs only', async () => {
  const s = (await scenario()).cm('cm1').hook('hook1', 'pre-deploy,post-deploy', {
    'kluctl.io/hook-delete-policy': 'hook-succeeded',
  });
  const out = await s.deploy({ dryRun: true });
  expect(out.errors).toEqual([]);
  expect(out.ops).toEqual([]);
  expect(out.objects.find((o) => o.ref.name === 'hook1')).toMatchObject({ hook: true });
  expect(await exists(s.ns, 'cm1')).toBe(false);
});

test('Helm hooks from helm template: install/upgrade hooks mapped, delete hooks never run', async () => {
  const ns = await createTestNamespace('helm-hooks');
  const hookCm = (name: string, hook: string, extra = ''): string =>
    `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n  annotations:\n    helm.sh/hook: ${hook}\n${extra}data: {}\n`;
  const dir = mkdtempSync(join(tmpdir(), 'helm-hooks-'));
  temps.push(dir);
  const files: Record<string, string> = {
    '.kluctl.yaml': 'targets: []\n',
    'deployment.yaml': stringify({ deployments: [{ path: 'app' }] }),
    'app/helm-chart.yaml': stringify({ helmChart: { path: '../chart', releaseName: 'rel', namespace: ns } }),
    'chart/Chart.yaml': 'apiVersion: v2\nname: hooks\nversion: 0.1.0\n',
    'chart/templates/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: main\ndata: {}\n',
    'chart/templates/pre-install.yaml': hookCm('pre-install', 'pre-install'),
    'chart/templates/pre-install-early.yaml': hookCm(
      'pre-install-early',
      'pre-install',
      '    helm.sh/hook-weight: "-3"\n',
    ),
    'chart/templates/post-upgrade.yaml': hookCm('post-upgrade', 'post-upgrade'),
    'chart/templates/pre-delete.yaml': hookCm('pre-delete', 'pre-delete'),
    'chart/templates/test.yaml': hookCm('helm-test', 'test'),
  };
  writeFiles(dir, files);
  // Rendered with the cluster's scopes, as every deploy is: Helm's namespace goes onto namespaced objects.
  const rendered = await renderProject({
    projectDir: dir,
    renderDir: join(dir, '.render'),
    isNamespaced: async (apiVersion, kind) => (await real.resolve(apiVersion, kind))?.namespaced,
  });
  const names = rendered.items.flatMap((i) => i.objects.map((o) => o.metadata.name)).sort();
  // `helm template` keeps hook manifests; test hooks are left out (--skip-tests).
  expect(names).toEqual(['main', 'post-upgrade', 'pre-delete', 'pre-install', 'pre-install-early']);

  const s = new HookScenario(real, ns);
  s.objects = [...rendered.items[0]!.objects];
  const first = await s.deploy();
  expect(first.errors).toEqual([]);
  expect(first.applied).toEqual(['pre-install-early', 'pre-install', 'main']);
  expect(first.warnings.map((w) => [w.ref.name, w.message])).toEqual([
    ['pre-delete', "unsupported helm.sh/hook 'pre-delete'"],
  ]);
  const second = await s.deploy();
  expect(second.errors).toEqual([]);
  expect(second.applied).toEqual(['main', 'post-upgrade']);
  expect(await exists(ns, 'pre-delete')).toBe(false);
});
