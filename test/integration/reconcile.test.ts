/**
 * The walking skeleton end to end, against the real API server, LocalStack S3, a real Git smart-HTTP
 * server and the real kustomize: a KluctlDeployment applied with kubectl is reconciled by the reconcile
 * function (SQS-shaped event), then changes are pushed and reconciled again.
 * Follows Kluctl's e2e scenarios `TestGitOpsPrune` (gitops_prune_delete_test: a removed object is
 * pruned with prune: true) and `gitops_errors_test` (bad YAML gives PrepareFailed and leaves the
 * cluster as it was).
 */
import { readFile } from 'node:fs/promises';
import { handleReconcileBatch } from '../../functions/reconcile/handler.js';
import type { ReconcileFunctionDeps } from '../../functions/reconcile/handler.js';
import { HttpKubeClientFactory } from '../../lib/adapters/kube-client-factory.js';
import type { KluctlDeployment } from '../../lib/api/types.js';
import type { KubeClient, KubeObject } from '../../lib/ports.js';
import { ClusterClients } from '../../lib/serverless/cluster-clients.js';
import { MemoryClusterRegistry } from '../../lib/serverless/memory-cluster-registry.js';
import { DelegatingKube } from '../support/delegating-kube.js';
import { fixtureFiles } from '../support/fixtures.js';
import { applyKluctlDeployment, kluctlDeploymentRef, readyCondition } from '../support/kluctl-deployment.js';
import {
  startProjectScenario,
  testReconcileDeps,
  type ProjectScenario,
} from '../support/reconcile-scenario.js';
import { testEnv } from '../support/test-env.js';
import { newS3Store, sqsEvent } from './function-fixtures.js';

let PROJECT: Record<string, string>;

/** Counts apply calls so a test can prove that nothing was applied. */
class CountingKube extends DelegatingKube {
  applies = 0;
  override apply(...a: Parameters<KubeClient['apply']>) {
    this.applies++;
    return this.inner.apply(...a);
  }
}

let s: ProjectScenario;
let repo: ProjectScenario['repo'];
let http: ProjectScenario['kube'];
let kube: CountingKube;
let deps: ReconcileFunctionDeps;
let clusterId: string;
let ns: string;

beforeAll(async () => {
  const env = testEnv();
  PROJECT = await fixtureFiles('skeleton');
  s = await startProjectScenario({ name: 'reconcile', files: () => PROJECT });
  ({ repo, kube: http, ns } = s);
  kube = new CountingKube(http);
  clusterId = await http.clusterId();
  // The function's own path to its cluster: the registry's kubeconfig, checked against the cluster's
  // id; the connection counts applies.
  const registry = new MemoryClusterRegistry([
    { id: clusterId, kubeconfig: await readFile(env.kubeconfigPath, 'utf8') },
  ]);
  const connect = async () => ({ kube, clusters: new HttpKubeClientFactory(http), close: () => undefined });
  const { kube: _kube, ...shared } = testReconcileDeps({
    kube,
    store: await newS3Store('reconcile'),
    workDir: s.workDir,
    holder: 'reconcile-test',
  });
  deps = { shared, clusters: new ClusterClients(registry, connect) };
  await applyKluctlDeployment(ns, 'e2e', {
    interval: '5m',
    timeout: '2m',
    source: { git: { url: repo.url, ref: { branch: 'main' } } },
    target: 'dev',
    prune: true,
    args: { namespace: ns },
  });
});

afterAll(() => s?.stop());

async function reconcile(id: string): Promise<KluctlDeployment> {
  const res = await handleReconcileBatch(
    sqsEvent(id, { clusterId, namespace: ns, name: 'e2e', reason: 'schedule' }),
    deps,
  );
  expect(res.batchItemFailures).toEqual([]);
  return (await http.get(kluctlDeploymentRef(ns, 'e2e'))) as KluctlDeployment;
}

async function liveObjects(): Promise<Map<string, KubeObject>> {
  const out = new Map<string, KubeObject>();
  for (const [kind, plural] of [
    ['ConfigMap', 'configmaps'],
    ['Service', 'services'],
  ] as const) {
    const items = await http.list(
      { group: '', version: 'v1', kind, plural, namespaced: true, verbs: [] },
      { namespace: ns, labelSelector: `kluctl.io/discriminator=e2e-dev-${ns}` },
    );
    for (const o of items) out.set(`${kind}/${o.metadata.name}`, o);
  }
  return out;
}

