/**
 * Many clusters, one stack (DESIGN.md §3): one set of reconcile-function dependencies serves two real
 * API servers (the test run's, and a second etcd + kube-apiserver started here), each reached with the
 * kubeconfig the cluster registry holds for it. The same namespace and name exist in both; each
 * message reconciles exactly the cluster it names, state and results are kept under that cluster's
 * id, and nothing of one cluster shows up in the other.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { handleReconcileBatch } from '../../functions/reconcile/handler.js';
import type { ReconcileFunctionDeps } from '../../functions/reconcile/handler.js';
import { connectCluster } from '../../functions/reconcile/compose.js';
import { IsomorphicGitSource } from '../../lib/adapters/isomorphic-git-source.js';
import type { S3StateStore } from '../../lib/adapters/s3-state-store.js';
import type { KluctlDeployment } from '../../lib/api/types.js';
import type { CommandResult } from '../../lib/deploy/command-result.js';
import { silentLogger, systemClock } from '../../lib/ports.js';
import type { ReconcileOutcome } from '../../lib/reconcile/reconcile.js';
import { ClusterClients } from '../../lib/serverless/cluster-clients.js';
import { MemoryClusterRegistry } from '../../lib/serverless/memory-cluster-registry.js';
import type { ReconcileMessage } from '../../lib/serverless/protocol.js';
import { toolPath } from '../../devenv/tools.js';
import { kubectl, startControlPlane } from '../../devenv/control-plane.js';
import type { ControlPlane } from '../../devenv/control-plane.js';
import { fixtureFiles } from '../support/fixtures.js';
import { createRepo } from '../../devenv/git-repo.js';
import type { TestRepo } from '../../devenv/git-repo.js';
import { startGitServer } from '../../devenv/git-server.js';
import type { GitServer } from '../../devenv/git-server.js';
import { createTestNamespace, installCrds, testEnv } from '../support/test-env.js';
import { newS3Store, sqsEvent } from './function-fixtures.js';

const CRDS_DIR = fileURLToPath(new URL('../../crds/', import.meta.url));

/** One API server as the test drives it. */
interface Cluster {
  readonly kubeconfigPath: string;
  id: string;
}

let second: ControlPlane | undefined;
let secondDir: string;
let server: GitServer;
let repo: TestRepo;
let store: S3StateStore;
let workDir: string;
const a: Cluster = { kubeconfigPath: '', id: '' };
const b: Cluster = { kubeconfigPath: '', id: '' };

beforeAll(async () => {
  const env = testEnv();
  secondDir = await mkdtemp(join(env.runDir, 'second-cluster-'));
  const [cp] = await Promise.all([
    startControlPlane({ workDir: secondDir, logsDir: join(secondDir, 'logs') }),
    installCrds(),
  ]);
  second = cp;
  Object.assign(a, { kubeconfigPath: env.kubeconfigPath });
  Object.assign(b, { kubeconfigPath: cp.kubeconfigPath });
  const crds = await kubectl(b.kubeconfigPath, ['apply', '--server-side', '-f', CRDS_DIR]);
  expect(crds.stderr).toBe('');
  const est = await kubectl(b.kubeconfigPath, [
    'wait',
    '--for=condition=Established',
    '--timeout=30s',
    '-f',
    CRDS_DIR,
  ]);
  expect(est.stderr).toBe('');
  for (const c of [a, b]) {
    const r = await kubectl(c.kubeconfigPath, [
      'get',
      'namespace',
      'kube-system',
      '-o',
      'jsonpath={.metadata.uid}',
    ]);
    c.id = r.stdout;
  }
  server = await startGitServer();
  repo = await createRepo(server, 'clusters-project', await fixtureFiles('skeleton'));
  store = await newS3Store('clusters');
  workDir = await mkdtemp(join(env.runDir, 'clusters-work-'));
}, 120_000);

afterAll(async () => {
  await second?.stop();
  await server?.stop();
  await repo?.cleanup();
  if (secondDir) await rm(secondDir, { recursive: true, force: true });
});

async function deps(
  registry: MemoryClusterRegistry,
  seen: ReconcileOutcome[],
): Promise<ReconcileFunctionDeps> {
  return {
    shared: {
      store,
      git: new IsomorphicGitSource(),
      clock: systemClock,
      logger: silentLogger,
      workDir,
      kustomizePath: toolPath('kustomize'),
      holder: 'clusters-test',
    },
    clusters: new ClusterClients(registry, connectCluster),
    onReconciled: (_m, outcome) => void seen.push(outcome),
  };
}

const registration = async (c: Cluster) => ({
  id: c.id,
  kubeconfig: await readFile(c.kubeconfigPath, 'utf8'),
});

async function applyKd(c: Cluster, ns: string, name: string, target: string): Promise<void> {
  const kd = {
    apiVersion: 'gitops.kluctl.io/v1beta1',
    kind: 'KluctlDeployment',
    metadata: { name, namespace: ns },
    spec: { interval: '10m', source: { git: { url: repo.url } }, target, args: { namespace: ns } },
  };
  const r = await kubectl(c.kubeconfigPath, ['apply', '-f', '-'], { input: JSON.stringify(kd) });
  expect(r.stderr).toBe('');
}

