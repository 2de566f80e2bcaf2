/**
 * Port of Kluctl's e2e TestGitOpsGitIncludeCredentials (gitops_git_include_test.go) through the
 * reconciler: the project lives on a Git server that wants user1's password, its first git include on a
 * second server that wants user2's, its second include (with subDir) on a third server without auth.
 * Without credentials the reconcile fails as PrepareFailed; with `spec.credentials.git` entries matched
 * by host (host:port, so the three servers on 127.0.0.1 are told apart) and path glob, and a `*` entry
 * that must be ignored for http URLs, it deploys both includes. No password reaches the status.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRepo } from '../../devenv/git-repo.js';
import type { TestRepo } from '../../devenv/git-repo.js';
import { startGitServer } from '../../devenv/git-server.js';
import type { GitServer } from '../../devenv/git-server.js';
import { HttpKubeClient } from '../../lib/adapters/http-kube-client.js';
import type { ReconcileDeps } from '../../lib/reconcile/reconcile.js';
import { readyCondition } from '../support/kluctl-deployment.js';
import {
  applyAndReconcile,
  createCredentialsSecret,
  testReconcileDeps,
} from '../support/reconcile-scenario.js';
import { createTestNamespace, installCrds, kubectlJson, testEnv } from '../support/test-env.js';

const users = { main: ['user1', 'password1-Xq'], gs1: ['user2', 'password2-Zr'] } as const;

let ns: string;
let mainGs: GitServer;
let gs1: GitServer;
let gs2: GitServer;
let project: TestRepo;
let ip1: TestRepo;
let ip2: TestRepo;
let kube: HttpKubeClient;
let workDir: string;
let deps: ReconcileDeps;

const configMap = (name: string, namespace: string): string =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n  namespace: ${namespace}\ndata:\n  a: v\n`;
const hostOf = (s: GitServer): string => new URL(s.url('x')).host;

beforeAll(async () => {
  await installCrds();
  ns = await createTestNamespace('gitops-incl-creds');
  const auth = (u: readonly [string, string]) => ({ username: u[0], password: u[1] });
  [mainGs, gs1, gs2] = await Promise.all([
    startGitServer({ auth: auth(users.main) }),
    startGitServer({ auth: auth(users.gs1) }),
    startGitServer(),
  ]);
  // prepareIncludeProject: include1 at the repository root, include2 below subDir/.
  ip1 = await createRepo(gs1, 'repos/include1', {
    'deployment.yaml': 'deployments:\n  - path: cm\n',
    'cm/cm.yaml': configMap('include1-cm', ns),
  });
  ip2 = await createRepo(gs2, 'repos/include2', {
    'subDir/deployment.yaml': 'deployments:\n  - path: cm\n',
    'subDir/cm/cm.yaml': configMap('include2-cm', ns),
  });
  project = await createRepo(mainGs, 'project', {
    '.kluctl.yaml': 'targets:\n  - name: test\n',
    'deployment.yaml': [
      'deployments:',
      `  - git:\n      url: ${ip1.url}`,
      `  - git:\n      url: ${ip2.url}\n      subDir: subDir`,
      '',
    ].join('\n'),
  });
  await createCredentialsSecret(ns, 'secret1', auth(users.main));
  await createCredentialsSecret(ns, 'secret2', auth(users.gs1));
  kube = await HttpKubeClient.fromKubeconfig({ kubeconfigPath: testEnv().kubeconfigPath });
  workDir = await mkdtemp(join(tmpdir(), 'ks-gitops-incl-creds-'));
  deps = testReconcileDeps({ kube, workDir, holder: 'gitops-git-include-credentials' });
}, 120_000);

afterAll(async () => {
  kube?.close();
  for (const r of [project, ip1, ip2]) await r?.cleanup();
  for (const s of [mainGs, gs1, gs2]) await s?.stop();
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

const spec = (credentials?: unknown) => ({
  interval: '5m',
  timeout: '2m',
  source: { git: { url: project.url } },
  target: 'test',
  ...(credentials ? { credentials } : {}),
});

const noPassword = (o: unknown): void => {
  const text = JSON.stringify(o);
  for (const [, pw] of Object.values(users)) expect(text).not.toContain(pw);
};

describe('TestGitOpsGitIncludeCredentials', () => {
  test('fail without authentication', async () => {
    const kd = await applyAndReconcile(deps, ns, 'test', spec());
    expect(kd.status?.observedCommit ?? '').toBe('');
    expect(readyCondition(kd)).toMatchObject({ status: 'False', reason: 'PrepareFailed' });
    expect(kd.status?.lastPrepareError).toContain('authentication required');
    expect(kd.status?.lastPrepareError).toContain(project.url);
    noPassword(kd);
  }, 120_000);

  test('retry with authentication', async () => {
    const kd = await applyAndReconcile(
      deps,
      ns,
      'test',
      spec({
        git: [
          { host: hostOf(gs1), path: 'repos/include1', secretRef: { name: 'secret2' } },
          { host: hostOf(mainGs), secretRef: { name: 'secret1' } },
          // make sure this one is ignored for http based urls
          { host: '*', secretRef: { name: 'secret1' } },
        ],
      }),
    );
    expect(readyCondition(kd)).toMatchObject({ status: 'True' });
    expect(kd.status?.observedCommit).toBe(await project.head());
    const cms = await kubectlJson<{ items: { metadata: { name: string } }[] }>([
      'get',
      'configmaps',
      '-n',
      ns,
    ]);
    expect(cms.items.map((c) => c.metadata.name)).toEqual(
      expect.arrayContaining(['include1-cm', 'include2-cm']),
    );
    noPassword(kd);
  }, 120_000);

  test('user2 credentials only reach the include they are scoped to (host:port and path)', async () => {
    // main's password sent to gs1 (same IP, other port) or user2's to main would fail the clone.
    const kd = await applyAndReconcile(
      deps,
      ns,
      'scoped',
      spec({
        git: [
          { host: hostOf(gs1), path: 'repos/other*', secretRef: { name: 'secret2' } },
          { host: hostOf(mainGs), secretRef: { name: 'secret1' } },
        ],
      }),
    );
    expect(readyCondition(kd)).toMatchObject({ status: 'False', reason: 'PrepareFailed' });
    expect(kd.status?.lastPrepareError).toContain(ip1.url);
    expect(kd.status?.lastPrepareError).toContain('authentication required');
    noPassword(kd);
  }, 120_000);
});
