// IsomorphicGitSource and IsomorphicGitRefLister over SSH against a real OpenSSH server (key auth,
// the real git-upload-pack), serving the same bare repositories as the HTTP test server; and https
// with the `caFile` of credentials (Kluctl's credentials.git keys `identity`, `known_hosts`, `caFile`).
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IsomorphicGitRefLister } from '../../lib/adapters/isomorphic-git-refs.js';
import { IsomorphicGitSource } from '../../lib/adapters/isomorphic-git-source.js';
import { gitAuthResolver } from '../../lib/credentials/git-credentials.js';
import { GitSourceError } from '../../lib/errors.js';
import type { GitAuth } from '../../lib/ports.js';
import { createRepo } from '../../devenv/git-repo.js';
import type { TestRepo } from '../../devenv/git-repo.js';
import { startGitServer } from '../../devenv/git-server.js';
import type { GitServer } from '../../devenv/git-server.js';
import { startSshServer } from '../../devenv/ssh-server.js';
import type { SshServer } from '../../devenv/ssh-server.js';

let http: GitServer;
let ssh: SshServer;
let repo: TestRepo;
let work: string;
let auth: GitAuth;
const source = new IsomorphicGitSource();

beforeAll(async () => {
  http = await startGitServer();
  repo = await createRepo(http, 'org/project', { 'deployment.yml': 'deployments: []\n', 'a/b.txt': 'one\n' });
  ssh = await startSshServer({ root: http.root });
  work = await mkdtemp(join(tmpdir(), 'ks-git-ssh-test-'));
  auth = { username: ssh.user, sshIdentity: ssh.clientKey, sshKnownHosts: ssh.knownHosts };
});

afterAll(async () => {
  await repo?.cleanup();
  await ssh?.stop();
  await http?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

let dirCount = 0;
const freshDir = () => join(work, `c${dirCount++}`);

async function gitError(p: Promise<unknown>): Promise<GitSourceError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(GitSourceError);
  return err as GitSourceError;
}

describe('IsomorphicGitSource over SSH (real sshd)', () => {
  it('resolves the default branch, a branch and an annotated tag, and sees a new pushed commit', async () => {
    const url = ssh.url('org/project');
    expect(await source.resolveRef(url, {}, auth)).toBe(await repo.head());
    const tagged = await repo.tag('v1.0.0', { message: 'release' });
    const next = await repo.commit({ 'a/b.txt': 'two\n' }, 'second');
    expect(await source.resolveRef(url, { branch: 'main' }, auth)).toBe(next);
    expect(await source.resolveRef(url, { tag: 'v1.0.0' }, auth)).toBe(tagged);
  });

  it('checks out the default branch (shallow), a tag and an exact commit', async () => {
    const url = ssh.url('org/project');
    const head = await repo.commit({ 'a/b.txt': 'three\n' }, 'third');
    const dir = freshDir();
    expect(await source.checkout(url, {}, dir, auth)).toEqual({ commit: head, ref: { branch: 'main' } });
    expect(await readFile(join(dir, 'a/b.txt'), 'utf8')).toBe('three\n');
    const tagged = await source.checkout(url, { tag: 'v1.0.0' }, freshDir(), auth);
    expect(tagged.ref).toEqual({ tag: 'v1.0.0' });
    const old = tagged.commit;
    const byCommit = freshDir();
    expect((await source.checkout(url, { commit: old }, byCommit, auth)).commit).toBe(old);
    expect(await readFile(join(byCommit, 'a/b.txt'), 'utf8')).toBe('one\n');
  });

  it('lists branches and tags for gitFiles, with the default branch', async () => {
    const refs = await new IsomorphicGitRefLister().listRefs(ssh.url('org/project'), auth);
    expect(refs.head).toBe('refs/heads/main');
    expect(refs.refs['refs/heads/main']).toBe(await repo.head());
    expect(Object.keys(refs.refs)).toContain('refs/tags/v1.0.0');
  });

  it('refuses a host missing from known_hosts, naming it and the fix', async () => {
    const err = await gitError(source.resolveRef(ssh.url('org/project'), {}, { ...auth, sshKnownHosts: '' }));
    expect(err.message).toContain(`unknown SSH host [127.0.0.1]:${ssh.port}`);
    expect(err.message).toContain('ssh-keyscan');
    expect(err.retryable).toBe(false);
  });

  it('refuses a host whose key differs from known_hosts', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ks-ssh-other-'));
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'k')]);
    const [type, blob] = (await readFile(join(dir, 'k.pub'), 'utf8')).split(' ');
    await rm(dir, { recursive: true, force: true });
    const wrong = `[127.0.0.1]:${ssh.port} ${type} ${blob}\n`;
    const err = await gitError(
      source.checkout(ssh.url('org/project'), {}, freshDir(), { ...auth, sshKnownHosts: wrong }),
    );
    expect(err.message).toContain(`host key verification failed for [127.0.0.1]:${ssh.port}`);
    expect(err.message).toMatch(/SHA256:/);
  });

  it('reports a key the server does not accept as an authentication failure, without the key', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ks-ssh-key-'));
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'k')]);
    const other = await readFile(join(dir, 'k'), 'utf8');
    await rm(dir, { recursive: true, force: true });
    const err = await gitError(
      source.resolveRef(ssh.url('org/project'), {}, { ...auth, sshIdentity: other }),
    );
    expect(err.message).toBe(
      `failed to clone git source: authentication required for ${ssh.url('org/project').replace(`${ssh.user}@`, '')}`,
    );
    expect(err.message).not.toContain('PRIVATE KEY');
  });

  it('asks for an identity when none matches an SSH URL', async () => {
    const err = await gitError(source.resolveRef(ssh.url('org/project'), {}, undefined));
    expect(err.message).toContain("whose Secret has an 'identity' key");
  });

  it("reports a missing repository with Kluctl's message", async () => {
    const err = await gitError(source.resolveRef(ssh.url('org/nope'), {}, auth));
    expect(err.message).toBe('failed to clone git source: repository not found');
  });

  it('matches credentials entries (identity, known_hosts) by host and path like Kluctl', async () => {
    const host = `127.0.0.1:${ssh.port}`;
    const resolve = gitAuthResolver([
      { host, path: 'other/**', username: '*', identity: 'not this one' },
      { host, username: '*', identity: ssh.clientKey, knownHosts: ssh.knownHosts },
    ]);
    const url = ssh.url('org/project');
    expect(resolve(url)).toEqual({
      username: ssh.user,
      sshIdentity: ssh.clientKey,
      sshKnownHosts: ssh.knownHosts,
    });
    expect(await source.resolveRef(url, {}, resolve(url))).toBe(await repo.head());
  });
});
