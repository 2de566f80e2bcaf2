/**
 * Hooks against the real API server (kluctl-semantics §5.5, §6.3), following Kluctl's e2e/hooks_test.go.
 * The apply order is recorded by the wrapper of hooks-scenario.ts (Kluctl uses an admission webhook);
 * live objects are checked as well. Each scenario deploys one item with `cm1` and the hook `hook1`.
 */
import { HttpKubeClient } from '../../lib/adapters/http-kube-client.js';
import type { DeployOutcome } from '../../lib/deploy/deploy-types.js';
import type { KubeObject } from '../../lib/ports.js';
import { createTestNamespace, kubectlJson, kubectlTest, testEnv } from '../support/test-env.js';
import { HookScenario, fastClock } from './hooks-scenario.js';

let real: HttpKubeClient;
beforeAll(async () => {
  real = await HttpKubeClient.fromKubeconfig({ kubeconfigPath: testEnv().kubeconfigPath });
});
afterAll(() => real?.close());

async function scenario(hook?: string): Promise<HookScenario> {
  const s = new HookScenario(real, await createTestNamespace('hooks'));
  s.cm('cm1');
  if (hook) s.hook('hook1', hook);
  return s;
}

const uidOf = async (ns: string, name: string): Promise<string> =>
  (await kubectlJson<KubeObject>(['get', 'configmap', name, '-n', ns])).metadata.uid!;

test('TestHooksPreDeployInitial: runs before the objects on the first deploy only', async () => {
  const s = await scenario('pre-deploy-initial');
  await s.ensureHookExecuted('hook1', 'cm1');
  await s.ensureHookExecuted('cm1');
});

test('TestHooksPostDeployInitial: runs after the objects on the first deploy only', async () => {
  const s = await scenario('post-deploy-initial');
  await s.ensureHookExecuted('cm1', 'hook1');
  await s.ensureHookExecuted('cm1');
});

test('TestHooksPreDeployUpgrade: runs before the objects on every later deploy', async () => {
  const s = await scenario('pre-deploy-upgrade');
  await s.ensureHookExecuted('cm1');
  await s.ensureHookExecuted('hook1', 'cm1');
  await s.ensureHookExecuted('hook1', 'cm1');
});

test('TestHooksPostDeployUpgrade: runs after the objects on every later deploy', async () => {
  const s = await scenario('post-deploy-upgrade');
  await s.ensureHookExecuted('cm1');
  await s.ensureHookExecuted('cm1', 'hook1');
  await s.ensureHookExecuted('cm1', 'hook1');
});

test.each([
  ['TestHooksPreDeploy', 'pre-deploy', ['hook1', 'cm1']],
  ['TestHooksPreDeploy2', 'pre-deploy-initial,pre-deploy-upgrade', ['hook1', 'cm1']],
  ['TestHooksPostDeploy', 'post-deploy', ['cm1', 'hook1']],
  ['TestHooksPostDeploy2', 'post-deploy-initial,post-deploy-upgrade', ['cm1', 'hook1']],
  ['TestHooksPrePostDeploy', 'pre-deploy,post-deploy', ['hook1', 'cm1', 'hook1']],
  [
    'TestHooksPrePostDeploy2',
    'pre-deploy-initial,pre-deploy-upgrade,post-deploy-initial,post-deploy-upgrade',
    ['hook1', 'cm1', 'hook1'],
  ],
])('%s: kluctl.io/hook %s runs on every deploy', async (_name, hook, expected) => {
  const s = await scenario(hook);
  await s.ensureHookExecuted(...expected);
  await s.ensureHookExecuted(...expected);
});

test('before-hook-creation (the default) deletes and re-creates the hook; results mark hooks', async () => {
  const s = await scenario('pre-deploy');
  const first = await s.ensureHookExecuted('hook1', 'cm1');
  const uid1 = await uidOf(s.ns, 'hook1');
  const second = await s.ensureHookExecuted('hook1', 'cm1');
  expect(s.ops).toEqual(['delete:hook1', 'apply:hook1', 'apply:cm1']);
  expect(await uidOf(s.ns, 'hook1')).not.toEqual(uid1);

  const entry = (out: DeployOutcome, name: string) => out.objects.find((o) => o.ref.name === name)!;
  expect(entry(first, 'hook1')).toMatchObject({ hook: true });
  expect(entry(first, 'hook1').new).toBeUndefined();
  expect(entry(first, 'hook1').applied).toBeDefined();
  expect(entry(first, 'cm1')).toMatchObject({ new: true });
  expect(entry(second, 'hook1').hook).toBe(true);
});

test('TestHooksWait: a hook that never gets ready stops the run; it continues once it is ready', async () => {
  const s = new HookScenario(real, await createTestNamespace('hooks-wait'));
  s.cm('cm1');
  s.hook('hook1', 'post-deploy');
  s.hook('hook2', 'post-deploy', { 'kluctl.io/is-ready': 'false' });
  s.hook('hook3', 'post-deploy');

  // Kluctl's `--timeout 3s` cancels the whole run; here the readiness timeout plus abortOnError do.
  const timedOut = await s.deploy({ readinessTimeoutMs: 1500, abortOnError: true });
  expect(timedOut.applied).toEqual(['cm1', 'hook1', 'hook2']);
  expect(timedOut.errors.map((e) => e.message)).toEqual([
    `timed out while waiting for readiness of ${s.ns}/ConfigMap/hook2`,
  ]);

  // Someone marks hook2 ready while the deploy waits for it. The clock runs 10x fast so that the
  // "Still waiting" line (every 10 s of clock time) shows up within about a second.
  const steps: string[] = [];
  const flip = (async () => {
    await new Promise((r) => setTimeout(r, 2500));
    const r = await kubectlTest([
      'annotate',
      '--overwrite',
      'cm',
      'hook2',
      '-n',
      s.ns,
      'kluctl.io/is-ready=true',
    ]);
    expect(r.code).toBe(0);
  })();
  const ready = await s.deploy({
    clock: fastClock(10),
    readinessTimeoutMs: 200_000,
    progress: { step: (m) => steps.push(m) },
  });
  await flip;
  expect(ready.errors).toEqual([]);
  expect(ready.applied).toEqual(['cm1', 'hook1', 'hook2', 'hook3']);
  expect(steps.some((m) => m.startsWith(`Still waiting for ConfigMap ${s.ns}/hook2`))).toBe(true);

  // With kluctl.io/hook-wait: "false" the hook (re-created as not ready) is not waited for at all.
  s.objects[2]!.metadata.annotations!['kluctl.io/hook-wait'] = 'false';
  const t0 = Date.now();
  const noWait = await s.deploy({ readinessTimeoutMs: 5000 });
  expect(noWait.errors).toEqual([]);
  expect(noWait.applied).toEqual(['cm1', 'hook1', 'hook2', 'hook3']);
  expect(Date.now() - t0).toBeLessThan(5000);
});
