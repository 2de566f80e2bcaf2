/**
 * Manual approval with the local runner against the real API server (kluctl-semantics §10.5): with
 * `spec.manual: true` nothing is deployed (nor pruned) until `spec.manualObjectsHash` equals the
 * rendered objects hash that `status.lastObjectsHash` shows. Follows Kluctl's e2e scenario
 * `TestGitOpsManualDeployment` (e2e/gitops_approval_test.go), then covers a deployment that Kluctl's
 * controller reconciled before (its status carries Kluctl's hashes, our state is empty).
 * test/parity/manual-approval.test.ts checks the same steps against the real Kluctl controller.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FsStateStore } from '../../lib/adapters/fs-state-store.js';
import { HttpKubeClient } from '../../lib/adapters/http-kube-client.js';
import type { ReconcileOutcome } from '../../lib/reconcile/reconcile.js';
import { LocalRunner } from '../../lib/runner/local-runner.js';
import { fixtureFiles } from '../support/fixtures.js';
import {
  applyKluctlDeployment,
  getKluctlDeployment,
  patchKluctlDeploymentSpec,
  readyCondition,
} from '../support/kluctl-deployment.js';
import { testReconcileDeps } from '../support/reconcile-scenario.js';
import { createRepo } from '../../devenv/git-repo.js';
import type { TestRepo } from '../../devenv/git-repo.js';
import { startGitServer } from '../../devenv/git-server.js';
import type { GitServer } from '../../devenv/git-server.js';
import { createTestNamespace, installCrds, kubectlJson, kubectlTest, testEnv } from '../support/test-env.js';

let PROJECT: Record<string, string>;
let server: GitServer;
const repos: TestRepo[] = [];
let kube: HttpKubeClient;
let tmp: string;

beforeAll(async () => {
  await installCrds();
  PROJECT = await fixtureFiles('skeleton');
  server = await startGitServer();
  kube = await HttpKubeClient.fromKubeconfig({ kubeconfigPath: testEnv().kubeconfigPath });
  tmp = await mkdtemp(join(tmpdir(), 'ks-manual-approval-'));
});

afterAll(async () => {
  kube?.close();
  await server?.stop();
  for (const r of repos) await r.cleanup();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

/** A runner over one namespace with its own state folder; `seen` collects its outcomes. */
function runnerFor(ns: string, stateDir: string) {
  const seen: ReconcileOutcome[] = [];
  const runner = new LocalRunner(
    testReconcileDeps({
      kube,
      store: new FsStateStore(join(tmp, stateDir)),
      workDir: tmp,
      holder: `manual-approval-${ns}`,
    }),
    { namespace: ns, onReconciled: (_key, outcome) => seen.push(outcome) },
  );
  return { runner, seen };
}

/** A namespace with its own repository holding the skeleton project. */
async function setup(prefix: string): Promise<{ ns: string; repo: TestRepo }> {
  const ns = await createTestNamespace(prefix);
  const repo = await createRepo(server, ns, PROJECT);
  repos.push(repo);
  return { ns, repo };
}

/** The skeleton's ConfigMap in green, and svc-b gone. */
const GREEN = (): Record<string, string | null> => ({
  'config/configmap.yaml': PROJECT['config/configmap.yaml']!.replace('color: blue', 'color: green'),
  'services/svc-b.yaml': null,
});

/** The KluctlDeployment of the scenarios: the skeleton's `dev` target, prune on, manual approval. */
const applyKd = (ns: string, repo: TestRepo) =>
  applyKluctlDeployment(ns, 'app', {
    interval: '5m',
    source: { git: { url: repo.url, ref: { branch: 'main' } } },
    target: 'dev',
    prune: true,
    manual: true,
    args: { namespace: ns },
  });

const getKd = (ns: string) => getKluctlDeployment(ns, 'app');

const patchSpec = (ns: string, spec: Record<string, unknown>) => patchKluctlDeploymentSpec(ns, 'app', spec);

/** The deployed objects of `ns`, as `Kind/name` plus the ConfigMap's color. */
async function landed(ns: string): Promise<string[]> {
  const list = await kubectlJson<{
    items: { kind: string; metadata: { name: string }; data?: { color?: string } }[];
  }>(['get', 'configmaps,services', '-n', ns, '-l', `kluctl.io/discriminator=e2e-dev-${ns}`]);
  return list.items.map((o) => `${o.kind}/${o.metadata.name}${o.data ? ` ${o.data.color}` : ''}`).sort();
}