test('first reconcile deploys the objects with the discriminator and reports Ready', async () => {
  const kd = await reconcile('m-1');
  expect(readyCondition(kd)).toMatchObject({ status: 'True', reason: 'ReconciliationSucceeded' });
  expect(readyCondition(kd)?.message).toBe('deploy succeeded. 3 new objects. validate succeeded.');
  expect(kd.status?.observedGeneration).toBe(kd.metadata.generation);
  expect(kd.status?.lastObjectsHash).toMatch(/^[0-9a-f]{64}$/);
  expect(kd.status?.observedCommit).toBe(await repo.head());
  expect(kd.status?.lastDeployResult).toMatchObject({ appliedObjects: 3, newObjects: 3 });
  // Kluctl writes no error list when there are none (the field is dropped from the status).
  expect(kd.status?.lastDeployResult?.errors).toBeUndefined();
  expect(kd.status?.targetKey?.discriminator).toBe(`e2e-dev-${ns}`);
  expect(kd.status?.projectKey?.repoKey).toMatch(/^git:\/\/127\.0\.0\.1:\d+\/reconcile-project$/);
  const live = await liveObjects();
  expect([...live.keys()].sort()).toEqual(['ConfigMap/app-config', 'Service/svc-a', 'Service/svc-b']);
  const cm = live.get('ConfigMap/app-config')!;
  expect(cm.data).toEqual({ env: 'dev', color: 'blue' });
  expect(cm.metadata.annotations?.['kluctl.io/deployment-item-dir']).toBe('config');
  expect(cm.metadata.labels?.['kluctl.io/tag-0']).toBe('config');
  expect(cm.metadata.managedFields?.some((m) => m.manager === 'kluctl' && m.operation === 'Apply')).toBe(
    true,
  );
});

test('a reconcile with nothing changed applies nothing', async () => {
  const before = await liveObjects();
  const applies = kube.applies;
  const kd = await reconcile('m-2');
  expect(readyCondition(kd)?.status).toBe('True');
  expect(kube.applies).toBe(applies);
  const after = await liveObjects();
  for (const [k, o] of before)
    expect(after.get(k)?.metadata.resourceVersion).toBe(o.metadata.resourceVersion);
});

test('a pushed commit is applied and the removed object pruned (TestGitOpsPrune)', async () => {
  await repo.commit(
    {
      'config/configmap.yaml': PROJECT['config/configmap.yaml']!.replace('color: blue', 'color: green'),
      'services/svc-b.yaml': null,
    },
    'green, no svc-b',
  );
  const kd = await reconcile('m-3');
  expect(readyCondition(kd)).toMatchObject({ status: 'True', reason: 'ReconciliationSucceeded' });
  expect(readyCondition(kd)?.message).toBe(
    'deploy succeeded. 1 changed objects. 1 deleted objects. validate succeeded.',
  );
  expect(kd.status?.lastDeployResult).toMatchObject({
    changedObjects: 1,
    deletedObjects: 1,
    totalChanges: 1,
  });
  const live = await liveObjects();
  expect(live.get('ConfigMap/app-config')?.data).toEqual({ env: 'dev', color: 'green' });
  expect(live.has('Service/svc-b')).toBe(false);
});

test('broken YAML gives PrepareFailed naming file and line, and leaves the cluster untouched (gitops_errors_test)', async () => {
  const before = await liveObjects();
  const applies = kube.applies;
  await repo.commit(
    {
      'config/configmap.yaml':
        'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: broken\n  labels: [unclosed\n',
    },
    'broken yaml',
  );
  const kd = await reconcile('m-4');
  expect(readyCondition(kd)).toMatchObject({
    status: 'False',
    reason: 'PrepareFailed',
    // An item that fails to render is one of a list of errors for Kluctl (gitops_errors_test).
    message: 'prepare failed with 1 errors. Check status.lastPrepareError for details',
  });
  expect(kd.status?.lastPrepareError).toMatch(/configmap\.yaml:\d+/);
  expect(kube.applies).toBe(applies);
  const after = await liveObjects();
  expect([...after.keys()].sort()).toEqual([...before.keys()].sort());
  for (const [k, o] of before)
    expect(after.get(k)?.metadata.resourceVersion).toBe(o.metadata.resourceVersion);
});

test('fixing the commit recovers Ready', async () => {
  await repo.commit({ 'config/configmap.yaml': PROJECT['config/configmap.yaml']! }, 'fix');
  const kd = await reconcile('m-5');
  expect(readyCondition(kd)?.status).toBe('True');
  expect(kd.status?.lastPrepareError ?? '').toBe('');
  expect((await liveObjects()).get('ConfigMap/app-config')?.data).toEqual({ env: 'dev', color: 'blue' });
});
