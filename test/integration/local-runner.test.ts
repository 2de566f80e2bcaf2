/**
 * The local runner against the real API server, with state in a local folder: it reconciles a
 * KluctlDeployment applied with kubectl, leaves it alone until it is due, and reconciles again when its
 * generation changes (kluctl-semantics §10.1 triggers); with a watch it reacts without listing, and
 * stop() lets a running reconcile finish, write its status and release its lease.
 */
import { HttpKubeWatcher } from '../../lib/adapters/http-kube-watcher.js';
import type { KluctlDeployment } from '../../lib/api/types.js';
import type { ReconcileDeps, ReconcileOutcome } from '../../lib/reconcile/reconcile.js';
import { LocalRunner } from '../../lib/runner/local-runner.js';
import { DeploymentInformer } from '../../lib/shim/deployment-informer.js';
import { readJson } from '../../lib/state/json-state.js';
import type { ReconcileState } from '../../lib/state/json-state.js';
import { stateKey } from '../../lib/state/layout.js';
import {
  applyKluctlDeployment,
  getKluctlDeployment,
  patchKluctlDeploymentSpec,
  readyCondition,
} from '../support/kluctl-deployment.js';
import {
  startProjectScenario,
  testReconcileDeps,
  type ProjectScenario,
} from '../support/reconcile-scenario.js';
import { eventually, kubectlJson, kubectlTest } from '../support/test-env.js';

let s: ProjectScenario;
let ns: string;

beforeAll(async () => {
  s = await startProjectScenario({ name: 'runner' });
  ns = s.ns;
  await applyKluctlDeployment(ns, 'app', {
    interval: '10m',
    source: { git: { url: s.repo.url } },
    target: 'prod',
    args: { namespace: ns },
  });
});

afterAll(() => s?.stop());

/** What the runner reconciles with: the test cluster, the test Git server, state in a temp folder. */
function runnerDeps(): ReconcileDeps {
  return testReconcileDeps({ kube: s.kube, workDir: s.workDir, holder: 'runner-test' });
}

test('reconciles new deployments, skips ones not due, and reacts to a generation change', async () => {
  const seen: [string, ReconcileOutcome][] = [];
  const runner = new LocalRunner(runnerDeps(), {
    namespace: ns,
    onReconciled: (key, o) => seen.push([key, o]),
  });
  await runner.tick();
  expect(seen.map(([k, o]) => [k, o.outcome, o.deployed])).toEqual([[`${ns}/app`, 'succeeded', true]]);
  const kd = await getKluctlDeployment(ns, 'app');
  expect(readyCondition(kd)?.status).toBe('True');
  expect(kd.metadata.finalizers).toContain('finalizers.gitops.kluctl.io');
  const cm = await kubectlJson<{ data: Record<string, string> }>([
    'get',
    'configmap',
    'app-config',
    '-n',
    ns,
    '-o',
    'json',
  ]);
  expect(cm.data.env).toBe('prod');

  await runner.tick();
  expect(seen).toHaveLength(1);

  // A spec change bumps the generation: due again, and Kluctl redeploys on a generation change.
  await patchKluctlDeploymentSpec(ns, 'app', { interval: '9m' });
  await runner.tick();
  expect(seen).toHaveLength(2);
  expect(seen[1]![1]).toMatchObject({ outcome: 'succeeded', deployed: true });

  // Deleting the object with delete: true removes what it deployed, then the finalizer
  // (gitops_prune_delete_test Test_Delete_True).
  await patchKluctlDeploymentSpec(ns, 'app', { delete: true });
  await runner.tick();
  await kubectlTest(['delete', 'kluctldeployment', 'app', '-n', ns, '--wait=false']);
  await runner.tick();
  expect(seen[seen.length - 1]![1].outcome).toBe('finalized');
  const left = await kubectlJson<{ items: unknown[] }>([
    'get',
    'configmaps,services',
    '-n',
    ns,
    '-l',
    `kluctl.io/discriminator=e2e-prod-${ns}`,
    '-o',
    'json',
  ]);
  expect(left.items).toEqual([]);
  const kds = await kubectlJson<{ items: unknown[] }>(['get', 'kluctldeployments', '-n', ns, '-o', 'json']);
  expect(kds.items).toEqual([]);
  await runner.stop();
});

test('the watch starts reconciles, and stop() lets the running one finish and release its lease', async () => {
  const deps = runnerDeps();
  const seen: ReconcileOutcome[] = [];
  const runner = new LocalRunner(deps, {
    namespace: ns,
    // No scheduling pass lists within the test: only the watch can report changes.
    tickMs: 600_000,
    onReconciled: (_key, o) => seen.push(o),
    watch: (onChange) =>
      new DeploymentInformer({ watcher: new HttpKubeWatcher(s.kube), namespace: ns, onChange }),
  });
  try {
    runner.start();
    await eventually(async () =>
      expect(runner.health()).toMatchObject({ ok: true, watching: true, synced: true }),
    );
    const kd = {
      apiVersion: 'gitops.kluctl.io/v1beta1',
      kind: 'KluctlDeployment',
      metadata: { name: 'watched', namespace: ns },
      spec: { interval: '1h', source: { git: { url: s.repo.url } }, target: 'dev', args: { namespace: ns } },
    };
    expect((await kubectlTest(['apply', '-f', '-'], { input: JSON.stringify(kd) })).code).toBe(0);
    await eventually(() => Promise.resolve(expect(seen.map((o) => o.outcome)).toEqual(['succeeded'])));

    // A generation change reaches the runner through the watch as well.
    await kubectlTest([
      'patch',
      'kluctldeployment',
      'watched',
      '-n',
      ns,
      '--type=merge',
      '-p',
      '{"spec":{"interval":"59m"}}',
    ]);
    await eventually(() => Promise.resolve(expect(seen).toHaveLength(2)));

    // A request (what a webhook enqueues) while nothing runs; stop() as soon as it is running.
    await s.repo.commit(
      {
        'config/configmap.yaml':
          'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app-config\n  namespace: "{{ args.namespace }}"\ndata:\n  env: "{{ args.env }}"\n  color: green\n',
      },
      'green',
    );
    const clusterId = await s.kube.clusterId();
    await runner.queue.enqueue([{ clusterId, namespace: ns, name: 'watched', reason: 'webhook' }]);
    await eventually(() => Promise.resolve(expect(runner.gauges().running).toBe(1)), { intervalMs: 2 });
    await runner.stop();

    // stop() returned only after the reconcile ended: it deployed, wrote status and gave up its lease.
    expect(seen).toHaveLength(3);
    expect(seen[2]).toMatchObject({ outcome: 'succeeded', deployed: true });
    const cm = await kubectlJson<{ data: Record<string, string> }>([
      'get',
      'configmap',
      'app-config',
      '-n',
      ns,
      '-o',
      'json',
    ]);
    expect(cm.data.color).toBe('green');
    const obj = await kubectlJson<KluctlDeployment>([
      'get',
      'kluctldeployment',
      'watched',
      '-n',
      ns,
      '-o',
      'json',
    ]);
    expect(obj.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
    const state = await readJson<ReconcileState>(deps.store, stateKey(clusterId, ns, 'watched'));
    expect(state.value?.lease).toBeUndefined();
    expect(runner.health().ok).toBe(false);
  } finally {
    // Also on failure, so no watch keeps the test process alive.
    await runner.stop();
  }
});
