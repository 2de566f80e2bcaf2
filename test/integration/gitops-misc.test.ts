/**
 * Ports of Kluctl's e2e/gitops_misc_test.go through the reconciler: TestGitSourceWithPath (a project
 * below the repository root is found only with `spec.source.git.path`), TestNoTarget (a deployment
 * without target renders the no-name target, with the controller's context `default`) and
 * TestNoTargetError (a project with targets needs one selected). TestOciSourceWithPath does not apply:
 * OCI sources are not supported yet (spec.source.oci is rejected in prepare).
 */
import {
  configMapYaml,
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
  s = await startGitOpsSuite('gitops-misc');
});
afterAll(() => s?.close());

test('TestGitSourceWithPath: the project in subDir fails without path and deploys with it', async () => {
  const ns = await createScenarioNamespace('git-source-with-path');
  const p = new TestProject('git-source-with-path', 'subDir')
    .updateTarget('target1')
    .addKustomizeDeployment('d1', { 'configmap-cm1.yml': configMapYaml('cm1', ns, {}) });
  const repo = await s.createRepo(p);
  await createKluctlDeployment(s, 'git-source-with-path', {
    source: { git: { url: repo.url } },
    target: 'target1',
  });

  const first = await reconcile(s, 'git-source-with-path');
  expect(first.kd?.status?.observedCommit).toBe(await repo.head());
  expect(readiness(first.kd)?.status).toBe('False');
  expect(first.kd?.status?.lastPrepareError).toBe('target target1 not existent in kluctl project config');

  await updateKluctlDeployment(s, 'git-source-with-path', {
    source: { git: { url: repo.url, path: 'subDir' } },
  });
  const second = await reconcile(s, 'git-source-with-path');
  expect(second.kd?.status?.observedCommit).toBe(await repo.head());
  expect(readiness(second.kd)?.status).toBe('True');
  expect(await getConfigMap(ns, 'cm1')).toBeDefined();
});

/** Kluctl's prepareNoTargetTest (with a deployment.yml): one ConfigMap showing the target's name and context. */
async function noTargetProject(slug: string, ns: string, targets: string[]) {
  const p = new TestProject(slug).addKustomizeDeployment('cm', {
    'cm.yaml': configMapYaml('cm', ns, {
      targetName: '{{ target.name }}',
      targetContext: '{{ target.context }}',
    }),
  });
  for (const t of targets) p.updateTarget(t);
  const repo = await s.createRepo(p);
  await createKluctlDeployment(s, slug, { source: { git: { url: repo.url } } });
  return reconcile(s, slug);
}

test('TestNoTarget: without a target, the no-name target with context default is deployed', async () => {
  const ns = await createScenarioNamespace('no-target');
  const { kd } = await noTargetProject('no-target', ns, []);
  expect(readiness(kd)?.status).toBe('True');
  expect((await getConfigMap(ns, 'cm'))?.data).toEqual({ targetName: '', targetContext: 'default' });
});

test('TestNoTargetError: a project with targets needs one selected', async () => {
  const ns = await createScenarioNamespace('no-target-error');
  const { kd } = await noTargetProject('no-target-error', ns, ['target1']);
  expect(readiness(kd)).toMatchObject({ status: 'False', reason: 'PrepareFailed' });
  expect(kd?.status?.lastPrepareError).toContain(
    'a target must be explicitly selected when targets are defined in the Kluctl project',
  );
  expect(await getConfigMap(ns, 'cm')).toBeUndefined();
});
