/**
 * `spec.serviceAccountName` and the default service account (kluctl-semantics §9.5) against the real API
 * server: every request of the reconcile to the target cluster impersonates
 * `system:serviceaccount:<namespace>:<name>`, so what the account's RBAC allows is deployed and pruned,
 * what it does not is refused and reported, and nothing else is touched (checked with the admin client).
 * Reading the deployment and writing its status and finalizer stay with the runner's identity: the
 * accounts here may not even read KluctlDeployments. Kluctl v2.28.2 has no e2e test of impersonation;
 * the expectations were taken by running its `kluctl controller run` (with and without
 * `--default-service-account`) on the same project, and follow its e2e TestOnlyOneNamespacePrune
 * (permission warnings while listing by discriminator) and gitops_prune_delete_test (delete on removal).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { functionDeps } from '../../functions/shared/compose.js';
import { FsStateStore } from '../../lib/adapters/fs-state-store.js';
import type { HttpKubeClient } from '../../lib/adapters/http-kube-client.js';
import { LIST_PERMISSION_WARNING } from '../../lib/deploy/remote-objects.js';
import { silentLogger } from '../../lib/ports.js';
import { toolPath } from '../../devenv/tools.js';
import { cli } from '../support/cli.js';
import { kubectlTest, testEnv } from '../support/test-env.js';
import { readyCondition } from '../support/kluctl-deployment.js';
import { grantNamespace, kubectlApply, startIdentityScenario } from '../support/identity-scenario.js';
import type { IdentityScenario } from '../support/identity-scenario.js';

let s: IdentityScenario;
beforeAll(async () => {
  s = await startIdentityScenario();
});
afterAll(() => s?.stop());

const sa = (namespace: string, name: string) => ({ kind: 'ServiceAccount' as const, name, namespace });
const forbidden = (user: string, ns: string) =>
  `configmaps "other" is forbidden: User "${user}" cannot patch resource "configmaps" in API group "" in the namespace "${ns}"`;

/** A ConfigMap carrying the deployment's discriminator, written as Kluctl would have (field manager kluctl). */
async function plantOrphan(ns: string, discriminator: string): Promise<void> {
  const cm = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'orphan', namespace: ns, labels: { 'kluctl.io/discriminator': discriminator } },
    data: { planted: 'true' },
  };
  await kubectlApply([cm], ['--server-side', '--field-manager=kluctl']);
}

test('spec.serviceAccountName: allowed objects are deployed and pruned, the rest is refused and reported', async () => {
  const where = await s.namespaces('sa');
  await grantNamespace(sa(where.ns, 'deployer'), where.ns);
  await plantOrphan(where.ns, `identity-${where.ns}`);
  await plantOrphan(where.other, `identity-${where.ns}`);
  await s.apply(where, 'app', { serviceAccountName: 'deployer', prune: true });

  const { outcome, kd } = await s.reconcile(where.ns, 'app');

  expect(outcome).toMatchObject({ outcome: 'failed', deployed: true });
  // Status and finalizer were written although the account may not touch KluctlDeployments.
  expect(readyCondition(kd)).toMatchObject({ status: 'False', reason: 'DeployFailed' });
  expect(kd?.metadata.finalizers).toContain('finalizers.gitops.kluctl.io');
  const user = `system:serviceaccount:${where.ns}:deployer`;
  expect(kd?.status?.lastDeployResult?.errors).toEqual([
    {
      ref: { kind: 'ConfigMap', name: 'other', namespace: where.other, version: 'v1' },
      message: expect.stringContaining(forbidden(user, where.other)),
    },
  ]);
  expect(kd?.status?.lastDeployResult?.warnings?.map((w) => w.message)).toContain(LIST_PERMISSION_WARNING);
  expect(kd?.status?.targetKey?.clusterId).toBe(await s.admin.clusterId());
  const cm = await s.configMap(where.ns, 'cm');
  expect(cm?.data).toEqual({ targetName: 't-none', targetContext: 'default', fromVars: 'none' });
  expect(await s.configMap(where.other, 'other')).toBeUndefined();
  // Pruned where the account may delete, left alone where it may not even list.
  expect(await s.configMap(where.ns, 'orphan')).toBeUndefined();
  expect((await s.configMap(where.other, 'orphan'))?.data).toEqual({ planted: 'true' });
});

test('the runner default service account applies when the spec names none; the spec wins over it', async () => {
  const narrow = await s.namespaces('dsa');
  const wide = await s.namespaces('dsa-wide');
  for (const where of [narrow, wide]) await grantNamespace(sa(where.ns, 'deployer'), where.ns);
  // `wide` may also write the second namespace of its deployment.
  await grantNamespace(sa(wide.ns, 'wide'), wide.ns);
  await grantNamespace(sa(wide.ns, 'wide'), wide.other);
  await s.apply(narrow, 'app', {});
  await s.apply(wide, 'app', { serviceAccountName: 'wide' });
  const deps = s.deps({ defaultServiceAccount: 'deployer' });

  const a = await s.reconcile(narrow.ns, 'app', deps);
  expect(a.kd?.status?.lastDeployResult?.errors?.[0]?.message).toContain(
    forbidden(`system:serviceaccount:${narrow.ns}:deployer`, narrow.other),
  );
  expect(await s.configMap(narrow.ns, 'cm')).toBeDefined();
  expect(await s.configMap(narrow.other, 'other')).toBeUndefined();

  const b = await s.reconcile(wide.ns, 'app', deps);
  expect(readyCondition(b.kd)).toMatchObject({ status: 'True', reason: 'ReconciliationSucceeded' });
  expect(await s.configMap(wide.other, 'other')).toBeDefined();
});

