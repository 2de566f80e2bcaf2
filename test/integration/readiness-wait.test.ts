/**
 * Kluctl's e2e/readiness_test.go scenarios against the real API server (kluctl-semantics §6.2, §6.3):
 * a project with items cm1, cm2 (`kluctl.io/is-ready: "false"`), a barrier and cm3, rendered with the
 * real kustomize and deployed. Whatever makes the run wait for cm2 (item `waitReadiness`, the barrier's
 * `waitReadinessObjects`, the object or kustomization annotation, or cm2 being a post-deploy hook) must
 * keep cm3 from being applied until cm2 is ready.
 *
 * Kluctl cuts the first deploy short with `--timeout 3s` (a cancelled context); here a short readiness
 * timeout with `abortOnError` stops the run the same way.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { HttpKubeClient } from '../../lib/adapters/http-kube-client.js';
import { deployProject } from '../../lib/deploy/deploy-project.js';
import type { DeployOptions } from '../../lib/deploy/deploy-types.js';
import { renderProject } from '../../lib/project/render-project.js';
import { createTestNamespace, kubectlTest, testEnv } from '../support/test-env.js';
import { writeFiles } from '../support/files.js';

let kube: HttpKubeClient;
const temps: string[] = [];
beforeAll(async () => {
  kube = await HttpKubeClient.fromKubeconfig({ kubeconfigPath: testEnv().kubeconfigPath });
});
afterAll(() => {
  kube?.close();
  temps.forEach((d) => rmSync(d, { recursive: true, force: true }));
});

interface Variant {
  /** Fields of the items cm1, cm2, barrier, cm3. */
  readonly items?: Record<number, Record<string, unknown>>;
  readonly cm2Annotations?: Record<string, string>;
  readonly kustomizationAnnotations?: Record<string, string>;
}

function writeProject(ns: string, v: Variant): string {
  const dir = mkdtempSync(join(tmpdir(), 'readiness-'));
  temps.push(dir);
  const items: Record<string, unknown>[] = [
    { path: 'cm1' },
    { path: 'cm2' },
    { barrier: true },
    { path: 'cm3' },
  ];
  for (const [i, extra] of Object.entries(v.items ?? {})) Object.assign(items[Number(i)]!, extra);
  const cm = (name: string, annotations: Record<string, string> = {}) => ({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, namespace: ns, annotations },
    data: {},
  });
  const files: Record<string, string> = {
    '.kluctl.yaml': stringify({ discriminator: `readiness-${ns}`, targets: [{ name: 'test' }] }),
    'deployment.yaml': stringify({ deployments: items }),
  };
  for (const name of ['cm1', 'cm2', 'cm3']) {
    const annotations = name === 'cm2' ? { 'kluctl.io/is-ready': 'false', ...v.cm2Annotations } : {};
    const kMeta =
      name === 'cm2' && v.kustomizationAnnotations ? { annotations: v.kustomizationAnnotations } : undefined;
    files[`${name}/kustomization.yml`] = stringify({
      apiVersion: 'kustomize.config.k8s.io/v1beta1',
      kind: 'Kustomization',
      ...(kMeta ? { metadata: kMeta } : {}),
      resources: [`configmap-${name}.yml`],
    });
    files[`${name}/configmap-${name}.yml`] = stringify(cm(name, annotations));
  }
  writeFiles(dir, files);
  return dir;
}

const exists = async (ns: string, name: string): Promise<boolean> =>
  (await kubectlTest(['get', 'configmap', name, '-n', ns])).code === 0;

async function testWaitReadiness(variant: (ns: string) => Variant): Promise<void> {
  const ns = await createTestNamespace('readiness');
  const dir = writeProject(ns, variant(ns));
  const deploy = async (opts: DeployOptions) => {
    const rendered = await renderProject({
      projectDir: dir,
      target: 'test',
      renderDir: join(dir, '.render'),
    });
    return deployProject(kube, rendered, opts);
  };

  const first = await deploy({ readinessTimeoutMs: 1500, abortOnError: true });
  expect(first.errors.map((e) => e.message)).toEqual([
    `timed out while waiting for readiness of ${ns}/ConfigMap/cm2`,
  ]);
  expect(await exists(ns, 'cm1')).toBe(true);
  expect(await exists(ns, 'cm2')).toBe(true);
  expect(await exists(ns, 'cm3')).toBe(false);

  // Someone declares cm2 ready while the second deploy waits for it (after its apply reset it).
  const flip = (async () => {
    await new Promise((r) => setTimeout(r, 2000));
    const r = await kubectlTest([
      'annotate',
      '--overwrite',
      'cm',
      'cm2',
      '-n',
      ns,
      'kluctl.io/is-ready=true',
    ]);
    expect(r.code).toBe(0);
  })();
  const second = await deploy({ readinessTimeoutMs: 20_000 });
  await flip;
  expect(second.errors).toEqual([]);
  expect(await exists(ns, 'cm3')).toBe(true);
}

test('TestWaitReadinessViaDeployment: item waitReadiness', async () => {
  await testWaitReadiness(() => ({ items: { 1: { waitReadiness: true } } }));
});

test('TestWaitReadinessViaDeployment2: waitReadinessObjects on the barrier item', async () => {
  await testWaitReadiness((ns) => ({
    items: { 2: { waitReadinessObjects: [{ kind: 'ConfigMap', namespace: ns, name: 'cm2' }] } },
  }));
});

test('TestWaitReadinessViaAnnotation: kluctl.io/wait-readiness on the object', async () => {
  await testWaitReadiness(() => ({ cm2Annotations: { 'kluctl.io/wait-readiness': 'true' } }));
});

test('TestWaitReadinessViaKustomization: kluctl.io/wait-readiness on kustomization.yml', async () => {
  await testWaitReadiness(() => ({ kustomizationAnnotations: { 'kluctl.io/wait-readiness': 'true' } }));
});

test('TestWaitReadinessViaKustomizationWithHook: the hook is waited for, not as an item object', async () => {
  await testWaitReadiness(() => ({
    kustomizationAnnotations: { 'kluctl.io/wait-readiness': 'true' },
    cm2Annotations: { 'kluctl.io/hook': 'post-deploy' },
  }));
});

test('waitReadinessObjects naming a kind the cluster does not serve is an error', async () => {
  const ns = await createTestNamespace('readiness-unknown');
  const out = await deployProject(
    kube,
    {
      discriminator: '',
      items: [
        {
          dir: '',
          barrier: true,
          waitReadinessObjects: [{ group: 'example.com', kind: 'Widget', name: 'w', namespace: ns }],
          objects: [],
        },
      ],
    },
    { readinessTimeoutMs: 2000 },
  );
  expect(out.errors.map((e) => e.message)).toEqual([
    `failed to wait for readiness of ${ns}/w. resource with group/kind Widget.example.com not found`,
  ]);
});
