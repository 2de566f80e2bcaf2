// IsomorphicGitSource against real `git http-backend` behind the test bridge. The error messages for a
// missing repository and a missing branch follow Kluctl's e2e/gitops_errors_test.go.
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IsomorphicGitSource } from '../../lib/adapters/isomorphic-git-source.js';
import { GitSourceError } from '../../lib/errors.js';
import { createRepo } from '../../devenv/git-repo.js';
import type { TestRepo } from '../../devenv/git-repo.js';
import { startGitServer } from '../../devenv/git-server.js';
import type { GitServer } from '../../devenv/git-server.js';

let server: GitServer;
let repo: TestRepo;
let work: string;
const source = new IsomorphicGitSource();

beforeAll(async () => {
  server = await startGitServer();
  repo = await createRepo(server, 'project', { 'deployment.yml': 'deployments: []\n', 'a/b.txt': 'one\n' });
  work = await mkdtemp(join(tmpdir(), 'ks-git-test-'));
});

afterAll(async () => {
  await repo?.cleanup();
  await server?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

let dirCount = 0;
const freshDir = () => join(work, `c${dirCount++}`);

async function expectGitError(p: Promise<unknown>, message: string, retryable = false): Promise<void> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(GitSourceError);
  expect((err as GitSourceError).message).toBe(message);
  expect((err as GitSourceError).retryable).toBe(retryable);
}

describe('IsomorphicGitSource', () => {
  it('resolves the default branch and sees a new pushed commit', async () => {
    const before = await source.resolveRef(repo.url, {});
    expect(before).toBe(await repo.head());
    const next = await repo.commit({ 'a/b.txt': 'two\n' }, 'second');
    expect(next).not.toBe(before);
    expect(await source.resolveRef(repo.url, {})).toBe(next);
    expect(await source.resolveRef(repo.url, { branch: 'main' })).toBe(next);
  });

  it('checks out a branch shallowly with its files', async () => {
    const head = await repo.commit({ 'new.txt': 'fresh\n', 'deleted-later.txt': 'x' }, 'add files');
    await repo.commit({ 'deleted-later.txt': null }, 'delete one');
    const dir = freshDir();
    const started = Date.now();
    const { commit } = await source.checkout(repo.url, { branch: 'main' }, dir);
    const elapsed = Date.now() - started;
    expect(commit).toBe(await repo.head());
    expect(commit).not.toBe(head);
    expect(await readFile(join(dir, 'new.txt'), 'utf8')).toBe('fresh\n');
    expect((await readdir(dir)).sort()).toEqual(['.git', 'a', 'deployment.yml', 'new.txt']);
    // Timing is reported, not asserted (benchmarks live in bench/).
    console.info(`shallow checkout of a small repo took ${elapsed} ms`);
  });

  it('resolves and checks out other branches, lightweight and annotated tags', async () => {
    const tagged = await repo.commit({ 'v.txt': 'v1\n' }, 'release');
    await repo.tag('v1.0.0');
    await repo.tag('v1.0.0-annotated', { message: 'annotated release' });
    await repo.pushBranch('feature/x');
    await repo.commit({ 'v.txt': 'v2\n' }, 'after release');

    expect(await source.resolveRef(repo.url, { tag: 'v1.0.0' })).toBe(tagged);
    expect(await source.resolveRef(repo.url, { tag: 'v1.0.0-annotated' })).toBe(tagged);
    expect(await source.resolveRef(repo.url, { branch: 'feature/x' })).toBe(tagged);

    for (const ref of [{ tag: 'v1.0.0' }, { tag: 'v1.0.0-annotated' }, { branch: 'feature/x' }]) {
      const dir = freshDir();
      expect(await source.checkout(repo.url, ref, dir)).toEqual({ commit: tagged, ref });
      expect(await readFile(join(dir, 'v.txt'), 'utf8')).toBe('v1\n');
    }
  });

  it('returns a commit ref as is and checks out an older commit', async () => {
    const old = await repo.commit({ 'c.txt': 'old\n' }, 'old');
    await repo.commit({ 'c.txt': 'new\n' }, 'new');
    expect(await source.resolveRef(repo.url, { commit: old })).toBe(old);
    const dir = freshDir();
    expect(await source.checkout(repo.url, { commit: old }, dir)).toEqual({
      commit: old,
      ref: { commit: old },
    });
    expect(await readFile(join(dir, 'c.txt'), 'utf8')).toBe('old\n');
  });

  it('follows a default branch that is not main', async () => {
    const other = await createRepo(server, 'nested/trunk-repo', { 'x.txt': 'x' }, { branch: 'trunk' });
    try {
      expect(await source.resolveRef(other.url, {})).toBe(await other.head());
      const dir = freshDir();
      // The default branch is reported by name, as Kluctl's gitInfo.ref shows it.
      expect(await source.checkout(other.url, {}, dir)).toEqual({
        commit: await other.head(),
        ref: { branch: 'trunk' },
      });
    } finally {
      await other.cleanup();
    }
  });

  it('reports a missing repository with Kluctl wording', async () => {
    const url = server.url('does-not-exist');
    const msg = 'failed to clone git source: repository not found';
    await expectGitError(source.resolveRef(url, {}), msg);
    await expectGitError(source.checkout(url, { branch: 'main' }, freshDir()), msg);
  });

  it('reports a missing branch or tag with Kluctl wording', async () => {
    await expectGitError(
      source.resolveRef(repo.url, { branch: 'invalid' }),
      'ref refs/heads/invalid not found',
    );
    await expectGitError(
      source.checkout(repo.url, { branch: 'invalid' }, freshDir()),
      'ref refs/heads/invalid not found',
    );
    await expectGitError(source.resolveRef(repo.url, { tag: 'nope' }), 'ref refs/tags/nope not found');
  });

  it('reports an unknown commit and a malformed one', async () => {
    const sha = 'deadbeef'.repeat(5);
    await expectGitError(
      source.checkout(repo.url, { commit: sha }, freshDir()),
      `commit ${sha} not found in ${repo.url}`,
    );
    await expectGitError(
      source.resolveRef(repo.url, { commit: 'abc' }),
      "invalid commit 'abc': expected the full 40-character hash",
    );
  });

  it('marks an unreachable server retryable and keeps credentials out of the message', async () => {
    const stopped = await startGitServer();
    const url = stopped.url('gone');
    await stopped.stop();
    const withCreds = url.replace('http://', 'http://user:s3cret@');
    const err = await source.resolveRef(withCreds, {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GitSourceError);
    expect((err as GitSourceError).retryable).toBe(true);
    expect((err as GitSourceError).message).toBe(`cannot reach git server ${url}: ECONNREFUSED`);
    expect((err as GitSourceError).message).not.toContain('s3cret');
  });
});

describe('IsomorphicGitSource with basic auth', () => {
  let authServer: GitServer;
  let authRepo: TestRepo;

  beforeAll(async () => {
    authServer = await startGitServer({ auth: { username: 'alice', password: 'wonderland' } });
    authRepo = await createRepo(authServer, 'private', { 'secret.txt': 'x' });
  });

  afterAll(async () => {
    await authRepo?.cleanup();
    await authServer?.stop();
  });

  it('uses the credentials given and fails without them', async () => {
    const auth = { username: 'alice', password: 'wonderland' };
    expect(await source.resolveRef(authRepo.url, {}, auth)).toBe(await authRepo.head());
    const dir = freshDir();
    expect((await source.checkout(authRepo.url, {}, dir, auth)).commit).toBe(await authRepo.head());
    const msg = `failed to clone git source: authentication required for ${authRepo.url}`;
    await expectGitError(source.resolveRef(authRepo.url, {}), msg);
    await expectGitError(source.resolveRef(authRepo.url, {}, { username: 'alice', password: 'wrong' }), msg);
  });
});
