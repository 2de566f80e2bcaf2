/**
 * The controller's `spec.credentials.helm` reaches the Helm render: a chart pulled at render time from a
 * Helm repository behind basic auth (the test repository, real `helm`). Follows Kluctl's e2e
 * `gitops_helm_test` (basic auth; a failure surfaces as PrepareFailed); the password never shows up in
 * the status.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { FsStateStore } from '../../lib/adapters/fs-state-store.js';
import { HttpKubeClient } from '../../lib/adapters/http-kube-client.js';
import { IsomorphicGitSource } from '../../lib/adapters/isomorphic-git-source.js';
import type { KluctlDeployment } from '../../lib/api/types.js';
import { silentLogger, systemClock } from '../../lib/ports.js';
import { reconcileDeployment } from '../../lib/reconcile/reconcile.js';
import type { ReconcileDeps } from '../../lib/reconcile/reconcile.js';
import { toolPath } from '../../devenv/tools.js';
import { createRepo } from '../../devenv/git-repo.js';
import type { TestRepo } from '../../devenv/git-repo.js';
import { startGitServer } from '../../devenv/git-server.js';
import type { GitServer } from '../../devenv/git-server.js';
import { startHelmRepo } from '../../devenv/helm-repo.js';
import type { TestHelmRepo } from '../../devenv/helm-repo.js';
import { createTestNamespace, installCrds, kubectlJson, kubectlTest, testEnv } from '../support/test-env.js';

const PASSWORD = 'helm-S3cr3t';

let git: GitServer;
let helmRepo: TestHelmRepo;
let repo: TestRepo;
let http: HttpKubeClient;
let deps: ReconcileDeps;
let workDir: string;
let ns: string;

beforeAll(async () => {
  await installCrds();
  helmRepo = await startHelmRepo({
    charts: [{ name: 'secured-chart', version: '0.1.0' }],
    auth: { username: 'helm-user', password: PASSWORD },
  });
  git = await startGitServer();
  ns = await createTestNamespace('creds-helm');
  repo = await createRepo(git, 'helm-project', {
    '.kluctl.yaml': 'discriminator: "creds-helm-{{ target.name }}"\ntargets:\n  - name: test\n',
    'deployment.yaml': 'deployments:\n  - path: chart\n',
    'chart/helm-chart.yaml': stringify({
      helmChart: {
        repo: helmRepo.url,
        chartName: 'secured-chart',
        chartVersion: '0.1.0',
        releaseName: 'secured',
        namespace: ns,
        skipPrePull: true,
      },
    }),
  });
  const env = testEnv();
  http = await HttpKubeClient.fromKubeconfig({ kubeconfigPath: env.kubeconfigPath });
  workDir = await mkdtemp(join(tmpdir(), 'ks-creds-helm-'));
  deps = {
    kube: http,
    store: new FsStateStore(join(workDir, 'state')),
    git: new IsomorphicGitSource(),
    clock: systemClock,
    logger: silentLogger,
    workDir,
    kustomizePath: toolPath('kustomize'),
    helmPath: toolPath('helm'),
    holder: 'credentials-helm-test',
  };
  const secret = await kubectlTest([
    'create',
    'secret',
    'generic',
    'helm-creds',
    '-n',
    ns,
    '--from-literal=username=helm-user',
    `--from-literal=password=${PASSWORD}`,
  ]);
  expect(secret.stderr).toBe('');
});

afterAll(async () => {
  http?.close();
  await helmRepo?.close();
  await repo?.cleanup();
  await git?.stop();
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

async function reconcileKd(name: string, credentials: unknown): Promise<KluctlDeployment> {
  const kd = {
    apiVersion: 'gitops.kluctl.io/v1beta1',
    kind: 'KluctlDeployment',
    metadata: { name, namespace: ns },
    spec: {
      interval: '5m',
      timeout: '2m',
      source: { git: { url: repo.url } },
      target: 'test',
      ...(credentials ? { credentials } : {}),
    },
  };
  const applied = await kubectlTest(['apply', '-f', '-'], { input: JSON.stringify(kd) });
  expect(applied.stderr).toBe('');
  await reconcileDeployment(deps, { namespace: ns, name });
  return kubectlJson<KluctlDeployment>(['get', 'kluctldeployment', name, '-n', ns]);
}
const ready = (kd: KluctlDeployment) => kd.status?.conditions?.find((c) => c.type === 'Ready');

test('without spec.credentials.helm the pull fails as PrepareFailed (gitops_helm_test)', async () => {
  const kd = await reconcileKd('no-creds', undefined);
  expect(ready(kd)).toMatchObject({ status: 'False', reason: 'PrepareFailed' });
  expect(kd.status?.lastPrepareError).toContain('secured-chart');
  expect(JSON.stringify(kd)).not.toContain(PASSWORD);
});

test('spec.credentials.helm matched by host opens the repository (gitops_helm_test basic auth)', async () => {
  const host = new URL(helmRepo.url).host;
  const kd = await reconcileKd('with-creds', { helm: [{ host, secretRef: { name: 'helm-creds' } }] });
  expect(kd.status?.lastPrepareError ?? '').toBe('');
  expect(ready(kd)).toMatchObject({ status: 'True', reason: 'ReconciliationSucceeded' });
  const cm = await kubectlJson<{ data: Record<string, string> }>([
    'get',
    'configmap',
    'secured-secured-chart',
    '-n',
    ns,
  ]);
  expect(cm.data.version).toBe('0.1.0');
  expect(JSON.stringify(kd)).not.toContain(PASSWORD);
});