test('nothing deploys until the shown hash is approved; a new commit waits for its own approval (TestGitOpsManualDeployment)', async () => {
  const { ns, repo } = await setup('manual');
  const { runner, seen } = runnerFor(ns, 'state-a');
  await applyKd(ns, repo);

  // Created with manual: true: rendered and validated, but nothing deployed.
  await runner.tick();
  expect(seen.map((o) => o.deployed)).toEqual([false]);
  let kd = await getKd(ns);
  const h1 = kd.status?.lastObjectsHash;
  expect(h1).toMatch(/^[0-9a-f]{64}$/);
  expect(kd.status?.lastManualObjectsHash).toBeUndefined();
  expect(kd.status?.lastDeployResult).toBeUndefined();
  expect(readyCondition(kd)).toMatchObject({
    status: 'False',
    reason: 'DeployFailed',
    message: 'deployment status unknown',
  });
  expect(await landed(ns)).toEqual([]);

  // Approving a hash that is not the rendered one deploys nothing either.
  await patchSpec(ns, { manualObjectsHash: '0'.repeat(64) });
  await runner.tick();
  expect(seen.map((o) => o.deployed)).toEqual([false, false]);
  expect(await landed(ns)).toEqual([]);

  // Approving the shown hash deploys it.
  await patchSpec(ns, { manualObjectsHash: h1 });
  await runner.tick();
  expect(seen.map((o) => o.deployed)).toEqual([false, false, true]);
  kd = await getKd(ns);
  expect(kd.status?.lastManualObjectsHash).toBe(h1);
  expect(readyCondition(kd)).toMatchObject({ status: 'True', reason: 'ReconciliationSucceeded' });
  expect(await landed(ns)).toEqual(['ConfigMap/app-config blue', 'Service/svc-a', 'Service/svc-b']);

  // A new commit: its hash shows up in status, but nothing changes and nothing is pruned.
  await repo.commit(GREEN(), 'green, no svc-b');
  const readyBefore = readyCondition(kd);
  await kubectlTest([
    'annotate',
    '--overwrite',
    'kluctldeployment',
    'app',
    '-n',
    ns,
    'kluctl.io/request-reconcile={"requestValue":"r1"}',
  ]);
  await runner.tick();
  expect(seen.map((o) => o.deployed)).toEqual([false, false, true, false]);
  kd = await getKd(ns);
  const h2 = kd.status?.lastObjectsHash;
  expect(h2).toMatch(/^[0-9a-f]{64}$/);
  expect(h2).not.toBe(h1);
  expect(kd.status?.lastManualObjectsHash).toBe(h1);
  expect(readyCondition(kd)?.message).toBe(readyBefore?.message);
  expect(await landed(ns)).toEqual(['ConfigMap/app-config blue', 'Service/svc-a', 'Service/svc-b']);

  // Approving it deploys and prunes.
  await patchSpec(ns, { manualObjectsHash: h2 });
  await runner.tick();
  expect(seen.at(-1)?.deployed).toBe(true);
  expect(await landed(ns)).toEqual(['ConfigMap/app-config green', 'Service/svc-a']);
  await runner.stop();
});

test('a deployment reconciled before by another controller: unchanged is not redeployed, unapproved is not deployed', async () => {
  const { ns, repo } = await setup('manual-migrate');
  await applyKd(ns, repo);
  // The previous controller (here: a runner whose state is then thrown away) rendered, was approved
  // and deployed; what it remembers is in status only, as with Kluctl's controller.
  const before = runnerFor(ns, 'state-previous');
  await before.runner.tick();
  const h1 = (await getKd(ns)).status!.lastObjectsHash!;
  await patchSpec(ns, { manualObjectsHash: h1 });
  await before.runner.tick();
  await before.runner.stop();
  expect(before.seen.map((o) => o.deployed)).toEqual([false, true]);
  const deployedAt = (await getKd(ns)).status?.lastDeployResult?.commandInfo.endTime;

  // Taken over with empty state and nothing changed: planned from status, so no redeploy, neither
  // now nor on the next reconcile (which plans from the state the first one wrote).
  for (let i = 0; i < 2; i++) {
    const unchanged = runnerFor(ns, 'state-new-1');
    await unchanged.runner.tick();
    await unchanged.runner.stop();
    expect(unchanged.seen).toMatchObject([{ deployed: false, outcome: 'succeeded' }]);
  }
  expect((await getKd(ns)).status?.lastDeployResult?.commandInfo.endTime).toBe(deployedAt);

  // A commit the previous controller never saw, taken over with empty state: waits for approval.
  await repo.commit(GREEN(), 'green, no svc-b');
  const taken = runnerFor(ns, 'state-new-2');
  await taken.runner.tick();
  expect(taken.seen.map((o) => o.deployed)).toEqual([false]);
  const kd = await getKd(ns);
  expect(kd.status?.lastManualObjectsHash).toBe(h1);
  expect(kd.status?.lastObjectsHash).not.toBe(h1);
  expect(readyCondition(kd)?.status).toBe('True');
  expect(await landed(ns)).toEqual(['ConfigMap/app-config blue', 'Service/svc-a', 'Service/svc-b']);

  await patchSpec(ns, { manualObjectsHash: kd.status!.lastObjectsHash });
  await taken.runner.tick();
  await taken.runner.stop();
  expect(taken.seen.map((o) => o.deployed)).toEqual([false, true]);
  expect(await landed(ns)).toEqual(['ConfigMap/app-config green', 'Service/svc-a']);
});
