/**
 * Item-level deletions against the real API server (kluctl-semantics §2.3 `deleteObjects`, §5.2
 * `kluctl.io/delete`, §6.3 step 1): deleted before the item's pre hooks, missing objects ignored,
 * unknown group/kind an error, deleted objects reported as such and never applied.
 */
import { HttpKubeClient } from '../../lib/adapters/http-kube-client.js';
import { createTestNamespace, kubectlTest, testEnv } from '../support/test-env.js';
import { HookScenario } from './hooks-scenario.js';
import { deleteObjects } from '../../lib/deploy/delete-objects.js';

let real: HttpKubeClient;
beforeAll(async () => {
  real = await HttpKubeClient.fromKubeconfig({ kubeconfigPath: testEnv().kubeconfigPath });
});
afterAll(() => real?.close());

async function create(ns: string, args: string): Promise<void> {
  const r = await kubectlTest(['create', '-n', ns, ...args.split(' ')]);
  if (r.code !== 0) throw new Error(r.stderr);
}
const exists = async (ns: string, kind: string, name: string): Promise<boolean> =>
  (await kubectlTest(['get', kind, name, '-n', ns])).code === 0;

test('TestDeleteObjects: deleteObjects removes every matching type before the pre hooks', async () => {
  const s = new HookScenario(real, await createTestNamespace('delete-objects'));
  await create(s.ns, 'configmap old');
  await create(s.ns, 'secret generic old');
  await create(s.ns, 'deployment web --image=registry.invalid/x:1');
  s.cm('cm1').hook('hook1', 'pre-deploy');
  s.item = {
    deleteObjects: [
      { kind: 'ConfigMap', name: 'old', namespace: s.ns },
      // Only a group: every kind of apps/ named "web" (here the Deployment).
      { group: 'apps', name: 'web', namespace: s.ns },
      // Already gone: no error, not reported as deleted.
      { kind: 'ConfigMap', name: 'never-existed', namespace: s.ns },
    ],
  };
  const out = await s.deploy();
  expect(out.errors).toEqual([]);
  expect(out.ops).toEqual(['delete:old', 'delete:web', 'delete:hook1', 'apply:hook1', 'apply:cm1']);
  expect(await exists(s.ns, 'configmap', 'old')).toBe(false);
  expect(await exists(s.ns, 'secret', 'old')).toBe(true);
  expect(await exists(s.ns, 'deployment', 'web')).toBe(false);
  const deleted = out.objects.filter((o) => o.deleted).map((o) => `${o.ref.kind}/${o.ref.name}`);
  expect(deleted.sort()).toEqual(['ConfigMap/old', 'Deployment/web']);
});

test('deleteObjects with a group/kind the cluster does not serve is an error naming it', async () => {
  const s = new HookScenario(real, await createTestNamespace('delete-objects-unknown'));
  await create(s.ns, 'configmap old');
  s.cm('cm1');
  s.item = {
    deleteObjects: [
      { group: 'example.com', kind: 'Widget', name: 'w', namespace: s.ns },
      { kind: 'ConfigMap', name: 'old', namespace: s.ns },
    ],
  };
  const out = await s.deploy();
  expect(out.errors.map((e) => e.message)).toEqual([
    `cannot delete Widget ${s.ns}/w: the cluster serves no resource with group/kind Widget.example.com; fix deleteObjects of hook`,
  ]);
  expect(out.applied).toEqual(['cm1']);
  expect(await exists(s.ns, 'configmap', 'old')).toBe(false);
});

test('kluctl.io/delete: the live object is deleted and never applied; missing or invalid ones are fine', async () => {
  const s = new HookScenario(real, await createTestNamespace('delete-annotation'));
  await create(s.ns, 'configmap doomed');
  s.cm('cm1');
  s.cm('doomed', { 'kluctl.io/delete': 'true' });
  s.cm('absent', { 'kluctl.io/delete': 'true' });
  // Need not be valid: a kind the cluster does not know.
  s.add({
    apiVersion: 'example.com/v1',
    kind: 'Widget',
    metadata: { name: 'w', annotations: { 'kluctl.io/delete': 'true' } },
  });
  // Never a hook, even with a hook annotation.
  s.hook('not-a-hook', 'pre-deploy', { 'kluctl.io/delete': 'true' });
  const out = await s.deploy();
  expect(out.errors).toEqual([]);
  expect(out.applied).toEqual(['cm1']);
  expect(out.ops).toEqual(['delete:doomed', 'apply:cm1']);
  expect(await exists(s.ns, 'configmap', 'doomed')).toBe(false);
  const entry = (n: string) => out.objects.find((o) => o.ref.name === n)!;
  expect(entry('doomed')).toMatchObject({ deleted: true });
  expect(entry('doomed').applied).toBeUndefined();
  expect(entry('absent').deleted).toBeUndefined();
  expect(entry('not-a-hook').hook).toBeUndefined();
  // Rendered, so never an orphan either.
  expect(out.objects.filter((o) => o.orphan)).toEqual([]);
});

test('an object deleted by deleteObjects is not reported as an orphan afterwards', async () => {
  const s = new HookScenario(real, await createTestNamespace('delete-orphan'));
  s.cm('cm1').cm('gone');
  await s.deploy();
  s.objects = s.objects.filter((o) => o.metadata.name !== 'gone');
  s.item = { deleteObjects: [{ kind: 'ConfigMap', name: 'gone', namespace: s.ns }] };
  const out = await s.deploy({ prune: true });
  expect(out.errors).toEqual([]);
  const gone = out.objects.filter((o) => o.ref.name === 'gone');
  expect(gone).toHaveLength(1);
  expect(gone[0]).toMatchObject({ deleted: true });
  expect(gone[0]!.orphan).toBeUndefined();
});

test('a dry run deletes nothing: deleteObjects under --dry-run and the delete command with dryRun', async () => {
  const s = new HookScenario(real, await createTestNamespace('delete-objects-dry'));
  await create(s.ns, 'configmap old');
  s.cm('cm1');
  s.item = { deleteObjects: [{ kind: 'ConfigMap', name: 'old', namespace: s.ns }] };
  const out = await s.deploy({ dryRun: true });
  expect(out.errors).toEqual([]);
  // The API server accepted the (dry-run) delete, and the object is still there.
  expect(out.objects.filter((o) => o.deleted).map((o) => o.ref.name)).toEqual(['old']);
  expect(await exists(s.ns, 'configmap', 'old')).toBe(true);

  const del = await deleteObjects(real, [await real.get(cmRef(s.ns, 'old')).then((o) => o!)], {
    dryRun: true,
  });
  expect(del.deleted.map((r) => r.name)).toEqual(['old']);
  expect(await exists(s.ns, 'configmap', 'old')).toBe(true);
});

function cmRef(namespace: string, name: string) {
  return { group: '', version: 'v1', kind: 'ConfigMap', name, namespace };
}