async function getJson<T>(c: Cluster, args: string[]): Promise<T | undefined> {
  const r = await kubectl(c.kubeconfigPath, [...args, '-o', 'json']);
  return r.code === 0 ? (JSON.parse(r.stdout) as T) : undefined;
}

test('one set of function dependencies reconciles two API servers, nothing crossing', async () => {
  expect(a.id).toMatch(/^[0-9a-f-]{36}$/);
  expect(b.id).toMatch(/^[0-9a-f-]{36}$/);
  expect(b.id).not.toBe(a.id);
  // The same namespace and deployment name in both clusters; different targets tell them apart.
  const ns = await createTestNamespace('clusters');
  expect((await kubectl(b.kubeconfigPath, ['create', 'namespace', ns])).code).toBe(0);
  await applyKd(a, ns, 'app', 'dev');
  await applyKd(b, ns, 'app', 'prod');
  await applyKd(a, ns, 'only-in-a', 'dev');
  const seen: ReconcileOutcome[] = [];
  const fn = await deps(new MemoryClusterRegistry([await registration(a), await registration(b)]), seen);
  const msg = (clusterId: string, name: string): ReconcileMessage => ({
    clusterId,
    namespace: ns,
    name,
    reason: 'created',
  });

  const res = await handleReconcileBatch(
    sqsEvent(
      'multi',
      msg(a.id, 'app'),
      msg(b.id, 'app'),
      msg(b.id, 'only-in-a'),
      msg('not-registered', 'app'),
    ),
    fn,
  );

  // The unregistered cluster is dropped (no retry can help); the others are done.
  expect(res.batchItemFailures).toEqual([]);
  expect(seen.map((o) => o.outcome)).toEqual(['succeeded', 'succeeded', 'gone']);
  // Each cluster got its own target's objects and reports its own cluster id.
  for (const [c, env] of [
    [a, 'dev'],
    [b, 'prod'],
  ] as const) {
    const cm = await getJson<{ data: Record<string, string> }>(c, [
      'get',
      'configmap',
      'app-config',
      '-n',
      ns,
    ]);
    expect(cm?.data.env).toBe(env);
    const kd = await getJson<KluctlDeployment>(c, ['get', 'kluctldeployment', 'app', '-n', ns]);
    expect(kd?.status?.conditions?.find((x) => x.type === 'Ready')?.status).toBe('True');
    expect(kd?.status?.targetKey).toMatchObject({ targetName: env, clusterId: c.id });
  }
  // A message naming cluster B touched nothing in A: `only-in-a` was not reconciled there.
  const onlyA = await getJson<KluctlDeployment>(a, ['get', 'kluctldeployment', 'only-in-a', '-n', ns]);
  expect(onlyA?.status).toBeUndefined();
  expect(onlyA?.metadata.finalizers).toBeUndefined();
  expect(await getJson(b, ['get', 'kluctldeployment', 'only-in-a', '-n', ns])).toBeUndefined();

  // State and results live under each cluster's id, and each result names its own cluster.
  const keys = (await store.list('clusters/')).filter((k) => k.includes(`/deployments/${ns}/`));
  expect(keys.filter((k) => k.endsWith('/state.json')).sort()).toEqual(
    [
      `clusters/${a.id}/deployments/${ns}/app/state.json`,
      `clusters/${b.id}/deployments/${ns}/app/state.json`,
    ].sort(),
  );
  // Reconcile logs (`logs/…jsonl.gz`) live beside the results.
  const results = (await store.list('results/')).filter(
    (k) => k.includes(`/${ns}/`) && k.endsWith('.json.gz'),
  );
  expect(results).toHaveLength(2);
  for (const key of results) {
    const result = JSON.parse(gunzipSync((await store.get(key))!.body).toString('utf8')) as CommandResult;
    expect(key.startsWith(`results/${result.kluctlDeployment?.clusterId}/${ns}/app/`)).toBe(true);
    expect(result.targetKey?.clusterId).toBe(result.kluctlDeployment?.clusterId);
  }
});

test("a kubeconfig registered under another cluster's id is refused and the message redelivered", async () => {
  const ns = await createTestNamespace('clusters-mislabelled');
  await applyKd(a, ns, 'app', 'dev');
  const seen: ReconcileOutcome[] = [];
  // Cluster B's kubeconfig registered under A's id: using it would write A's state with B's objects.
  const fn = await deps(new MemoryClusterRegistry([{ ...(await registration(b)), id: a.id }]), seen);
  const res = await handleReconcileBatch(
    sqsEvent('mislabelled', { clusterId: a.id, namespace: ns, name: 'app', reason: 'created' }),
    fn,
  );
  expect(res.batchItemFailures).toEqual([{ itemIdentifier: 'mislabelled-0' }]);
  expect(seen).toEqual([]);
  const kd = await getJson<KluctlDeployment>(a, ['get', 'kluctldeployment', 'app', '-n', ns]);
  expect(kd?.status).toBeUndefined();
});