test('cluster vars sources are read as the service account', async () => {
  const where = await s.namespaces('sa-vars');
  await grantNamespace(sa(where.ns, 'deployer'), where.ns);
  await kubectlApply(
    [where.ns, where.other].map((namespace) => ({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'identity-vars', namespace },
      data: { vars: `fromVars: from-${namespace}` },
    })),
  );
  const args = (varsNamespace: string) => ({ namespace: where.ns, other: where.other, varsNamespace });
  await s.apply(where, 'own', { serviceAccountName: 'deployer', args: args(where.ns) });
  await s.apply(where, 'foreign', { serviceAccountName: 'deployer', args: args(where.other) });

  const foreign = await s.reconcile(where.ns, 'foreign');
  expect(readyCondition(foreign.kd)).toMatchObject({ status: 'False', reason: 'PrepareFailed' });
  expect(foreign.kd?.status?.lastPrepareError).toContain(
    `configmaps "identity-vars" is forbidden: User "system:serviceaccount:${where.ns}:deployer" cannot get resource "configmaps"`,
  );
  expect(await s.configMap(where.ns, 'cm')).toBeUndefined();

  await s.reconcile(where.ns, 'own');
  expect((await s.configMap(where.ns, 'cm'))?.data).toMatchObject({ fromVars: `from-${where.ns}` });
});

test('an account that may not read the cluster id fails prepare with the API message and touches nothing', async () => {
  const where = await s.namespaces('ghost');
  await grantNamespace(sa(where.ns, 'ghost'), where.ns, { readNamespaces: false });
  await s.apply(where, 'app', { serviceAccountName: 'ghost' });

  const { kd } = await s.reconcile(where.ns, 'app');

  // Kluctl's controller fails here too, but reports only "deployment status unknown".
  expect(readyCondition(kd)).toMatchObject({ status: 'False', reason: 'PrepareFailed' });
  expect(kd?.status?.lastPrepareError).toContain(
    `User "system:serviceaccount:${where.ns}:ghost" cannot list resource "namespaces"`,
  );
  expect(await s.configMap(where.ns, 'cm')).toBeUndefined();
});

test.each([
  ['may list only its own namespace: nothing is found, nothing deleted', false, ['cm'], ['orphan']],
  ['may list everywhere: deletes what it may, the rest stays', true, [], ['orphan']],
])(
  'deleting a deployment with delete: true as a service account that %s',
  async (_name, readEverywhere, leftInNs, leftInOther) => {
    const where = await s.namespaces('sa-del');
    await grantNamespace(sa(where.ns, 'deployer'), where.ns, { readEverywhere });
    await s.apply(where, 'app', { serviceAccountName: 'deployer', delete: true });
    await s.reconcile(where.ns, 'app');
    expect(await s.configMap(where.ns, 'cm')).toBeDefined();
    await plantOrphan(where.other, `identity-${where.ns}`);

    const del = await kubectlTest(['delete', 'kluctldeployment', 'app', '-n', where.ns, '--wait=false']);
    expect(del.code).toBe(0);
    const { outcome, kd } = await s.reconcile(where.ns, 'app');

    // As Kluctl's controller: the finalizer goes either way (checked against `kluctl controller run`).
    expect(outcome.outcome).toBe('finalized');
    expect(kd).toBeUndefined();
    const names = async (ns: string, candidates: string[]) =>
      (await Promise.all(candidates.map(async (n) => ((await s.configMap(ns, n)) ? n : undefined)))).filter(
        (n) => n !== undefined,
      );
    expect(await names(where.ns, ['cm'])).toEqual(leftInNs);
    expect(await names(where.other, ['orphan'])).toEqual(leftInOther);
  },
);

test('kluctl-serverless run --default-service-account impersonates that account', async () => {
  const where = await s.namespaces('run-dsa');
  await grantNamespace(sa(where.ns, 'deployer'), where.ns);
  await s.apply(where, 'app', {});
  const stateDir = await mkdtemp(join(tmpdir(), 'ks-run-dsa-'));
  try {
    const r = await cli([
      'run',
      '--once',
      '--kubeconfig',
      testEnv().kubeconfigPath,
      '-n',
      where.ns,
      '--state-dir',
      stateDir,
      '--default-service-account',
      'deployer',
    ]);
    expect(r.code).toBe(0);
    expect(await s.configMap(where.ns, 'cm')).toBeDefined();
    expect(await s.configMap(where.other, 'other')).toBeUndefined();
  } finally {
    await rm(stateDir, { recursive: true, force: true });
  }
});

test('the functions take the default service account from DEFAULT_SERVICE_ACCOUNT', async () => {
  const where = await s.namespaces('fn-dsa');
  await grantNamespace(sa(where.ns, 'deployer'), where.ns);
  await s.apply(where, 'app', {});
  const fn = await functionDeps({
    STATE_BUCKET: 'not-used-here',
    KUBECONFIG: testEnv().kubeconfigPath,
    KUSTOMIZE_PATH: toolPath('kustomize'),
    HELM_PATH: toolPath('helm'),
    DEFAULT_SERVICE_ACCOUNT: 'deployer',
  });
  // The state goes to a folder instead of S3; cluster access is the functions' own composition.
  const deps = { ...fn, store: new FsStateStore(s.stateDir), logger: silentLogger, workDir: s.stateDir };

  const { kd } = await s.reconcile(where.ns, 'app', deps).finally(() => (fn.kube as HttpKubeClient).close());

  expect(kd?.status?.lastDeployResult?.errors?.[0]?.message).toContain(
    forbidden(`system:serviceaccount:${where.ns}:deployer`, where.other),
  );
  expect(await s.configMap(where.ns, 'cm')).toBeDefined();
});
