/**
 * A reconcile survives a real restart of the API server in the middle of its deploy (issue 10,
 * faults: "API server restarted mid-deploy"). On a private control plane (the shared one serves other
 * test files), the API server is stopped just as the deploy applies its first object; that run fails
 * (or cannot even write its status), releases its lease, and once the API server is back with the
 * same etcd, the next run applies everything and reports Ready.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HttpKubeClient } from '../../lib/adapters/http-kube-client.js';
import type { KluctlDeployment } from '../../lib/api/types.js';
import type { KubeClient } from '../../lib/ports.js';
import { reconcileDeployment } from '../../lib/reconcile/reconcile.js';
import { kubectl, type ControlPlane } from '../../devenv/control-plane.js';
import { createRepo } from '../../devenv/git-repo.js';
import type { TestRepo } from '../../devenv/git-repo.js';
import { startGitServer } from '../../devenv/git-server.js';
import type { GitServer } from '../../devenv/git-server.js';
import type { ManagedProcess } from '../../devenv/processes.js';
import {
  must,
  startApiServerAgain,
  startPrivateControlPlane,
  stopApiServer,
} from '../support/apiserver-process.js';
import { DelegatingKube } from '../support/delegating-kube.js';
import { fixtureFiles } from '../support/fixtures.js';
import { kluctlDeployment, kluctlDeploymentRef, readyCondition } from '../support/kluctl-deployment.js';
import { testReconcileDeps } from '../support/reconcile-scenario.js';
import { testEnv } from '../support/test-env.js';

const NS = 'restart-deploy';
let cp: ControlPlane;
let restarted: ManagedProcess | undefined;
let server: GitServer;
let repo: TestRepo;
let workDir: string;
const clients: HttpKubeClient[] = [];

/** The real client; `onFirstApply` runs once, before the deploy's first apply reaches the server. */
class StopOnApply extends DelegatingKube {
  onFirstApply: (() => Promise<void>) | undefined;
  override async apply(...a: Parameters<KubeClient['apply']>) {
    const hook = this.onFirstApply;
    this.onFirstApply = undefined;
    await hook?.();
    return this.inner.apply(...a);
  }
}

beforeAll(async () => {
  cp = await startPrivateControlPlane('reconcile-apiserver-restart', NS);
  server = await startGitServer();
  repo = await createRepo(server, 'restart-project', await fixtureFiles('skeleton'));
  workDir = await mkdtemp(join(tmpdir(), 'ks-restart-'));
}, 120_000);

afterAll(async () => {
  for (const c of clients) c.close();
  await restarted?.stop();
  await cp?.stop();
  await server?.stop();
  await repo?.cleanup();
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

async function client(): Promise<HttpKubeClient> {
  const c = await HttpKubeClient.fromKubeconfig({ kubeconfigPath: cp.kubeconfigPath });
  clients.push(c);
  return c;
}

test('the API server restarted mid-deploy: that run fails, the next run completes', async () => {
  await must(
    kubectl(cp.kubeconfigPath, ['apply', '-f', '-'], {
      input: JSON.stringify(
        kluctlDeployment(NS, 'app', {
          interval: '5m',
          timeout: '1m',
          source: { git: { url: repo.url } },
          target: 'dev',
          args: { namespace: NS },
        }),
      ),
    }),
  );
  const kube = new StopOnApply(await client());
  let argv: string[] = [];
  kube.onFirstApply = async () => {
    argv = await stopApiServer(cp);
  };
  const deps = testReconcileDeps({ kube, workDir, holder: 'restart-test' });
  const first = await reconcileDeployment(deps, { namespace: NS, name: 'app' }).catch((err: Error) => err);
  expect(argv.length).toBeGreaterThan(0);
  // The run ended one way or the other: a failed outcome, or an error when not even status could be written.
  if (!(first instanceof Error)) expect(first.outcome).toBe('failed');
  process.stderr.write(
    `run cut by the API server restart: ${first instanceof Error ? `threw: ${first.message.slice(0, 160)}` : first.outcome}\n`,
  );

  restarted = await startApiServerAgain(cp, argv, join(testEnv().logsDir, 'reconcile-apiserver-restart'));
  const again = await client();
  const deps2 = testReconcileDeps({ kube: again, workDir, holder: 'restart-test' });
  const next = await reconcileDeployment(deps2, { namespace: NS, name: 'app' });
  if (next.outcome !== 'succeeded')
    process.stderr.write(`next run: ${JSON.stringify(next).slice(0, 2000)}\n`);
  expect(next).toMatchObject({ outcome: 'succeeded', deployed: true });
  const kd = (await again.get(kluctlDeploymentRef(NS, 'app'))) as KluctlDeployment;
  expect(readyCondition(kd)).toMatchObject({ status: 'True', reason: 'ReconciliationSucceeded' });
  for (const name of ['app-config']) {
    expect(
      await again.get({ group: '', version: 'v1', kind: 'ConfigMap', namespace: NS, name }),
    ).toBeDefined();
  }
  expect(kd.status?.lastDeployResult?.errors ?? []).toEqual([]);
}, 300_000);
