/**
 * Git credentials end to end against the test Git server in basic-auth mode: the CLI's
 * `--git-username/--git-password` flags and `KLUCTL_GIT_*` environment sets for git includes and `git`
 * vars sources, and the controller's `spec.credentials.git` for the source clone and includes.
 * Follows Kluctl's e2e `gitops_git_include_test` (include needs spec.credentials.git, host/path matching,
 * `*` ignored for http) and `TestGitOpsGitCredentials`-style checks; the password never shows up in
 * output, status or errors.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { HttpKubeClient } from '../../lib/adapters/http-kube-client.js';
import type { ReconcileDeps } from '../../lib/reconcile/reconcile.js';
import { createRepo } from '../../devenv/git-repo.js';
import type { TestRepo } from '../../devenv/git-repo.js';
import { startGitServer } from '../../devenv/git-server.js';
import type { GitServer } from '../../devenv/git-server.js';
import { cli } from '../support/cli.js';
import { readyCondition } from '../support/kluctl-deployment.js';
import {
  applyAndReconcile,
  createCredentialsSecret,
  testReconcileDeps,
} from '../support/reconcile-scenario.js';
import { createTestNamespace, installCrds, kubectlJson, testEnv } from '../support/test-env.js';

const USER = 'kluctl-user';
const PASSWORD = 'S3cr3t-Pa55word';

let server: GitServer;
let host: string;
let includeRepo: TestRepo;
let projectRepo: TestRepo;
let ns: string;

/** The root project: vars from the protected repo (git vars source) and a git include of it. */
function projectFiles(includeUrl: string): Record<string, string> {
  return {
    '.kluctl.yaml':
      'discriminator: "creds-{{ target.name }}-{{ args.namespace }}"\nargs:\n  - name: namespace\ntargets:\n  - name: test\n',
    'deployment.yaml': [
      'vars:',
      `  - git: {url: "${includeUrl}", path: vars.yaml}`,
      'deployments:',
      '  - path: local',
      `  - git: {url: "${includeUrl}", subDir: lib}`,
      '',
    ].join('\n'),
    'local/cm.yaml':
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: local\n  namespace: "{{ args.namespace }}"\ndata:\n  fromGit: "{{ fromGit }}"\n',
  };
}

beforeAll(async () => {
  await installCrds();
  server = await startGitServer({ auth: { username: USER, password: PASSWORD } });
  host = new URL(server.url('x')).host;
  includeRepo = await createRepo(server, 'include-lib', {
    'vars.yaml': 'fromGit: hello-from-git\n',
    'lib/deployment.yaml': 'deployments:\n  - path: cm\n',
    'lib/cm/cm.yaml':
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: from-include\n  namespace: "{{ args.namespace }}"\ndata:\n  a: b\n',
  });
  projectRepo = await createRepo(server, 'project', projectFiles(includeRepo.url));
  ns = await createTestNamespace('creds');
});

afterAll(async () => {
  await includeRepo?.cleanup();
  await projectRepo?.cleanup();
  await server?.stop();
});

