/**
 * The walking skeleton end to end, against the real API server, LocalStack S3, a real Git smart-HTTP
 * server and the real kustomize: a KluctlDeployment applied with kubectl is reconciled by the reconcile
 * function (SQS-shaped event), then changes are pushed and reconciled again.
 * Follows Kluctl's e2e scenarios `TestGitOpsPrune` (gitops_prune_delete_test: a removed object is
 * pruned with prune: true) and `gitops_errors_test` (bad YAML gives PrepareFailed and leaves the
 * cluster as it was).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { handleReconcileBatch } from '../../functions/reconcile/handler.js';
import { HttpKubeClient } from '../../lib/adapters/http-kube-client.js';
import { IsomorphicGitSource } from '../../lib/adapters/isomorphic-git-source.js';
import type { KluctlDeployment } from '../../lib/api/types.js';
import type { KubeClient, KubeObject } from '../../lib/ports.js';
import { silentLogger, systemClock } from '../../lib/ports.js';
import { HttpKubeClientFactory } from '../../lib/adapters/kube-client-factory.js';
import { ClusterClients } from '../../lib/serverless/cluster-clients.js';
import { MemoryClusterRegistry } from '../../lib/serverless/memory-cluster-registry.js';
import type { ReconcileFunctionDeps } from '../../functions/reconcile/handler.js';
import { readFile } from 'node:fs/promises';
import { toolPath } from '../../lib/tools.js';
import { kubectl } from '../env/control-plane.js';
import { DelegatingKube } from '../env/delegating-kube.js';
import { createRepo } from '../env/git-repo.js';
import type { TestRepo } from '../env/git-repo.js';
import { startGitServer } from '../env/git-server.js';
import type { GitServer } from '../env/git-server.js';
import { createTestNamespace, installCrds, testEnv } from '../env/test-env.js';
import { fixtureDir, readTree } from '../env/fixtures.js';
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

let server: GitServer;
let repo: TestRepo;
let http: HttpKubeClient;
let kube: CountingKube;
let deps: ReconcileFunctionDeps;
let clusterId: string;
let workDir: string;
let ns: string;

beforeAll(async () => {
  const env = testEnv();
  await installCrds();
  PROJECT = await readTree(fixtureDir('skeleton'));
  server = await startGitServer();
  repo = await createRepo(server, 'e2e-project', PROJECT);
  http = await HttpKubeClient.fromKubeconfig({ kubeconfigPath: env.kubeconfigPath });
  kube = new CountingKube(http);
  workDir = await mkdtemp(join(tmpdir(), 'ks-reconcile-'));
  clusterId = await http.clusterId();
  // The function's own path to its cluster: the registry's kubeconfig, checked against the cluster's
  // id; the connection counts applies.
  const registry = new MemoryClusterRegistry([
    { id: clusterId, kubeconfig: await readFile(env.kubeconfigPath, 'utf8') },
  ]);
  const connect = async () => ({ kube, clusters: new HttpKubeClientFactory(http), close: () => undefined });
  deps = {
    shared: {
      store: await newS3Store('reconcile'),
      git: new IsomorphicGitSource(),
      clock: systemClock,
      logger: silentLogger,
      workDir,
      kustomizePath: toolPath('kustomize'),
      holder: 'reconcile-test',
    },
    clusters: new ClusterClients(registry, connect),
  };
  ns = await createTestNamespace('reconcile');
  const kd = {
    apiVersion: 'gitops.kluctl.io/v1beta1',
    kind: 'KluctlDeployment',
    metadata: { name: 'e2e', namespace: ns },
    spec: {
      interval: '5m',
      timeout: '2m',
      source: { git: { url: repo.url, ref: { branch: 'main' } } },
      target: 'dev',
      prune: true,
      args: { namespace: ns },
    },
  };
  const r = await kubectl(env.kubeconfigPath, ['apply', '-f', '-'], { input: JSON.stringify(kd) });
  expect(r.stderr).toBe('');
});

afterAll(async () => {
  http?.close();
  await server?.stop();
  await repo?.cleanup();
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

async function reconcile(id: string): Promise<KluctlDeployment> {
  const res = await handleReconcileBatch(
    sqsEvent(id, { clusterId, namespace: ns, name: 'e2e', reason: 'schedule' }),
    deps,
  );
  expect(res.batchItemFailures).toEqual([]);
  return (await http.get({
    group: 'gitops.kluctl.io',
    version: 'v1beta1',
    kind: 'KluctlDeployment',
    name: 'e2e',
    namespace: ns,
  })) as KluctlDeployment;
}

const ready = (kd: KluctlDeployment) => kd.status?.conditions?.find((c) => c.type === 'Ready');

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
  expect(ready(kd)).toMatchObject({ status: 'True', reason: 'ReconciliationSucceeded' });
  expect(ready(kd)?.message).toBe('deploy succeeded. 3 new objects. validate succeeded.');
  expect(kd.status?.observedGeneration).toBe(kd.metadata.generation);
  expect(kd.status?.lastObjectsHash).toMatch(/^[0-9a-f]{64}$/);
  expect(kd.status?.observedCommit).toBe(await repo.head());
  expect(kd.status?.lastDeployResult).toMatchObject({ appliedObjects: 3, newObjects: 3 });
  // Kluctl writes no error list when there are none (the field is dropped from the status).
  expect(kd.status?.lastDeployResult?.errors).toBeUndefined();
  expect(kd.status?.targetKey?.discriminator).toBe(`e2e-dev-${ns}`);
  expect(kd.status?.projectKey?.repoKey).toMatch(/^git:\/\/127\.0\.0\.1:\d+\/e2e-project$/);
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
  expect(ready(kd)?.status).toBe('True');
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
  expect(ready(kd)).toMatchObject({ status: 'True', reason: 'ReconciliationSucceeded' });
  expect(ready(kd)?.message).toBe(
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
  expect(ready(kd)).toMatchObject({
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
  expect(ready(kd)?.status).toBe('True');
  expect(kd.status?.lastPrepareError ?? '').toBe('');
  expect((await liveObjects()).get('ConfigMap/app-config')?.data).toEqual({ env: 'dev', color: 'blue' });
});
