/**
 * Ports of Kluctl's e2e/gitops_prune_delete_test.go through the reconciler (real API server, Git
 * server, LocalStack S3): TestKluctlDeploymentReconciler_Prune (both halves), Test_Delete_True and
 * Test_Delete_False; then what the finalizer does beyond them, as Kluctl's doFinalize does it: the
 * spec's inclusion rules limit the deletion, `dryRun` deletes nothing, `suspend` keeps everything, the
 * delete result is stored, and the deployment's state goes so that a KluctlDeployment created again
 * under the same name deploys again. test/parity/controller-delete.test.ts runs the same deletions
 * through Kluctl's controller.
 */
import { readCommandResult } from '../../lib/reconcile/results.js';
import { resultsPrefix, stateKey } from '../../lib/state/layout.js';
import { kubectlTest } from '../support/test-env.js';
import {
  createKluctlDeployment,
  createScenarioNamespace,
  deleteKluctlDeployment,
  getConfigMap,
  readiness,
  reconcile,
  startGitOpsSuite,
  TestProject,
  updateKluctlDeployment,
} from './gitops-suite.js';
import type { GitOpsSuite } from './gitops-suite.js';

let s: GitOpsSuite;
let clusterId: string;

beforeAll(async () => {
  s = await startGitOpsSuite('prune-delete');
  clusterId = await s.kube.clusterId();
});
afterAll(() => s?.close());

