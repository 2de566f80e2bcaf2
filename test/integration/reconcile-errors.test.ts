/**
 * Failures outside the commands, against the real API server with faults injected into the client:
 * Kluctl's controller reports every failure of a reconcile that is not a command's as a failed prepare
 * (`PrepareFailed`, full text in `status.lastPrepareError`), and failures inside the deploy command as
 * errors of its result (`deploy failed with 1 errors.`). Either way the status is written, with
 * `observedGeneration`.
 */
import { KubeApiError } from '../../lib/errors.js';
import type { KubeClient } from '../../lib/ports.js';
import { reconcileDeployment } from '../../lib/reconcile/reconcile.js';
import { DelegatingKube } from '../support/delegating-kube.js';
import { applyKluctlDeployment, getKluctlDeployment, readyCondition } from '../support/kluctl-deployment.js';
import {
  startProjectScenario,
  testReconcileDeps,
  type ProjectScenario,
} from '../support/reconcile-scenario.js';

/** The real client, with one kind of call failing while `fail` says so. */
class FaultyKube extends DelegatingKube {
  fail: 'initializing-status' | 'get-configmap' | undefined;
  private fault(): never {
    throw new KubeApiError('KubeApi', 'injected: the API server went away', { status: 503, retryable: true });
  }
  override get(...a: Parameters<KubeClient['get']>) {
    if (this.fail === 'get-configmap' && a[0].kind === 'ConfigMap') this.fault();
    return this.inner.get(...a);
  }
  override mergePatch(...a: Parameters<KubeClient['mergePatch']>) {
    const [, patch, opts] = a;
    const initializing = opts.subresource === 'status' && JSON.stringify(patch).includes('Initializing');
    if (this.fail === 'initializing-status' && initializing) {
      this.fail = undefined;
      this.fault();
    }
    return this.inner.mergePatch(...a);
  }
}

let s: ProjectScenario;
let kube: FaultyKube;
let ns: string;

beforeAll(async () => {
  s = await startProjectScenario({ name: 'reconcile-errors' });
  ns = s.ns;
  kube = new FaultyKube(s.kube);
  await applyKluctlDeployment(ns, 'app', {
    interval: '10m',
    source: { git: { url: s.repo.url } },
    target: 'dev',
    args: { namespace: ns },
  });
});

afterAll(() => s?.stop());

const reconcile = () =>
  reconcileDeployment(testReconcileDeps({ kube, workDir: s.workDir, holder: 'errors-test' }), {
    namespace: ns,
    name: 'app',
  });

const readKd = () => getKluctlDeployment(ns, 'app');

test('a failure outside the commands is a failed prepare, with observedGeneration', async () => {
  kube.fail = 'initializing-status';
  const outcome = await reconcile();
  expect(outcome.outcome).toBe('failed');
  const kd = await readKd();
  expect(readyCondition(kd)).toMatchObject({
    status: 'False',
    reason: 'PrepareFailed',
    message: 'prepare failed. Check status.lastPrepareError for details',
  });
  expect(kd.status?.lastPrepareError).toContain('injected: the API server went away');
  expect(kd.status?.observedGeneration).toBe(kd.metadata.generation);
  expect(kd.status?.conditions?.some((c) => c.type === 'Reconciling')).toBe(false);
});

test('a failure inside the deploy command is an error of its result', async () => {
  kube.fail = 'get-configmap';
  try {
    await reconcile();
  } finally {
    kube.fail = undefined;
  }
  const kd = await readKd();
  expect(readyCondition(kd)).toMatchObject({ status: 'False', reason: 'DeployFailed' });
  expect(readyCondition(kd)?.message).toMatch(/^deploy failed with 1 errors\./);
  expect(kd.status?.lastDeployResult?.errors).toEqual([
    { ref: { kind: '', name: '' }, message: expect.stringContaining('injected: the API server went away') },
  ]);
  expect(kd.status?.lastPrepareError).toBeUndefined();
  expect(kd.status?.observedGeneration).toBe(kd.metadata.generation);
});
