/**
 * The controller's `spec.credentials.git` over SSH, end to end against a real OpenSSH server (key
 * auth, the real git-upload-pack): the source clone, a git include, `git` and `gitFiles` vars sources
 * all use `ssh://` URLs, with the Secret keys `identity` and `known_hosts` as Kluctl reads them; the
 * rendered project uses `load_latest_git_commit` on the checkout. Follows Kluctl's
 * TestGitOpsGitIncludeCredentials (the include needs credentials too) with SSH instead of basic auth.
 * An unknown host is refused with a message naming it and the fix; the key never shows up in status.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HttpKubeClient } from '../../lib/adapters/http-kube-client.js';
import { IsomorphicGitRefLister } from '../../lib/adapters/isomorphic-git-refs.js';
import type { ReconcileDeps } from '../../lib/reconcile/reconcile.js';
import { createRepo } from '../../devenv/git-repo.js';
import type { TestRepo } from '../../devenv/git-repo.js';
import { startGitServer } from '../../devenv/git-server.js';
import type { GitServer } from '../../devenv/git-server.js';
import { startSshServer } from '../../devenv/ssh-server.js';
import type { SshServer } from '../../devenv/ssh-server.js';
import { readyCondition } from '../support/kluctl-deployment.js';
import { applyAndReconcile, testReconcileDeps } from '../support/reconcile-scenario.js';
import { createTestNamespace, installCrds, kubectlJson, kubectlTest, testEnv } from '../support/test-env.js';

let http: GitServer;
let ssh: SshServer;
let includeRepo: TestRepo;
let projectRepo: TestRepo;
let ns: string;
let deps: ReconcileDeps;
let kube: HttpKubeClient;
let workDir: string;

function projectFiles(includeUrl: string): Record<string, string> {
  return {
    '.kluctl.yaml':
      'discriminator: "ssh-{{ target.name }}-{{ args.namespace }}"\nargs:\n  - name: namespace\ntargets:\n  - name: test\n',
    'deployment.yaml': [
      'vars:',
      `  - git: {url: "${includeUrl}", path: vars.yaml}`,
      `  - gitFiles: {url: "${includeUrl}", ref: {branch: main}, files: [{glob: "*.yaml", parseYaml: true}]}`,
      '    targetPath: gf',
      'deployments:',
      '  - path: local',
      `  - git: {url: "${includeUrl}", subDir: lib}`,
      '',
    ].join('\n'),
    'local/cm.yaml': [
      'apiVersion: v1',
      'kind: ConfigMap',
      'metadata:',
      '  name: local',
      '  namespace: "{{ args.namespace }}"',
      'data:',
      '  fromGit: "{{ fromGit }}"',
      '  fromGitFiles: "{{ gf[0].filesByPath[\'vars.yaml\'].parsed.fromGit }}"',
      '  latest: "{{ load_latest_git_commit(\'cm.yaml\', 12) }}"',
      '',
    ].join('\n'),
  };
}

/** Creates Secret `name` with the given keys (multi-line values through files, as users do). */
async function createSecret(name: string, data: Readonly<Record<string, string>>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'ks-ssh-secret-'));
  try {
    const args = ['create', 'secret', 'generic', name, '-n', ns];
    for (const [k, v] of Object.entries(data)) {
      await writeFile(join(dir, k), v);
      args.push(`--from-file=${k}=${join(dir, k)}`);
    }
    const r = await kubectlTest(args);
    if (r.code !== 0) throw new Error(`could not create Secret ${name}: ${r.stderr}`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

beforeAll(async () => {
  await installCrds();
  http = await startGitServer();
  includeRepo = await createRepo(http, 'include-lib', {
    'vars.yaml': 'fromGit: hello-over-ssh\n',
    'lib/deployment.yaml': 'deployments:\n  - path: cm\n',
    'lib/cm/cm.yaml':
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: from-include\n  namespace: "{{ args.namespace }}"\ndata:\n  a: b\n',
  });
  ssh = await startSshServer({ root: http.root });
  projectRepo = await createRepo(http, 'project', projectFiles(ssh.url('include-lib')));
  ns = await createTestNamespace('ssh-creds');
  kube = await HttpKubeClient.fromKubeconfig({ kubeconfigPath: testEnv().kubeconfigPath });
  workDir = await mkdtemp(join(tmpdir(), 'ks-ssh-creds-'));
  deps = testReconcileDeps({
    kube,
    workDir,
    holder: 'ssh-credentials-test',
    varsServices: { env: {}, gitRefs: new IsomorphicGitRefLister() },
  });
  await createSecret('ssh-good', { identity: ssh.clientKey, known_hosts: ssh.knownHosts });
  await createSecret('ssh-unknown-host', {
    identity: ssh.clientKey,
    known_hosts: ssh.knownHosts.replace('[127.0.0.1]', '[127.0.0.2]'),
  });
});

afterAll(async () => {
  kube?.close();
  await includeRepo?.cleanup();
  await projectRepo?.cleanup();
  await ssh?.stop();
  await http?.stop();
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

const host = () => `127.0.0.1:${ssh.port}`;
const reconcileKd = (name: string, credentials: unknown) =>
  applyAndReconcile(deps, ns, name, {
    interval: '5m',
    timeout: '2m',
    source: { git: { url: ssh.url('project') } },
    target: 'test',
    args: { namespace: ns },
    ...(credentials ? { credentials } : {}),
  });

describe('controller spec.credentials.git over SSH (TestGitOpsGitIncludeCredentials with ssh://)', () => {
  test('without credentials the SSH source fails as PrepareFailed, asking for an identity', async () => {
    const kd = await reconcileKd('ssh-none', undefined);
    expect(readyCondition(kd)).toMatchObject({ status: 'False', reason: 'PrepareFailed' });
    expect(kd.status?.lastPrepareError).toContain("whose Secret has an 'identity' key");
  });

  test('a host missing from known_hosts is refused, naming the host and the fix', async () => {
    const kd = await reconcileKd('ssh-unknown', {
      git: [{ host: host(), secretRef: { name: 'ssh-unknown-host' } }],
    });
    expect(readyCondition(kd)).toMatchObject({ status: 'False', reason: 'PrepareFailed' });
    expect(kd.status?.lastPrepareError).toContain(`unknown SSH host [127.0.0.1]:${ssh.port}`);
    expect(kd.status?.lastPrepareError).toContain("'known_hosts'");
    expect(JSON.stringify(kd)).not.toContain('PRIVATE KEY');
  });

  test('a matching entry opens the source, the include, git and gitFiles vars; load_latest_git_commit works', async () => {
    const kd = await reconcileKd('ssh-good', {
      git: [
        { host: host(), path: 'nothing/**', secretRef: { name: 'ssh-unknown-host' } },
        { host: host(), secretRef: { name: 'ssh-good' } },
      ],
    });
    expect(readyCondition(kd)).toMatchObject({ status: 'True', reason: 'ReconciliationSucceeded' });
    expect(kd.status?.observedCommit).toBe(await projectRepo.head());
    const cms = await kubectlJson<{ items: { metadata: { name: string }; data?: Record<string, string> }[] }>(
      ['get', 'configmaps', '-n', ns, '-l', `kluctl.io/discriminator=ssh-test-${ns}`],
    );
    expect(cms.items.map((c) => c.metadata.name).sort()).toEqual(['from-include', 'local']);
    const local = cms.items.find((c) => c.metadata.name === 'local')?.data;
    expect(local).toMatchObject({ fromGit: 'hello-over-ssh', fromGitFiles: 'hello-over-ssh' });
    expect(local?.latest).toBe((await projectRepo.head()).slice(0, 12));
    expect(JSON.stringify(kd)).not.toContain('PRIVATE KEY');
  });
});
