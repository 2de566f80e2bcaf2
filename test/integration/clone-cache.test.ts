// The clone cache against real parts: `git http-backend` behind the test Git server, S3 on LocalStack
// (and the local folder store). A counting wrapper around the real IsomorphicGitSource tells a hit
// (nothing asked of the Git server) from a miss.
import { lstat, mkdtemp, readFile, readlink, rm, stat, symlink, chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { FsStateStore } from '../../lib/adapters/fs-state-store.js';
import { IsomorphicGitSource } from '../../lib/adapters/isomorphic-git-source.js';
import { S3StateStore } from '../../lib/adapters/s3-state-store.js';
import { TarArchiver } from '../../lib/adapters/tar-archiver.js';
import type { Clock, GitAuth, GitRef, GitSource, StateStore } from '../../lib/ports.js';
import { silentLogger } from '../../lib/ports.js';
import { CachedGitSource } from '../../lib/serverless/clone-cache.js';
import { createRepo, git } from '../../devenv/git-repo.js';
import type { TestRepo } from '../../devenv/git-repo.js';
import { startGitServer } from '../../devenv/git-server.js';
import type { GitServer } from '../../devenv/git-server.js';
import { testEnv } from '../support/test-env.js';

/** The real source, counting what reaches the Git server. */
class CountingSource implements GitSource {
  probes = 0;
  clones = 0;
  private readonly real = new IsomorphicGitSource();
  resolveRef(url: string, ref: GitRef, auth?: GitAuth): Promise<string> {
    this.probes++;
    return this.real.resolveRef(url, ref, auth);
  }
  checkout(url: string, ref: GitRef, dir: string, auth?: GitAuth) {
    this.clones++;
    return this.real.checkout(url, ref, dir, auth);
  }
}

class FakeClock implements Clock {
  t = Date.UTC(2026, 11, 6, 12, 0, 0);
  now(): Date {
    return new Date(this.t);
  }
}

let server: GitServer;
let repo: TestRepo;
let work: string;
let s3: S3Client;
const bucket = `clone-cache-${Date.now()}`;
let dirCount = 0;
const freshDir = () => join(work, `c${dirCount++}`);
let storeCount = 0;

beforeAll(async () => {
  server = await startGitServer();
  repo = await createRepo(server, 'project', {
    'deployment.yml': 'deployments:\n- path: app\n',
    'app/deploy.yml': 'kind: ConfigMap\n',
    'scripts/run.sh': '#!/bin/sh\necho hi\n',
  });
  // A symlink and an executable file, which a snapshot must keep.
  await chmod(join(repo.workDir, 'scripts/run.sh'), 0o755);
  await symlink('app/deploy.yml', join(repo.workDir, 'link.yml'));
  await git(repo.workDir, ['add', '-A']);
  await git(repo.workDir, ['commit', '--quiet', '-m', 'link and exec bit']);
  await git(repo.workDir, ['push', '--quiet', 'origin', 'HEAD']);
  work = await mkdtemp(join(tmpdir(), 'ks-clone-cache-'));
  const env = testEnv();
  s3 = new S3Client({
    endpoint: env.s3.endpoint,
    region: env.s3.region,
    forcePathStyle: true,
    credentials: { accessKeyId: env.s3.accessKeyId, secretAccessKey: env.s3.secretAccessKey },
  });
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
});

afterAll(async () => {
  await repo?.cleanup();
  await server?.stop();
  s3?.destroy();
  if (work) await rm(work, { recursive: true, force: true });
});

const s3Store = (): StateStore => new S3StateStore({ client: s3, bucket, prefix: `t${storeCount++}/` });

function cached(store: StateStore, clock = new FakeClock(), refTtlMs = 15_000) {
  const inner = new CountingSource();
  const source = new CachedGitSource({
    inner,
    store,
    archiver: new TarArchiver(),
    clock,
    logger: silentLogger,
    // Most cases trust a probed ref for 15 s (bursts); the default (0) is tested on its own below.
    refTtlMs,
  });
  return { inner, source, clock };
}

describe.each<[string, () => Promise<StateStore>]>([
  ['S3 (LocalStack)', async () => s3Store()],
  ['local folder', async () => new FsStateStore(await mkdtemp(join(work, 'fs-')))],
])('CachedGitSource on %s', (_name, makeStore) => {
  it('clones once; a cold second process restores the same tree without asking the Git server', async () => {
    const store = await makeStore();
    const first = cached(store);
    const a = freshDir();
    const got = await first.source.checkout(repo.url, { branch: 'main' }, a);
    expect(got.commit).toBe(await repo.head());
    expect(first.inner.clones).toBe(1);

    const second = cached(store, first.clock);
    const b = freshDir();
    const again = await second.source.checkout(repo.url, { branch: 'main' }, b);
    expect(again).toEqual(got);
    expect(second.inner).toMatchObject({ clones: 0, probes: 0 });
    expect(second.source.stats).toMatchObject({ refHits: 1, snapshotHits: 1 });
    expect(await readFile(join(b, 'app/deploy.yml'), 'utf8')).toBe(
      await readFile(join(a, 'app/deploy.yml'), 'utf8'),
    );
    expect(await readlink(join(b, 'link.yml'))).toBe('app/deploy.yml');
    expect((await stat(join(b, 'scripts/run.sh'))).mode & 0o111).not.toBe(0);
    // The repository root stays recognisable to the renderer, without the repository's objects.
    expect((await lstat(join(b, '.git'))).isDirectory()).toBe(true);
  });

  it('reports the default branch by name from the cache, as a clone does', async () => {
    const store = await makeStore();
    const first = cached(store);
    const got = await first.source.checkout(repo.url, {}, freshDir());
    expect(got.ref).toEqual({ branch: 'main' });
    const second = cached(store, first.clock);
    expect(await second.source.checkout(repo.url, {}, freshDir())).toEqual(got);
    expect(second.inner.clones).toBe(0);
  });

  it('probes again once the ref entry is stale, and clones a commit it has not seen', async () => {
    const store = await makeStore();
    const c = cached(store);
    await c.source.checkout(repo.url, { branch: 'main' }, freshDir());
    const next = await repo.commit({ 'app/deploy.yml': 'kind: Secret\n' }, 'change');
    // Within the TTL the ref entry answers (a burst of reconciles costs one probe)…
    expect(await c.source.resolveRef(repo.url, { branch: 'main' })).not.toBe(next);
    c.clock.t += 16_000;
    // …after it, the server is asked and the new commit cloned.
    const dir = freshDir();
    const got = await c.source.checkout(repo.url, { branch: 'main' }, dir);
    expect(got.commit).toBe(next);
    expect(c.inner.clones).toBe(2);
    expect(await readFile(join(dir, 'app/deploy.yml'), 'utf8')).toBe('kind: Secret\n');
  });

  it('by default probes the ref on every checkout, so a push is seen at once, and still restores', async () => {
    const store = await makeStore();
    const first = cached(store, new FakeClock(), 0);
    await first.source.checkout(repo.url, { branch: 'main' }, freshDir());
    const again = cached(store, first.clock, 0);
    await again.source.checkout(repo.url, { branch: 'main' }, freshDir());
    expect(again.inner).toMatchObject({ probes: 1, clones: 0 });
    const next = await repo.commit({ 'app/extra.yml': 'kind: ConfigMap\n' }, 'pushed');
    const dir = freshDir();
    expect((await again.source.checkout(repo.url, { branch: 'main' }, dir)).commit).toBe(next);
    expect(again.inner.clones).toBe(1);
  });

  it('restores a pinned commit without any Git request', async () => {
    const store = await makeStore();
    const first = cached(store);
    const commit = await repo.head();
    await first.source.checkout(repo.url, { commit }, freshDir());
    const second = cached(store);
    expect(await second.source.checkout(repo.url, { commit }, freshDir())).toEqual({
      commit,
      ref: { commit },
    });
    expect(second.inner).toMatchObject({ clones: 0, probes: 0 });
  });
});

describe('CachedGitSource in a warm function', () => {
  it('restores a commit it cloned or verified before from memory, reading only the ref entry', async () => {
    const store = s3Store();
    const keys: string[] = [];
    const reading: StateStore = {
      get: (k) => (keys.push(k), store.get(k)),
      put: (k, b, c) => store.put(k, b, c),
      delete: (k) => store.delete(k),
      list: (p) => store.list(p),
    };
    const warm = cached(reading);
    await warm.source.checkout(repo.url, { branch: 'main' }, freshDir());
    keys.length = 0;
    const dir = freshDir();
    const got = await warm.source.checkout(repo.url, { branch: 'main' }, dir);
    expect(got.commit).toBe(await repo.head());
    expect(await readFile(join(dir, 'app/deploy.yml'), 'utf8')).toBe(
      await readFile(join(repo.workDir, 'app/deploy.yml'), 'utf8'),
    );
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatch(/\/refs\/branch\/main\.json$/);
    expect(warm.inner.clones).toBe(1);
    // With no memory it reads the digest record and the snapshot again; with the default ref TTL (0)
    // a branch's ref entry is neither read nor written (the server was asked instead).
    const none = new CachedGitSource({
      inner: new CountingSource(),
      store: reading,
      archiver: new TarArchiver(),
      clock: warm.clock,
      logger: silentLogger,
      memoryBytes: 0,
    });
    keys.length = 0;
    await none.checkout(repo.url, { branch: 'main' }, freshDir());
    expect(keys.map((k) => k.replace(/^.*\//, '').replace(/^[0-9a-f]{40}/, '<commit>')).sort()).toEqual([
      '<commit>.json',
      '<commit>.tar.gz',
    ]);
  });
});

describe('CachedGitSource safety', () => {
  it('treats a snapshot whose digest does not match as a miss, clones and repairs it', async () => {
    const store = s3Store();
    const first = cached(store);
    const commit = await repo.head();
    await first.source.checkout(repo.url, { commit }, freshDir());
    const key = (await store.list('clone-cache/')).find((k) => k.endsWith('.tar.gz'))!;
    await store.put(key, new TextEncoder().encode('not a tarball'));

    const second = cached(store);
    const dir = freshDir();
    await second.source.checkout(repo.url, { commit }, dir);
    expect(second.source.stats.snapshotCorrupt).toBe(1);
    expect(second.inner.clones).toBe(1);
    expect(await readFile(join(dir, 'app/deploy.yml'), 'utf8')).toBeTruthy();
    const third = cached(store);
    await third.source.checkout(repo.url, { commit }, freshDir());
    expect(third.inner.clones).toBe(0);
  });

  it('keeps credential sets apart and writes no credential into a key', async () => {
    const authServer = await startGitServer({ auth: { username: 'deployer', password: 's3cr3t-token-42' } });
    try {
      const priv = await createRepo(authServer, 'private', { 'a.txt': 'private\n' });
      const store = s3Store();
      const withAuth = cached(store);
      await withAuth.source.checkout(priv.url, { branch: 'main' }, freshDir(), {
        username: 'deployer',
        password: 's3cr3t-token-42',
      });
      const keys = await store.list('');
      expect(keys.length).toBeGreaterThan(0);
      for (const k of keys) {
        expect(k).not.toContain('s3cr3t');
        expect(k).not.toContain('deployer');
      }
      // Without credentials nothing of the cache is served: the request reaches the server and fails.
      const anonymous = cached(store, withAuth.clock);
      await expect(anonymous.source.checkout(priv.url, { branch: 'main' }, freshDir())).rejects.toThrow(
        /authentication required/,
      );
      expect(anonymous.source.stats.snapshotHits).toBe(0);
      await priv.cleanup();
    } finally {
      await authServer.stop();
    }
  });

  it('goes to the Git server when the store is unreachable', async () => {
    const broken = new S3StateStore({
      client: new S3Client({
        endpoint: 'http://127.0.0.1:9',
        region: 'us-east-1',
        forcePathStyle: true,
        maxAttempts: 1,
        credentials: { accessKeyId: 'x', secretAccessKey: 'y' },
      }),
      bucket,
    });
    const c = cached(broken);
    const dir = freshDir();
    const got = await c.source.checkout(repo.url, { branch: 'main' }, dir);
    expect(got.commit).toBe(await repo.head());
    expect(c.source.stats.storeErrors).toBeGreaterThan(0);
    expect(await readFile(join(dir, 'deployment.yml'), 'utf8')).toContain('deployments');
  });
});
