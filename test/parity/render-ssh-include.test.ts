/**
 * A git include and a git vars source over SSH, rendered by the reference Kluctl and by ours with the
 * same flags (`--git-username`, `--git-ssh-key-file`, `--git-ssh-known-hosts-file`) against a real
 * OpenSSH server: the same objects; and both refuse a host missing from the known_hosts file.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { createRepo } from '../../devenv/git-repo.js';
import type { TestRepo } from '../../devenv/git-repo.js';
import { startGitServer } from '../../devenv/git-server.js';
import type { GitServer } from '../../devenv/git-server.js';
import { runKluctl } from '../../devenv/reference-kluctl.js';
import { startSshServer } from '../../devenv/ssh-server.js';
import type { SshServer } from '../../devenv/ssh-server.js';
import { cli } from '../support/cli.js';

let http: GitServer;
let ssh: SshServer;
let include: TestRepo;
let project: TestRepo;
let dir: string;
let keyFile: string;
let knownHostsFile: string;
let emptyKnownHosts: string;

beforeAll(async () => {
  http = await startGitServer();
  include = await createRepo(http, 'include', {
    'vars.yaml': 'fromGit: over-ssh\n',
    'lib/deployment.yaml': 'deployments:\n  - path: cm\n',
    'lib/cm/cm.yaml':
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: included\n  namespace: default\ndata:\n  v: "{{ fromGit }}"\n',
  });
  ssh = await startSshServer({ root: http.root });
  project = await createRepo(http, 'project', {
    '.kluctl.yaml': 'targets:\n  - name: test\n',
    'deployment.yaml': [
      'vars:',
      `  - git: {url: "${ssh.url('include')}", path: vars.yaml}`,
      'deployments:',
      `  - git: {url: "${ssh.url('include')}", subDir: lib}`,
      '',
    ].join('\n'),
  });
  // Kluctl renders only projects whose directory is a git repository with a remote: the work clone is one.
  dir = await mkdtemp(join(tmpdir(), 'ks-parity-ssh-'));
  keyFile = join(dir, 'id');
  knownHostsFile = join(dir, 'known_hosts');
  emptyKnownHosts = join(dir, 'known_hosts_empty');
  await writeFile(keyFile, ssh.clientKey, { mode: 0o600 });
  await writeFile(knownHostsFile, ssh.knownHosts);
  await writeFile(emptyKnownHosts, '');
});

afterAll(async () => {
  await include?.cleanup();
  await project?.cleanup();
  await ssh?.stop();
  await http?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const flags = (knownHosts: string) => {
  const host = `127.0.0.1:${ssh.port}`;
  return [
    'render',
    '--project-dir',
    project.workDir,
    '-t',
    'test',
    '--print-all',
    '--offline-kubernetes',
    `--git-username=${host}=${ssh.user}`,
    `--git-ssh-key-file=${host}=${keyFile}`,
    `--git-ssh-known-hosts-file=${host}=${knownHosts}`,
  ];
};

const objects = (yaml: string) =>
  parseAllDocuments(yaml)
    .map((d) => d.toJS() as unknown)
    .filter((o) => o !== null);

describe('SSH git include and vars (reference Kluctl vs ours)', () => {
  it('renders the same objects', async () => {
    // Kluctl's SSH transport also wants a known_hosts file in SSH_KNOWN_HOSTS (host key algorithms).
    const env = { SSH_AUTH_SOCK: '', SSH_KNOWN_HOSTS: knownHostsFile };
    const ref = await runKluctl(flags(knownHostsFile), { env });
    if (ref.code !== 0) throw new Error(`reference Kluctl failed:\n${ref.stderr}`);
    const ours = await cli(flags(knownHostsFile), env);
    if (ours.code !== 0) throw new Error(`ours failed:\n${ours.stderr}`);
    expect(objects(ours.stdout)).toEqual(objects(ref.stdout));
    expect(objects(ours.stdout)).toEqual([
      expect.objectContaining({ kind: 'ConfigMap', data: { v: 'over-ssh' } }),
    ]);
  });

  it('both refuse a host missing from the known_hosts file', async () => {
    const env = { SSH_AUTH_SOCK: '', SSH_KNOWN_HOSTS: emptyKnownHosts };
    const ref = await runKluctl(flags(emptyKnownHosts), { env });
    expect(ref.code).not.toBe(0);
    const ours = await cli(flags(emptyKnownHosts), env);
    expect(ours.code).not.toBe(0);
    expect(ours.stderr).toContain(`unknown SSH host [127.0.0.1]:${ssh.port}`);
  });
});