const cm = (name: string) =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n  namespace: "{{ args.namespace }}"\ndata:\n  k1: v1\n`;

/** A project with one item per name (tagged with the name) and a deployment of it, deployed once. */
async function deployedProject(slug: string, items: string[], spec: Record<string, unknown> = {}) {
  const ns = await createScenarioNamespace(slug);
  const p = new TestProject(slug).updateTarget('target1');
  for (const i of items) p.addKustomizeDeployment(i, { [`${i}.yaml`]: cm(i) }, [i]);
  const repo = await s.createRepo(p);
  await createKluctlDeployment(s, slug, {
    source: { git: { url: repo.url } },
    target: 'target1',
    args: { namespace: ns },
    ...spec,
  });
  const { kd } = await reconcile(s, slug);
  expect(kd?.status?.observedCommit).toBe(await repo.head());
  expect(readiness(kd)?.status).toBe('True');
  for (const i of items) expect(await getConfigMap(ns, i)).toBeDefined();
  return { ns, p, repo };
}

const exists = async (ns: string, names: string[]) =>
  (await Promise.all(names.map(async (n) => ((await getConfigMap(ns, n)) ? n : undefined)))).filter(Boolean);

test('TestKluctlDeploymentReconciler_Prune: a removed item stays until prune is switched on, then goes', async () => {
  const { ns, p, repo } = await deployedProject('prune', ['d1', 'd2']);
  // First half: the item leaves the project, prune is off: both ConfigMaps stay.
  p.removeDeploymentItem(1);
  await repo.commit(p.files, 'remove d2');
  const { kd } = await reconcile(s, 'prune');
  expect(kd?.status?.lastDeployResult?.gitInfo?.commit).toBe(await repo.head());
  expect(kd?.status?.lastDeployResult).toMatchObject({ orphanObjects: 1, deletedObjects: 0 });
  expect(await exists(ns, ['d1', 'd2'])).toEqual(['d1', 'd2']);
  // Second half: prune: true deletes the orphan cm2 and keeps cm1.
  await updateKluctlDeployment(s, 'prune', { prune: true });
  const pruned = await reconcile(s, 'prune');
  expect(pruned.kd?.status?.lastDeployResult).toMatchObject({ deletedObjects: 1 });
  expect(await exists(ns, ['d1', 'd2'])).toEqual(['d1']);
});

test.each([
  ['Test_Delete_True', true, []],
  ['Test_Delete_False', false, ['d1']],
])('%s: deleting the KluctlDeployment with delete: %s', async (scenario, del, left) => {
  const slug = scenario === 'Test_Delete_True' ? 'delete-true' : 'delete-false';
  const { ns } = await deployedProject(slug, ['d1'], { delete: del });
  const outcome = await deleteKluctlDeployment(s, slug);
  expect(await exists(ns, ['d1'])).toEqual(left);
  expect(outcome.message).toBe(
    del
      ? 'finalizer removed, 1 objects deleted, 0 errors'
      : 'finalizer removed (delete is false, objects kept)',
  );
});

test('the finalizer deletes only what the spec includes (includeTags, excludeDeploymentDirs)', async () => {
  const { ns } = await deployedProject('delete-inclusion', ['a', 'b', 'c'], { delete: true });
  // From now on only a is included: b is excluded by its dir, c not included by tag.
  await updateKluctlDeployment(s, 'delete-inclusion', {
    includeTags: ['a', 'b'],
    excludeDeploymentDirs: ['b'],
  });
  await reconcile(s, 'delete-inclusion');
  await deleteKluctlDeployment(s, 'delete-inclusion');
  expect(await exists(ns, ['a', 'b', 'c'])).toEqual(['b', 'c']);
});

test('dryRun: the finalizer deletes nothing and stores a dry-run delete result', async () => {
  const { ns } = await deployedProject('delete-dry', ['d1', 'd2'], { delete: true });
  await updateKluctlDeployment(s, 'delete-dry', { dryRun: true });
  await reconcile(s, 'delete-dry');
  const outcome = await deleteKluctlDeployment(s, 'delete-dry');
  expect(outcome.message).toBe('finalizer removed, 2 objects deleted (dry run), 0 errors');
  expect(await exists(ns, ['d1', 'd2'])).toEqual(['d1', 'd2']);
  const result = await deleteResult('delete-dry');
  expect(result).toMatchObject({
    command: { command: 'delete', initiator: 'KluctlDeployment', dryRun: true },
    kluctlDeployment: { name: 'delete-dry', namespace: s.namespace, clusterId },
    targetKey: { targetName: 'target1', discriminator: 'delete-dry-target1' },
  });
  expect(
    result?.objects
      .filter((o) => o.deleted)
      .map((o) => o.ref.name)
      .sort(),
  ).toEqual(['d1', 'd2']);
});

test('suspend: the finalizer keeps the objects although delete is true', async () => {
  const { ns } = await deployedProject('delete-suspended', ['d1'], { delete: true });
  await updateKluctlDeployment(s, 'delete-suspended', { suspend: true });
  await reconcile(s, 'delete-suspended');
  const outcome = await deleteKluctlDeployment(s, 'delete-suspended');
  expect(outcome.message).toBe('finalizer removed (suspended, objects kept)');
  expect(await exists(ns, ['d1'])).toEqual(['d1']);
});

test('the delete result is stored, the state goes, and a KluctlDeployment created again deploys again', async () => {
  const { ns, repo } = await deployedProject('recreate', ['d1'], { delete: true });
  const key = stateKey(clusterId, s.namespace, 'recreate');
  expect(await s.store.get(key)).toBeDefined();
  await deleteKluctlDeployment(s, 'recreate');
  expect(await exists(ns, ['d1'])).toEqual([]);
  expect(await s.store.get(key)).toBeUndefined();
  const result = await deleteResult('recreate');
  expect(result).toMatchObject({
    command: { command: 'delete', initiator: 'KluctlDeployment' },
    targetKey: { targetName: 'target1', discriminator: 'recreate-target1', clusterId },
    errors: [],
  });
  expect(result?.objects.map((o) => [o.ref.name, o.deleted])).toEqual([['d1', true]]);

  // Same name, same spec, same commit (so the same objects hash and generation): deployed again.
  await createKluctlDeployment(s, 'recreate', {
    source: { git: { url: repo.url } },
    target: 'target1',
    args: { namespace: ns },
    delete: true,
  });
  const again = await reconcile(s, 'recreate');
  expect(again.outcome).toMatchObject({ outcome: 'succeeded', deployed: true });
  expect(await exists(ns, ['d1'])).toEqual(['d1']);
});

test('memory of an earlier object of the same name is not inherited (finalizer removed by hand)', async () => {
  const { ns, repo } = await deployedProject('recreate-forced', ['d1']);
  // Someone removes the finalizer: the object goes without our finalizer running, the state stays.
  const patched = await updateFinalizers('recreate-forced');
  expect(patched).toBe(0);
  await deleteByHand('recreate-forced');
  await createKluctlDeployment(s, 'recreate-forced', {
    source: { git: { url: repo.url } },
    target: 'target1',
    args: { namespace: ns },
  });
  const again = await reconcile(s, 'recreate-forced');
  expect(again.outcome).toMatchObject({ outcome: 'succeeded', deployed: true });
});

/** The stored delete result (keys sort by end time in seconds, so a deploy of the same second may follow). */
async function deleteResult(name: string) {
  const keys = await s.store.list(resultsPrefix(clusterId, s.namespace, name));
  // Reconcile logs (`logs/…jsonl.gz`) live beside the results.
  const results = await Promise.all(
    [...keys].filter((k) => k.endsWith('.json.gz')).map((k) => readCommandResult(s.store, k)),
  );
  const deletes = results.filter((r) => r?.command.command === 'delete');
  expect(deletes).toHaveLength(1);
  return deletes[0];
}

async function updateFinalizers(name: string): Promise<number> {
  const r = await kubectlTest([
    'patch',
    'kluctldeployment',
    name,
    '-n',
    s.namespace,
    '--type=merge',
    '-p',
    '{"metadata":{"finalizers":null}}',
  ]);
  return r.code;
}

async function deleteByHand(name: string): Promise<void> {
  const r = await kubectlTest(['delete', 'kluctldeployment', name, '-n', s.namespace]);
  expect(r.code).toBe(0);
}
