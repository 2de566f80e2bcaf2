/**
 * Suspend and triggers as Kluctl's controller has them (kluctl-semantics §10.1, §10.2 step 7): a
 * suspended deployment deploys nothing, also not a new commit, yet its Ready is rebuilt from the last
 * results (a PrepareFailed from before the suspension becomes the deploy result's message again) and
 * observedGeneration follows the spec; resuming deploys the pending change. The local runner starts a
 * reconcile for each new value of any `kluctl.io/request-*` annotation, not for its removal.
 * test/parity/controller-parity.test.ts ("suspended") and controller-schedule.test.ts compare the
 * status and the next run time with Kluctl's controller.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FsStateStore } from '../../lib/adapters/fs-state-store.js';
import { LocalRunner } from '../../lib/runner/local-runner.js';
import type { ReconcileOutcome } from '../../lib/reconcile/reconcile.js';
import { kubectlTest } from '../support/test-env.js';
import {
  createKluctlDeployment,
  createScenarioNamespace,
  getConfigMap,
  readiness,
  reconcile,
  startGitOpsSuite,
  TestProject,
  updateKluctlDeployment,
} from './gitops-suite.js';
import type { GitOpsSuite } from './gitops-suite.js';

let s: GitOpsSuite;

beforeAll(async () => {
  s = await startGitOpsSuite('suspend');
});
afterAll(() => s?.close());

const cm = (value: string) =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm1\n  namespace: "{{ args.namespace }}"\ndata:\n  k1: ${value}\n`;

test('suspended: nothing deploys, Ready is rebuilt from the last results, resume deploys the change', async () => {
  const ns = await createScenarioNamespace('suspend');
  const p = new TestProject('suspend')
    .updateTarget('t')
    .addKustomizeDeployment('d1', { 'cm1.yaml': cm('v1') });
  const repo = await s.createRepo(p);
  await createKluctlDeployment(s, 'suspend', {
    source: { git: { url: repo.url } },
    target: 't',
    args: { namespace: ns },
  });
  const deployed = await reconcile(s, 'suspend');
  const message = readiness(deployed.kd)?.message;
  expect(message).toBe('deploy succeeded. 1 new objects. validate succeeded.');

  // A broken target makes Ready PrepareFailed; then the deployment is suspended and a commit comes.
  await updateKluctlDeployment(s, 'suspend', { target: 'missing' });
  expect(readiness((await reconcile(s, 'suspend')).kd)?.reason).toBe('PrepareFailed');
  await updateKluctlDeployment(s, 'suspend', { suspend: true });
  p.put('d1/cm1.yaml', cm('v2'));
  await repo.commit(p.files, 'v2');
  const suspended = await reconcile(s, 'suspend');
  expect(suspended.outcome).toMatchObject({ outcome: 'suspended', deployed: false });
  expect(readiness(suspended.kd)).toMatchObject({
    status: 'True',
    reason: 'ReconciliationSucceeded',
    message,
  });
  expect(suspended.kd?.status?.conditions?.some((c) => c.type === 'Reconciling')).toBe(false);
  expect(suspended.kd?.status?.observedGeneration).toBe(suspended.kd?.metadata.generation);
  expect(suspended.kd?.status?.lastObjectsHash).toBe(deployed.kd?.status?.lastObjectsHash);
  expect((await getConfigMap(ns, 'cm1'))?.data).toEqual({ k1: 'v1' });

  await updateKluctlDeployment(s, 'suspend', { suspend: false, target: 't' });
  const resumed = await reconcile(s, 'suspend');
  expect(resumed.outcome).toMatchObject({ outcome: 'succeeded', deployed: true });
  expect((await getConfigMap(ns, 'cm1'))?.data).toEqual({ k1: 'v2' });
});

test('the local runner reconciles on each new request annotation value, of every kind, not on removal', async () => {
  const ns = await createScenarioNamespace('requests');
  const p = new TestProject('requests')
    .updateTarget('t')
    .addKustomizeDeployment('d1', { 'cm1.yaml': cm('v1') });
  const repo = await s.createRepo(p);
  await createKluctlDeployment(s, 'requests', {
    source: { git: { url: repo.url } },
    target: 't',
    args: { namespace: ns },
  });
  const seen: ReconcileOutcome[] = [];
  const runner = new LocalRunner(
    { ...s.deps, store: new FsStateStore(await stateDir()) },
    { namespace: s.namespace, onReconciled: (k, o) => k.endsWith('/requests') && seen.push(o) },
  );
  await runner.tick();
  expect(seen).toHaveLength(1);
  await runner.tick();
  expect(seen).toHaveLength(1);
  for (const kind of ['deploy', 'diff', 'prune', 'validate', 'reconcile']) {
    await annotate('requests', `kluctl.io/request-${kind}`, JSON.stringify({ requestValue: `${kind}-1` }));
    await runner.tick();
    const n = seen.length;
    await runner.tick();
    expect(seen).toHaveLength(n);
    await annotate('requests', `kluctl.io/request-${kind}`, null);
    await runner.tick();
    expect(seen).toHaveLength(n);
  }
  expect(seen).toHaveLength(6);
  await runner.stop();
});

async function annotate(name: string, key: string, value: string | null): Promise<void> {
  const r = await kubectlTest([
    'annotate',
    'kluctldeployment',
    name,
    '-n',
    s.namespace,
    '--overwrite',
    value === null ? `${key}-` : `${key}=${value}`,
  ]);
  expect(r.code).toBe(0);
}

function stateDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'ks-requests-state-'));
}
