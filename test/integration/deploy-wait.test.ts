/**
 * Waiting for readiness during deploy against the real API server (kluctl-semantics §6.2, Kluctl's
 * readiness_test: TestWaitReadinessViaAnnotation / TestWaitReadinessViaDeployment-style). Readiness is
 * driven through `kluctl.io/is-ready`, which needs no controllers.
 */
import { HttpKubeClient } from '../../lib/adapters/http-kube-client.js';
import { deployProject } from '../../lib/deploy/deploy-project.js';
import type { KubeObject } from '../../lib/ports.js';
import { createTestNamespace, kubectlTest, testEnv } from '../support/test-env.js';

let kube: HttpKubeClient;
let ns: string;

beforeAll(async () => {
  kube = await HttpKubeClient.fromKubeconfig({ kubeconfigPath: testEnv().kubeconfigPath });
  ns = await createTestNamespace('wait');
});
afterAll(() => kube?.close());

const cm = (name: string, annotations: Record<string, string> = {}): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace: ns, annotations, labels: { 'kluctl.io/discriminator': `wait-${ns}` } },
  data: { a: '1' },
});

test('objects without a status are ready at once (waitReadiness on the item)', async () => {
  const steps: string[] = [];
  const out = await deployProject(
    kube,
    {
      discriminator: `wait-${ns}`,
      items: [{ dir: 'a', barrier: false, waitReadiness: true, objects: [cm('plain')] }],
    },
    { readinessTimeoutMs: 5000, progress: { step: (m) => steps.push(m) } },
  );
  expect(out.errors).toEqual([]);
  expect(steps.some((s) => s.startsWith('Waiting for'))).toBe(false);
});

test('kluctl.io/wait-readiness waits until the object is ready (TestWaitReadinessViaAnnotation)', async () => {
  const steps: string[] = [];
  const obj = cm('slow', { 'kluctl.io/wait-readiness': 'true', 'kluctl.io/is-ready': 'false' });
  const flip = (async () => {
    // Someone else (a controller, in real life) declares the object ready after a while.
    for (let i = 0; i < 40; i++) {
      await new Promise((r) => setTimeout(r, 250));
      const r = await kubectlTest([
        'annotate',
        '--overwrite',
        'configmap',
        'slow',
        '-n',
        ns,
        'kluctl.io/is-ready=true',
      ]);
      if (r.code === 0) return;
    }
  })();
  const t0 = Date.now();
  // The annotation must not be re-applied as false while we wait: only the first apply sets it.
  const out = await deployProject(
    kube,
    { discriminator: `wait-${ns}`, items: [{ dir: 'b', barrier: false, objects: [obj] }] },
    { readinessTimeoutMs: 20_000, progress: { step: (m) => steps.push(m) } },
  );
  await flip;
  expect(out.errors).toEqual([]);
  expect(steps).toContain(`Waiting for ConfigMap ${ns}/slow to get ready...`);
  expect(Date.now() - t0).toBeGreaterThanOrEqual(250);
});

test('a timeout is an error naming the object, and --no-wait skips waiting', async () => {
  const obj = cm('never', { 'kluctl.io/wait-readiness': 'true', 'kluctl.io/is-ready': 'false' });
  const input = { discriminator: `wait-${ns}`, items: [{ dir: 'c', barrier: false, objects: [obj] }] };
  const out = await deployProject(kube, input, { readinessTimeoutMs: 1200 });
  expect(out.errors.map((e) => e.message)).toEqual([
    `timed out while waiting for readiness of ${ns}/ConfigMap/never`,
  ]);
  const noWait = await deployProject(kube, input, { readinessTimeoutMs: 1200, noWait: true });
  expect(noWait.errors).toEqual([]);
});
