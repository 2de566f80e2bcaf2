/**
 * Failures outside the commands, against the real API server with faults injected into the client:
 * Kluctl's controller reports every failure of a reconcile that is not a command's as a failed prepare
 * (`PrepareFailed`, full text in `status.lastPrepareError`), and failures inside the deploy command as
 * errors of its result (`deploy failed with 1 errors.`). Either way the status is written, with
 * `observedGeneration`.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FsStateStore } from '../../lib/adapters/fs-state-store.js';
import { HttpKubeClient } from '../../lib/adapters/http-kube-client.js';
import { IsomorphicGitSource } from '../../lib/adapters/isomorphic-git-source.js';
import type { KluctlDeployment } from '../../lib/api/types.js';
import { KubeApiError } from '../../lib/errors.js';
import type { KubeClient } from '../../lib/ports.js';
import { silentLogger, systemClock } from '../../lib/ports.js';
import { reconcileDeployment } from '../../lib/reconcile/reconcile.js';
import { toolPath } from '../../devenv/tools.js';
import { fixtureFiles } from '../support/fixtures.js';
import { DelegatingKube } from '../support/delegating-kube.js';
import { createRepo } from '../../devenv/git-repo.js';
import type { TestRepo } from '../../devenv/git-repo.js';
import { startGitServer } from '../../devenv/git-server.js';
import type { GitServer } from '../../devenv/git-server.js';
import { createTestNamespace, installCrds, kubectlJson, kubectlTest, testEnv } from '../support/test-env.js';

/** The real client, with one kind of call failing while `fail` says so. */
class FaultyKube extends DelegatingKube {
  fail: 'initializing-status' | 'get-configmap' | undefined;
  private fault(): never {
    throw new KubeApiError('KubeApi', 'injected: the API server went away', { status: 503, retryable: true });
  }
  override get(...a: Parameters<KubeClient['get']>) {
    if (this.fail === 'get-configmap' && a[0].kind === 'ConfigMap') this.fault();
    return this.inner.get(...a);
  }
  override mergePatch(...a: Parameters<KubeClient['mergePatch']>) {
    const [, patch, opts] = a;
    const initializing = opts.subresource === 'status' && JSON.stringify(patch).includes('Initializing');
    if (this.fail === 'initializing-status' && initializing) {
      this.fail = undefined;
      this.fault();
    }
    return this.inner.mergePatch(...a);
  }
}

let server: GitServer;
let repo: TestRepo;
let http: HttpKubeClient;
let kube: FaultyKube;
let stateDir: string;
let ns: string;

beforeAll(async () => {
  await installCrds();
  server = await startGitServer();
  repo = await createRepo(server, 'errors-project', await fixtureFiles('skeleton'));
  http = await HttpKubeClient.fromKubeconfig({ kubeconfigPath: testEnv().kubeconfigPath });
  kube = new FaultyKube(http);
  stateDir = await mkdtemp(join(tmpdir(), 'ks-reconcile-errors-'));
  ns = await createTestNamespace('reconcile-errors');
  const kd = {
    apiVersion: 'gitops.kluctl.io/v1beta1',
    kind: 'KluctlDeployment',
    metadata: { name: 'app', namespace: ns },
    spec: { interval: '10m', source: { git: { url: repo.url } }, target: 'dev', args: { namespace: ns } },
  };
  expect((await kubectlTest(['apply', '-f', '-'], { input: JSON.stringify(kd) })).code).toBe(0);
});

afterAll(async () => {
  http?.close();
  await server?.stop();
  await repo?.cleanup();
  if (stateDir) await rm(stateDir, { recursive: true, force: true });
});

const reconcile = () =>
  reconcileDeployment(
    {
      kube,
      store: new FsStateStore(stateDir),
      git: new IsomorphicGitSource(),
      clock: systemClock,
      logger: silentLogger,
      workDir: stateDir,
      kustomizePath: toolPath('kustomize'),
      holder: 'errors-test',
    },
    { namespace: ns, name: 'app' },
  );

const readKd = () => kubectlJson<KluctlDeployment>(['get', 'kluctldeployment', 'app', '-n', ns]);
const ready = (kd: KluctlDeployment) => kd.status?.conditions?.find((c) => c.type === 'Ready');

test('a failure outside the commands is a failed prepare, with observedGeneration', async () => {
  kube.fail = 'initializing-status';
  const outcome = await reconcile();
  expect(outcome.outcome).toBe('failed');
  const kd = await readKd();
  expect(ready(kd)).toMatchObject({
    status: 'False',
    reason: 'PrepareFailed',
    message: 'prepare failed. Check status.lastPrepareError for details',
  });
  expect(kd.status?.lastPrepareError).toContain('injected: the API server went away');
  expect(kd.status?.observedGeneration).toBe(kd.metadata.generation);
  expect(kd.status?.conditions?.some((c) => c.type === 'Reconciling')).toBe(false);
});

test('a failure inside the deploy command is an error of its result', async () => {
  kube.fail = 'get-configmap';
  try {
    await reconcile();
  } finally {
    kube.fail = undefined;
  }
  const kd = await readKd();
  expect(ready(kd)).toMatchObject({ status: 'False', reason: 'DeployFailed' });
  expect(ready(kd)?.message).toMatch(/^deploy failed with 1 errors\./);
  expect(kd.status?.lastDeployResult?.errors).toEqual([
    { ref: { kind: '', name: '' }, message: expect.stringContaining('injected: the API server went away') },
  ]);
  expect(kd.status?.lastPrepareError).toBeUndefined();
  expect(kd.status?.observedGeneration).toBe(kd.metadata.generation);
});
