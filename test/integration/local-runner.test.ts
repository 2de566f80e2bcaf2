/**
 * The local runner against the real API server, with state in a local folder: it reconciles a
 * KluctlDeployment applied with kubectl, leaves it alone until it is due, and reconciles again when its
 * generation changes (kluctl-semantics §10.1 triggers).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FsStateStore } from '../../lib/adapters/fs-state-store.js';
import { HttpKubeClient } from '../../lib/adapters/http-kube-client.js';
import { IsomorphicGitSource } from '../../lib/adapters/isomorphic-git-source.js';
import type { KluctlDeployment } from '../../lib/api/types.js';
import { silentLogger, systemClock } from '../../lib/ports.js';
import type { ReconcileOutcome } from '../../lib/reconcile/reconcile.js';
import { LocalRunner } from '../../lib/runner/local-runner.js';
import { toolPath } from '../../devenv/tools.js';
import { fixtureFiles } from '../support/fixtures.js';
import { createRepo } from '../../devenv/git-repo.js';
import type { TestRepo } from '../../devenv/git-repo.js';
import { startGitServer } from '../../devenv/git-server.js';
import type { GitServer } from '../../devenv/git-server.js';
import { createTestNamespace, installCrds, kubectlJson, kubectlTest, testEnv } from '../support/test-env.js';

let server: GitServer;
let repo: TestRepo;
let kube: HttpKubeClient;
let stateDir: string;
let ns: string;

beforeAll(async () => {
  await installCrds();
  server = await startGitServer();
  repo = await createRepo(server, 'runner-project', await fixtureFiles('skeleton'));
  kube = await HttpKubeClient.fromKubeconfig({ kubeconfigPath: testEnv().kubeconfigPath });
  stateDir = await mkdtemp(join(tmpdir(), 'ks-runner-state-'));
  ns = await createTestNamespace('runner');
  const kd = {
    apiVersion: 'gitops.kluctl.io/v1beta1',
    kind: 'KluctlDeployment',
    metadata: { name: 'app', namespace: ns },
    spec: { interval: '10m', source: { git: { url: repo.url } }, target: 'prod', args: { namespace: ns } },
  };
  const r = await kubectlTest(['apply', '-f', '-'], { input: JSON.stringify(kd) });
  expect(r.code).toBe(0);
});

afterAll(async () => {
  kube?.close();
  await server?.stop();
  await repo?.cleanup();
  if (stateDir) await rm(stateDir, { recursive: true, force: true });
});

test('reconciles new deployments, skips ones not due, and reacts to a generation change', async () => {
  const seen: [string, ReconcileOutcome][] = [];
  const runner = new LocalRunner(
    {
      kube,
      store: new FsStateStore(stateDir),
      git: new IsomorphicGitSource(),
      clock: systemClock,
      logger: silentLogger,
      workDir: stateDir,
      kustomizePath: toolPath('kustomize'),
      holder: 'runner-test',
    },
    { namespace: ns, onReconciled: (key, o) => seen.push([key, o]) },
  );
  await runner.tick();
  expect(seen.map(([k, o]) => [k, o.outcome, o.deployed])).toEqual([[`${ns}/app`, 'succeeded', true]]);
  const kd = await kubectlJson<KluctlDeployment>(['get', 'kluctldeployment', 'app', '-n', ns, '-o', 'json']);
  expect(kd.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
  expect(kd.metadata.finalizers).toContain('finalizers.gitops.kluctl.io');
  const cm = await kubectlJson<{ data: Record<string, string> }>([
    'get',
    'configmap',
    'app-config',
    '-n',
    ns,
    '-o',
    'json',
  ]);
  expect(cm.data.env).toBe('prod');

  await runner.tick();
  expect(seen).toHaveLength(1);

  // A spec change bumps the generation: due again, and Kluctl redeploys on a generation change.
  await kubectlTest([
    'patch',
    'kluctldeployment',
    'app',
    '-n',
    ns,
    '--type=merge',
    '-p',
    '{"spec":{"interval":"9m"}}',
  ]);
  await runner.tick();
  expect(seen).toHaveLength(2);
  expect(seen[1]![1]).toMatchObject({ outcome: 'succeeded', deployed: true });

  // Deleting the object with delete: true removes what it deployed, then the finalizer
  // (gitops_prune_delete_test Test_Delete_True).
  await kubectlTest([
    'patch',
    'kluctldeployment',
    'app',
    '-n',
    ns,
    '--type=merge',
    '-p',
    '{"spec":{"delete":true}}',
  ]);
  await runner.tick();
  await kubectlTest(['delete', 'kluctldeployment', 'app', '-n', ns, '--wait=false']);
  await runner.tick();
  expect(seen[seen.length - 1]![1].outcome).toBe('finalized');
  const left = await kubectlJson<{ items: unknown[] }>([
    'get',
    'configmaps,services',
    '-n',
    ns,
    '-l',
    `kluctl.io/discriminator=e2e-prod-${ns}`,
    '-o',
    'json',
  ]);
  expect(left.items).toEqual([]);
  const kds = await kubectlJson<{ items: unknown[] }>(['get', 'kluctldeployments', '-n', ns, '-o', 'json']);
  expect(kds.items).toEqual([]);
  await runner.stop();
});
