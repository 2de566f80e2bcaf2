/**
 * Readiness and hooks with real workloads (kluctl-semantics §6.1–6.3): kube-controller-manager,
 * kube-scheduler and kwok's fake Node (devenv/controllers.ts) make Deployments roll out and Jobs
 * complete, so the deploy really waits for them — a Deployment item with `waitReadiness`, and a Job as
 * a post-deploy hook with `hook-succeeded` (the classic migration-job hook of Kluctl's docs).
 */
import { HttpKubeClient } from '../../lib/adapters/http-kube-client.js';
import { createTestNamespace, kubectlJson, kubectlTest, testEnv } from '../support/test-env.js';
import { HookScenario } from './hooks-scenario.js';

let kube: HttpKubeClient;
beforeAll(async () => {
  if (!testEnv().controllers) {
    throw new Error('these tests need the test controllers; unset KS_TEST_CONTROLLERS=0 to start them');
  }
  kube = await HttpKubeClient.fromKubeconfig({ kubeconfigPath: testEnv().kubeconfigPath });
});
afterAll(() => kube?.close());

const podTemplate = (app: string, restartPolicy: string) => ({
  metadata: { labels: { app } },
  spec: { restartPolicy, containers: [{ name: 'main', image: 'registry.invalid/app:1' }] },
});

test('TestWaitReadinessViaDeployment with a real Deployment: the deploy returns once replicas are ready', async () => {
  const s = new HookScenario(kube, await createTestNamespace('ready-deploy'));
  s.add({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web' },
    spec: { replicas: 2, selector: { matchLabels: { app: 'web' } }, template: podTemplate('web', 'Always') },
  });
  s.item = { waitReadiness: true };
  const steps: string[] = [];
  const out = await s.deploy({ readinessTimeoutMs: 60_000, progress: { step: (m) => steps.push(m) } });
  expect(out.errors).toEqual([]);
  // Read right after the deploy returned: the wait, not luck, made it ready.
  const d = await kubectlJson<{ status?: { readyReplicas?: number } }>([
    'get',
    'deployment',
    'web',
    '-n',
    s.ns,
  ]);
  expect(d.status?.readyReplicas).toBe(2);
  // With the controllers fast, the first readiness check may already pass; when it did not, the
  // wait must have said so.
  if (steps.some((m) => m.startsWith('Waiting for'))) {
    expect(steps).toContain(`Waiting for Deployment ${s.ns}/web to get ready...`);
  }
});

test('TestWaitReadinessViaDeployment, negative: an unschedulable Deployment times out with an error', async () => {
  const s = new HookScenario(kube, await createTestNamespace('ready-never'));
  const template = podTemplate('stuck', 'Always');
  s.add({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'stuck' },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: 'stuck' } },
      // No node has this label, so the pod stays Pending and the Deployment never gets ready.
      template: { ...template, spec: { ...template.spec, nodeSelector: { 'example.com/none': 'x' } } },
    },
  });
  s.item = { waitReadiness: true };
  const out = await s.deploy({ readinessTimeoutMs: 2000 });
  expect(out.errors.map((e) => e.message)).toEqual([
    `timed out while waiting for readiness of ${s.ns}/Deployment/stuck`,
  ]);
});

test('a Job post-deploy hook with hook-succeeded runs to completion and is deleted', async () => {
  const s = new HookScenario(kube, await createTestNamespace('hook-job'));
  s.cm('cm1');
  s.add({
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name: 'migrate',
      annotations: {
        'kluctl.io/hook': 'post-deploy',
        'kluctl.io/hook-delete-policy': 'before-hook-creation,hook-succeeded',
      },
    },
    spec: { backoffLimit: 0, template: podTemplate('migrate', 'Never') },
  });
  const out = await s.deploy({ readinessTimeoutMs: 60_000 });
  expect(out.errors).toEqual([]);
  expect(out.ops).toEqual(['apply:cm1', 'delete:migrate', 'apply:migrate', 'delete:migrate']);
  expect(out.objects.find((o) => o.ref.name === 'migrate')).toMatchObject({ hook: true });
  // The job had completed when it was deleted: its applied state was waited for and then removed.
  expect((await kubectlTest(['get', 'job', 'migrate', '-n', s.ns])).code).not.toBe(0);
});

test('a Job hook with hook-wait false is applied but not waited for, so it survives', async () => {
  const s = new HookScenario(kube, await createTestNamespace('hook-job-nowait'));
  s.cm('cm1');
  s.add({
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name: 'fire-and-forget',
      annotations: {
        'kluctl.io/hook': 'pre-deploy',
        'kluctl.io/hook-wait': 'false',
        'kluctl.io/hook-delete-policy': 'hook-succeeded',
      },
    },
    spec: { backoffLimit: 0, template: podTemplate('fire', 'Never') },
  });
  const out = await s.deploy({ readinessTimeoutMs: 60_000 });
  expect(out.errors).toEqual([]);
  // No wait means no outcome, so hook-succeeded never applies (as in Kluctl).
  expect(out.ops).toEqual(['apply:fire-and-forget', 'apply:cm1']);
  expect((await kubectlTest(['get', 'job', 'fire-and-forget', '-n', s.ns])).code).toBe(0);
});
