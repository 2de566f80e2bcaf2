/**
 * The reconcile function at its deadline and under concurrency, against the real API server (with
 * kube-scheduler and kwok, so Deployments really roll out), LocalStack S3 and a real Git server:
 * - a deploy whose readiness wait outlasts the time the function has left stops at the deadline,
 *   writes status naming it, keeps what it applied, applies and prunes nothing more, releases the
 *   lease, and the next run (once the workload can get ready) completes;
 * - while it runs, its lease expires shortly after its deadline (not after spec.timeout), so a
 *   function killed there blocks the next run only briefly;
 * - two reconciles of one deployment at once: exactly one deploys, the other is redelivered.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { handleReconcileBatch } from '../../functions/reconcile/handler.js';
import type { ReconcileFunctionDeps } from '../../functions/reconcile/handler.js';
import { connectCluster } from '../../functions/reconcile/compose.js';
import type { S3StateStore } from '../../lib/adapters/s3-state-store.js';
import type { KluctlDeployment } from '../../lib/api/types.js';
import { silentLogger, systemClock } from '../../lib/ports.js';
import type { ReconcileMemory } from '../../lib/reconcile/memory.js';
import { LEASE_GRACE_MS } from '../../lib/reconcile/reconcile.js';
import type { ReconcileOutcome } from '../../lib/reconcile/reconcile.js';
import { ClusterClients } from '../../lib/serverless/cluster-clients.js';
import { MemoryClusterRegistry } from '../../lib/serverless/memory-cluster-registry.js';
import type { ReconcileMessage } from '../../lib/serverless/protocol.js';
import { readJson } from '../../lib/state/json-state.js';
import { stateKey } from '../../lib/state/layout.js';
import { toolPath } from '../../devenv/tools.js';
import { IsomorphicGitSource } from '../../lib/adapters/isomorphic-git-source.js';
import { FAKE_NODE_NAME } from '../../devenv/controllers.js';
import { fixtureFiles } from '../support/fixtures.js';
import { createRepo } from '../../devenv/git-repo.js';
import type { TestRepo } from '../../devenv/git-repo.js';
import { startGitServer } from '../../devenv/git-server.js';
import type { GitServer } from '../../devenv/git-server.js';
import { createTestNamespace, installCrds, kubectlJson, kubectlTest, testEnv } from '../support/test-env.js';
import { newS3Store, sqsEvent } from './function-fixtures.js';

let server: GitServer;
const repos: TestRepo[] = [];
let store: S3StateStore;
let clusters: ClusterClients;
let clusterId: string;
let workDir: string;
const nodeLabels: string[] = [];
/** Every onReconciled call, as the schedule index would see them. */
const reconciled: { message: ReconcileMessage; outcome: ReconcileOutcome }[] = [];

beforeAll(async () => {
  if (!testEnv().controllers) throw new Error('these tests need the test controllers (KS_TEST_CONTROLLERS)');
  await installCrds();
  server = await startGitServer();
  store = await newS3Store('deadline');
  workDir = await mkdtemp(join(tmpdir(), 'ks-deadline-'));
  // The function's own way to its cluster: the registered kubeconfig, checked against kube-system's UID.
  const kubeconfig = await readFile(testEnv().kubeconfigPath, 'utf8');
  const probe = await connectCluster(kubeconfig);
  clusterId = await probe.kube.clusterId();
  probe.close();
  clusters = new ClusterClients(new MemoryClusterRegistry([{ id: clusterId, kubeconfig }]), connectCluster);
});

