/**
 * Port of Kluctl's e2e/gitops_fieldmanager_test.go `TestFieldManager` through the reconciler: with a
 * `deployInterval`, the reconcile redeploys although nothing in Git changed, restoring a field
 * another tool changed with an update (manager `kubectl`), keeping keys the project does not render,
 * and leaving a field another manager took over with an apply-style patch alone, until
 * `forceApply: true` takes it back. Kluctl's 5s interval is 1s here, and the test waits it out before
 * each reconcile instead of polling for 300s.
 */
import type { KubeObject } from '../../lib/ports.js';
import {
  createKluctlDeployment,
  createScenarioNamespace,
  getConfigMap,
  reconcile,
  startGitOpsSuite,
  TestProject,
  updateKluctlDeployment,
} from './gitops-suite.js';
import type { GitOpsSuite } from './gitops-suite.js';

const NAME = 'field-manager';
let s: GitOpsSuite;
let ns: string;

beforeAll(async () => {
  s = await startGitOpsSuite('gitops-fieldmanager');
});
afterAll(() => s?.close());

const cm1 = `apiVersion: v1
kind: ConfigMap
metadata:
  name: cm1
  namespace: "{{ args.namespace }}"
data:
  k1: v1
  k2: "{{ args.k2 + 1 }}"
`;

/** Waits out the deployInterval, then reconciles (Kluctl's controller requeues at it by itself). */
async function afterDeployInterval(): Promise<KubeObject> {
  await new Promise((r) => setTimeout(r, 1100));
  const { outcome } = await reconcile(s, NAME);
  expect(outcome.deployed).toBe(true);
  return (await getConfigMap(ns, 'cm1'))!;
}

/** Changes `data` of cm1 as `manager` does: an update (PUT) or a merge patch. */
async function modify(manager: string, how: 'update' | 'patch', data: Record<string, string>): Promise<void> {
  const cm = (await getConfigMap(ns, 'cm1'))!;
  const ref = { group: '', version: 'v1', kind: 'ConfigMap', name: 'cm1', namespace: ns };
  if (how === 'update') {
    await s.kube.update(
      { ...cm, data: { ...(cm.data as Record<string, string>), ...data } },
      { fieldManager: manager },
    );
  } else {
    await s.kube.mergePatch(ref, { data }, { fieldManager: manager });
  }
}

test('TestFieldManager: deployInterval restores fields of other tools, keeps their extra keys, forceApply takes fields back', async () => {
  ns = await createScenarioNamespace(NAME);
  const p = new TestProject(NAME).updateTarget('target1').addKustomizeDeployment('d1', { 'cm1.yaml': cm1 });
  const repo = await s.createRepo(p);
  await createKluctlDeployment(s, NAME, {
    source: { git: { url: repo.url } },
    target: 'target1',
    args: { namespace: ns, k2: 42 },
  });
  // initial deployment
  const first = await reconcile(s, NAME);
  expect(first.kd?.status?.observedCommit).toBe(await repo.head());
  await updateKluctlDeployment(s, NAME, { deployInterval: '1s' });

  // cm1 is deployed
  expect((await getConfigMap(ns, 'cm1'))?.data).toEqual({ k1: 'v1', k2: '43' });

  // cm1 is modified and restored
  await modify('kubectl', 'update', { k1: 'v2' });
  expect((await afterDeployInterval()).data).toMatchObject({ k1: 'v1' });

  // cm1 gets a key added which is not modified by the controller
  await modify('kubectl', 'update', { k1: 'v2', k3: 'v3' });
  expect((await afterDeployInterval()).data).toEqual({ k1: 'v1', k2: '43', k3: 'v3' });

  // cm1 gets modified with another field manager: two reconciles later it is still theirs
  await modify('test-field-manager', 'patch', { k1: 'v2' });
  await afterDeployInterval();
  expect((await afterDeployInterval()).data).toMatchObject({ k1: 'v2' });

  // forceApply is true and cm1 gets restored even with another field manager
  await updateKluctlDeployment(s, NAME, { forceApply: true });
  await modify('test-field-manager', 'patch', { k1: 'v2' });
  expect((await afterDeployInterval()).data).toMatchObject({ k1: 'v1' });
});