describe('CLI (git_include_test with credentials)', () => {
  const render = (extra: string[], env: Record<string, string> = {}) =>
    cli(
      [
        'render',
        '--project-dir',
        projectRepo.workDir,
        '-t',
        'test',
        '-a',
        `namespace=${ns}`,
        '--offline-kubernetes',
        '--print-all',
        ...extra,
      ],
      env,
    );
  const names = (stdout: string) => parseAllDocuments(stdout).map((d) => d.toJS().metadata.name);

  test('--git-username/--git-password matched by host and path glob open the include and the git vars', async () => {
    const r = await render([
      '--git-username',
      `${host}/include-*=${USER}`,
      '--git-password',
      `${host}/include-*=${PASSWORD}`,
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(names(r.stdout)).toEqual(['local', 'from-include']);
    expect(r.stdout).toContain('fromGit: hello-from-git');
  });

  test('KLUCTL_GIT_[n_]HOST|PATH|USERNAME|PASSWORD work the same', async () => {
    const r = await render([], {
      KLUCTL_GIT_1_HOST: host,
      KLUCTL_GIT_1_PATH: 'nothing-here/**',
      KLUCTL_GIT_1_USERNAME: 'wrong',
      KLUCTL_GIT_1_PASSWORD: 'wrong',
      KLUCTL_GIT_2_HOST: host,
      KLUCTL_GIT_2_PATH: 'include-lib',
      KLUCTL_GIT_2_USERNAME: USER,
      KLUCTL_GIT_2_PASSWORD: PASSWORD,
    });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(names(r.stdout)).toEqual(['local', 'from-include']);
  });

  test.each([
    ['no credentials', []],
    [
      'a path glob that does not match',
      ['--git-username', `${host}/other/*=${USER}`, '--git-password', `${host}/other/*=${PASSWORD}`],
    ],
    [
      'a wrong password',
      ['--git-username', `${host}=${USER}`, '--git-password', `${host}=wrong-${PASSWORD}`],
    ],
  ])('%s fails with a clear message that holds no password', async (_name, extra) => {
    const r = await render(extra);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`authentication required for http://${host}/include-lib.git`);
    expect(r.stderr).not.toContain(PASSWORD);
  });
});

describe('controller spec.credentials.git (gitops_git_include_test, TestGitOpsGitCredentials)', () => {
  let deps: ReconcileDeps;
  let http: HttpKubeClient;
  let workDir: string;

  beforeAll(async () => {
    http = await HttpKubeClient.fromKubeconfig({ kubeconfigPath: testEnv().kubeconfigPath });
    workDir = await mkdtemp(join(tmpdir(), 'ks-creds-'));
    deps = testReconcileDeps({ kube: http, workDir, holder: 'credentials-test' });
    await createCredentialsSecret(ns, 'git-creds', { username: USER, password: PASSWORD });
  });

  afterAll(async () => {
    http?.close();
    if (workDir) await rm(workDir, { recursive: true, force: true });
  });

  /** Applies KluctlDeployment `name` of the project with `spec.credentials` and reconciles it once. */
  const reconcileKd = (name: string, credentials: unknown) =>
    applyAndReconcile(deps, ns, name, {
      interval: '5m',
      timeout: '2m',
      source: { git: { url: projectRepo.url } },
      target: 'test',
      args: { namespace: ns },
      ...(credentials ? { credentials } : {}),
    });

  test('without credentials the clone of the protected source fails as PrepareFailed', async () => {
    const kd = await reconcileKd('no-creds', undefined);
    expect(readyCondition(kd)).toMatchObject({ status: 'False', reason: 'PrepareFailed' });
    expect(kd.status?.lastPrepareError).toContain(`authentication required for http://${host}/project.git`);
    expect(JSON.stringify(kd)).not.toContain(PASSWORD);
  });

  test('host "*" is ignored for http URLs', async () => {
    const kd = await reconcileKd('wildcard', { git: [{ host: '*', secretRef: { name: 'git-creds' } }] });
    expect(readyCondition(kd)).toMatchObject({ status: 'False', reason: 'PrepareFailed' });
    expect(kd.status?.lastPrepareError).toContain('authentication required');
  });

  test('credentials whose path matches only the source repo do not open the include', async () => {
    const kd = await reconcileKd('source-only', {
      git: [{ host, path: 'project', secretRef: { name: 'git-creds' } }],
    });
    expect(readyCondition(kd)).toMatchObject({ status: 'False', reason: 'PrepareFailed' });
    expect(kd.status?.lastPrepareError).toContain(`http://${host}/include-lib.git`);
    expect(kd.status?.lastPrepareError).toContain('authentication required');
    expect(JSON.stringify(kd)).not.toContain(PASSWORD);
  });

  test('a matching entry opens the source, the include and the git vars; every referenced Secret must exist', async () => {
    const kd = await reconcileKd('with-creds', {
      git: [
        { host: 'git.example.com', secretRef: { name: 'does-not-matter' } },
        { host, path: '{project,include-*}', secretRef: { name: 'git-creds' } },
        { host, secretRef: { name: 'missing-secret-never-read' } },
      ],
    });
    // Every entry's Secret is read up front, so a missing one fails even when an earlier entry matches.
    expect(readyCondition(kd)).toMatchObject({ status: 'False', reason: 'PrepareFailed' });
    expect(kd.status?.lastPrepareError).toContain(
      'spec.credentials.git[0]: Secret does-not-matter not found',
    );

    const ok = await reconcileKd('with-creds', {
      git: [
        { host, path: 'nothing/*', secretRef: { name: 'git-creds' } },
        { host, path: '{project,include-*}', secretRef: { name: 'git-creds' } },
      ],
    });
    expect(readyCondition(ok)).toMatchObject({ status: 'True', reason: 'ReconciliationSucceeded' });
    expect(ok.status?.observedCommit).toBe(await projectRepo.head());
    const cms = await kubectlJson<{ items: { metadata: { name: string }; data?: Record<string, string> }[] }>(
      ['get', 'configmaps', '-n', ns, '-l', `kluctl.io/discriminator=creds-test-${ns}`],
    );
    expect(cms.items.map((c) => c.metadata.name).sort()).toEqual(['from-include', 'local']);
    expect(cms.items.find((c) => c.metadata.name === 'local')?.data).toEqual({ fromGit: 'hello-from-git' });
    expect(JSON.stringify(ok)).not.toContain(PASSWORD);
  });
});