afterAll(async () => {
  for (const label of nodeLabels) await kubectlTest(['label', 'node', FAKE_NODE_NAME, `${label}-`]);
  clusters?.close();
  await server?.stop();
  for (const r of repos) await r.cleanup();
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

function deps(holder: string): ReconcileFunctionDeps {
  return {
    shared: {
      store,
      git: new IsomorphicGitSource(),
      clock: systemClock,
      logger: silentLogger,
      workDir,
      kustomizePath: toolPath('kustomize'),
      holder,
    },
    clusters,
    onReconciled: (message, outcome) => void reconciled.push({ message, outcome }),
  };
}

/** A Lambda context whose function ends `ms` from now. */
const endsIn = (ms: number) => {
  const end = Date.now() + ms;
  return { getRemainingTimeInMillis: () => end - Date.now() };
};

async function applyKd(ns: string, repo: TestRepo, extra: Record<string, unknown> = {}): Promise<void> {
  const kd = {
    apiVersion: 'gitops.kluctl.io/v1beta1',
    kind: 'KluctlDeployment',
    metadata: { name: 'app', namespace: ns },
    spec: {
      interval: '10m',
      timeout: '10m',
      source: { git: { url: repo.url } },
      target: 'test',
      prune: true,
      args: { namespace: ns },
      ...extra,
    },
  };
  const r = await kubectlTest(['apply', '-f', '-'], { input: JSON.stringify(kd) });
  expect(r.stderr).toBe('');
}

const readKd = (ns: string) => kubectlJson<KluctlDeployment>(['get', 'kluctldeployment', 'app', '-n', ns]);
const ready = (kd: KluctlDeployment) => kd.status?.conditions?.find((c) => c.type === 'Ready');
const names = async (ns: string, kind: string) =>
  (await kubectlJson<{ items: { metadata: { name: string } }[] }>(['get', kind, '-n', ns])).items
    .map((o) => o.metadata.name)
    .sort();

/** The first version of the stuck-rollout project: only its ConfigMaps, one more than later. */
const firstVersion = (project: Record<string, string>) => ({
  '.kluctl.yaml': project['.kluctl.yaml']!,
  'deployment.yaml': 'deployments:\n  - path: config\n',
  'config/keep.yaml': project['config/keep.yaml']!,
  'config/old.yaml': project['config/keep.yaml']!.replace('name: keep', 'name: old'),
});

test('a deploy cut by the function deadline writes status, keeps what it applied, releases the lease; the next run completes', async () => {
  const ns = await createTestNamespace('deadline');
  const project = await fixtureFiles('stuck-rollout');
  const repo = await createRepo(server, `deadline-${ns}`, firstVersion(project));
  repos.push(repo);
  // The Deployment can only get ready on a node with this label, which none has yet.
  const label = `kluctl-serverless.test/${ns}`;
  await applyKd(ns, repo, { args: { namespace: ns, readyLabel: label } });
  const message: ReconcileMessage = { clusterId, namespace: ns, name: 'app', reason: 'created' };
  const d = deps('deadline-test');

  // 1. A first version deploys quickly: ConfigMaps keep and old.
  expect((await handleReconcileBatch(sqsEvent('v1', message), d)).batchItemFailures).toEqual([]);
  expect(ready(await readKd(ns))?.status).toBe('True');

  // 2. The next version drops `old` (prune: true), adds a Deployment that cannot get ready with
  // waitReadiness, and after a barrier one more ConfigMap.
  await repo.commit({ ...project, 'config/old.yaml': null }, 'web and after');
  // The function has 20 s (its safety margin) + 8 s left: the run must stop after about 8 s.
  const t0 = Date.now();
  const leaseSeen = watchLease(ns);
  const res = await handleReconcileBatch(sqsEvent('v2', message), d, endsIn(28_000));
  const elapsed = Date.now() - t0;
  const lease = await leaseSeen.stop();

  // Status written before the function would have been killed, naming the deadline.
  expect(res.batchItemFailures).toEqual([]);
  expect(elapsed).toBeGreaterThanOrEqual(7_500);
  expect(elapsed).toBeLessThan(20_000);
  const kd = await readKd(ns);
  expect(ready(kd)).toMatchObject({ status: 'False', reason: 'DeployFailed' });
  expect(ready(kd)?.message).toMatch(
    /^deploy stopped: reached the deadline of this run \(\S+Z, the time its host gave it less the time to write status\); the next run continues\. deploy failed with 2 errors\./,
  );
  expect(kd.status?.conditions?.some((c) => c.type === 'Reconciling')).toBe(false);
  expect(kd.status?.observedGeneration).toBe(kd.metadata.generation);
  expect(kd.status?.lastDeployResult?.errors?.map((e) => e.message).sort()).toEqual([
    `context cancelled while waiting for readiness of ${ns}/Deployment/web`,
    expect.stringMatching(/^reached the deadline of this run/),
  ]);
  // The cluster holds what was applied before the deadline and nothing more: no `after`, `old` not pruned.
  expect(await names(ns, 'configmaps')).toEqual(['keep', 'kube-root-ca.crt', 'old']);
  expect(await names(ns, 'deployments')).toEqual(['web']);
  // The lease was released, and while held it ran out shortly after the deadline, not after spec.timeout.
  const state = (await readJson<ReconcileMemory>(store, stateKey(clusterId, ns, 'app'))).value;
  expect(state?.lease).toBeUndefined();
  expect(state?.deployInterrupted).toBeDefined();
  expect(lease).toBeDefined();
  expect(Date.parse(lease!.expires) - t0).toBeLessThanOrEqual(8_000 + LEASE_GRACE_MS + 2_000);
  // The schedule hears of the stop and when to come back (retryInterval, here the interval).
  const last = reconciled.filter((r) => r.message.namespace === ns).at(-1)!;
  expect(last.outcome).toMatchObject({ outcome: 'failed', stopped: { step: 'deploy', by: 'deadline' } });
  expect(last.outcome.nextRunAt!.getTime() - t0).toBeGreaterThan(9 * 60_000);

  // 3. Once the Deployment can get ready, the next run deploys again (the last one was cut) and completes.
  nodeLabels.push(label);
  expect((await kubectlTest(['label', 'node', FAKE_NODE_NAME, `${label}=ready`])).code).toBe(0);
  expect((await handleReconcileBatch(sqsEvent('v3', message), d, endsIn(120_000))).batchItemFailures).toEqual(
    [],
  );
  const done = await readKd(ns);
  expect(ready(done)).toMatchObject({ status: 'True', reason: 'ReconciliationSucceeded' });
  expect(done.status?.lastDeployResult?.errors).toBeUndefined();
  expect(await names(ns, 'configmaps')).toEqual(['after', 'keep', 'kube-root-ca.crt']);
  const after = (await readJson<ReconcileMemory>(store, stateKey(clusterId, ns, 'app'))).value;
  expect(after?.deployInterrupted).toBeUndefined();
  expect(after?.lease).toBeUndefined();
});

test('two reconciles of one deployment at once: exactly one deploys, the other is redelivered', async () => {
  const ns = await createTestNamespace('deadline-race');
  const repo = await createRepo(server, `race-${ns}`, await fixtureFiles('skeleton'));
  repos.push(repo);
  await applyKd(ns, repo, { target: 'dev' });
  const message: ReconcileMessage = { clusterId, namespace: ns, name: 'app', reason: 'created' };
  // Two function instances (different lease holders) get a message for the same deployment.
  const [a, b] = await Promise.all([
    handleReconcileBatch(sqsEvent('race-a', message), deps('instance-a')),
    handleReconcileBatch(sqsEvent('race-b', message), deps('instance-b')),
  ]);
  const failed = [...a.batchItemFailures, ...b.batchItemFailures];
  expect(failed).toHaveLength(1);
  const outcomes = reconciled.filter((r) => r.message.namespace === ns).map((r) => r.outcome);
  expect(outcomes.map((o) => [o.outcome, o.deployed])).toEqual([['succeeded', true]]);
  const kd = await readKd(ns);
  expect(ready(kd)?.message).toBe('deploy succeeded. 3 new objects. validate succeeded.');
  // The redelivered message then finds nothing to deploy.
  const again = await handleReconcileBatch(sqsEvent('race-redelivered', message), deps('instance-b'));
  expect(again.batchItemFailures).toEqual([]);
  expect(reconciled.filter((r) => r.message.namespace === ns).at(-1)?.outcome.deployed).toBe(false);
});

/** Polls the deployment's lease while a run holds it; `stop` returns the last lease seen. */
function watchLease(ns: string) {
  let seen: ReconcileMemory['lease'];
  let running = true;
  const loop = (async () => {
    while (running) {
      const v = (await readJson<ReconcileMemory>(store, stateKey(clusterId, ns, 'app'))).value;
      if (v?.lease) seen = v.lease;
      await new Promise((r) => setTimeout(r, 250));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return seen;
    },
  };
}
