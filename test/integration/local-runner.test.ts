/**
 * The local runner against the real API server, with state in a local folder: it reconciles a
 * KluctlDeployment applied with kubectl, leaves it alone until it is due, and reconciles again when its
 * generation changes (kluctl-semantics §10.1 triggers).
 */
import type { ReconcileOutcome } from '../../lib/reconcile/reconcile.js';
import { LocalRunner } from '../../lib/runner/local-runner.js';
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
import { kubectlJson, kubectlTest } from '../support/test-env.js';

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

test('reconciles new deployments, skips ones not due, and reacts to a generation change', async () => {
  const seen: [string, ReconcileOutcome][] = [];
  const runner = new LocalRunner(
    testReconcileDeps({ kube: s.kube, workDir: s.workDir, holder: 'runner-test' }),
    {
      namespace: ns,
      onReconciled: (key, o) => seen.push([key, o]),
    },
  );
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
