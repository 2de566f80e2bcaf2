/**
 * The serverless runtime end to end, AWS-shaped (test/support/serverless-stack.ts): the shim pushes over
 * HTTP to the real ingest function behind a local HTTP API, the reconcile function is built by its
 * composition root from env and invoked by the event pump from SQS FIFO, the cluster is registered in
 * Secrets Manager. `kubectl apply` → Ready; Git push + signed GitHub webhook → the new commit applied;
 * a schedule tick enqueues exactly the due deployment; deletion with `delete: true` removes the objects
 * and the finalizer.
 */
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { KD_FINALIZER } from '../../lib/api/constants.js';
import type { KluctlDeployment } from '../../lib/api/types.js';
import { readClusterScheduleIndex } from '../../lib/serverless/schedule-index.js';
import { createRepo } from '../../devenv/git-repo.js';
import type { TestRepo } from '../../devenv/git-repo.js';
import { startGitServer } from '../../devenv/git-server.js';
import type { GitServer } from '../../devenv/git-server.js';
import { fixtureFiles } from '../support/fixtures.js';
import { applyKluctlDeployment, getKluctlDeployment, readyCondition } from '../support/kluctl-deployment.js';
import { startServerlessStack } from '../support/serverless-stack.js';
import type { ServerlessStack } from '../support/serverless-stack.js';
import { createTestNamespace, eventually, kubectlJson, kubectlTest } from '../support/test-env.js';

let server: GitServer;
let repo: TestRepo;
let stack: ServerlessStack;
let ns: string;

beforeAll(async () => {
  server = await startGitServer();
  repo = await createRepo(server, 'e2e-project', await fixtureFiles('skeleton'));
  ns = await createTestNamespace('e2e');
  stack = await startServerlessStack({ namespaces: [ns] });
});

afterAll(async () => {
  await stack?.stop();
  await server?.stop();
  await repo?.cleanup();
});

const spec = (interval: string) => ({
  interval,
  timeout: '2m',
  delete: true,
  source: { git: { url: repo.url, ref: { branch: 'main' } } },
  target: 'dev',
  args: { namespace: ns },
});

async function configMapColor(): Promise<string | undefined> {
  const cm = await kubectlJson<{ data?: Record<string, string> }>([
    'get',
    'configmap',
    'app-config',
    '-n',
    ns,
  ]);
  return cm.data?.color;
}

/** Waits until deployment `name` is Ready for its current generation and returns it. */
function readyFor(name: string, commit?: string): Promise<KluctlDeployment> {
  return eventually(
    async () => {
      const kd = await getKluctlDeployment(ns, name);
      expect(readyCondition(kd)).toMatchObject({ status: 'True', reason: 'ReconciliationSucceeded' });
      expect(kd.status?.observedGeneration).toBe(kd.metadata.generation);
      if (commit) expect(kd.status?.lastDeployResult?.gitInfo?.commit).toBe(commit);
      return kd;
    },
    { timeoutMs: 90_000, intervalMs: 250 },
  );
}

it('kubectl apply → shim → ingest → queue → reconcile → Ready, with the next run in the schedule index', async () => {
  await applyKluctlDeployment(ns, 'app', spec('5m'));
  const kd = await readyFor('app', await repo.head());
  expect(kd.metadata.finalizers).toContain(KD_FINALIZER);
  expect(await configMapColor()).toBe('blue');
  expect(stack.reconciled).toEqual(['created']);
  // onReconciled recorded the next run of the composition root's reconcile.
  const indexed = await eventually(async () => {
    const entry = (await readClusterScheduleIndex(stack.reconcileDeps.shared.store, stack.clusterId)).find(
      (d) => d.name === 'app',
    );
    expect(entry?.nextRunAt).toBeDefined();
    return entry!;
  });
  const inMs = Date.parse(indexed.nextRunAt!) - Date.now();
  expect(inMs).toBeGreaterThan(4 * 60_000);
  expect(inMs).toBeLessThanOrEqual(5 * 60_000);
});

it('a Git push and a signed GitHub webhook → the new commit applied', async () => {
  // Within the clone cache's ref TTL of the first reconcile: the webhook must drop the probed ref, or
  // this reconcile would apply the old commit.
  stack.reconciled.length = 0;
  const commit = await repo.commit(
    {
      'config/configmap.yaml': (await fixtureFiles('skeleton'))['config/configmap.yaml']!.replace(
        'color: blue',
        'color: green',
      ),
    },
    'green',
  );
  const res = await stack.githubPush(repo.url, 'main');
  expect(res).toMatchObject({ status: 202, body: { enqueued: 1 } });
  await readyFor('app', commit);
  expect(await configMapColor()).toBe('green');
  expect(stack.reconciled).toEqual(['webhook']);
});

it('a schedule tick enqueues exactly the deployment whose next run has come', async () => {
  // Its objects go to another namespace, so the two deployments share none.
  const other = await createTestNamespace('e2e-hourly');
  await applyKluctlDeployment(ns, 'hourly', { ...spec('1h'), args: { namespace: other } });
  await readyFor('hourly');
  const index = () => readClusterScheduleIndex(stack.reconcileDeps.shared.store, stack.clusterId);
  await eventually(async () => expect((await index()).filter((d) => d.nextRunAt)).toHaveLength(2));
  stack.reconciled.length = 0;
  expect(await stack.tick()).toMatchObject({ indexed: 2, due: 0 });
  const at = new Date(Date.now() + 6 * 60_000);
  expect(await stack.tick({ now: () => at })).toMatchObject({ indexed: 2, due: 1 });
  await eventually(async () => expect(stack.reconciled).toEqual(['schedule']), { timeoutMs: 30_000 });
  const app = await readyFor('app');
  expect(readyCondition(app)?.status).toBe('True');
  // The deployment that ran moved its next run on; the hourly one was not touched.
  const after = await index();
  expect(Date.parse(after.find((d) => d.name === 'app')!.nextRunAt!)).toBeGreaterThan(
    Date.now() + 4 * 60_000,
  );
});

it('deleting a deployment with delete: true removes its objects and the finalizer', async () => {
  const r = await kubectlTest(['delete', 'kluctldeployment', 'app', '-n', ns, '--wait=false']);
  expect(r.code).toBe(0);
  await eventually(
    async () => {
      const got = await kubectlTest([
        'get',
        'kluctldeployment',
        'app',
        '-n',
        ns,
        '--ignore-not-found',
        '-o',
        'name',
      ]);
      expect(got.stdout.trim()).toBe('');
    },
    { timeoutMs: 60_000, intervalMs: 250 },
  );
  const left = await kubectlTest([
    'get',
    'configmap',
    'app-config',
    '-n',
    ns,
    '--ignore-not-found',
    '-o',
    'name',
  ]);
  expect(left.stdout.trim()).toBe('');
  expect(stack.reconciled).toContain('deletion');
});
