// The test Git server itself: the real git CLI can push and clone through the CGI bridge, unknown
// repositories answer 404, and basic-auth mode answers 401 without credentials.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRepo, git } from '../../devenv/git-repo.js';
import { startGitServer } from '../../devenv/git-server.js';
import type { GitServer } from '../../devenv/git-server.js';

let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'ks-git-server-test-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('test git server', () => {
  let server: GitServer;
  beforeAll(async () => {
    server = await startGitServer();
  });
  afterAll(async () => {
    await server.stop();
  });

  it('serves pushes and clones to the git CLI, with HEAD on main', async () => {
    const repo = await createRepo(server, 'cli', { 'README.md': 'hello\n' });
    const second = await repo.commit({ 'dir/file.txt': 'x\n', 'README.md': null }, 'second');
    const clone = join(work, 'cli-clone');
    await git(work, ['clone', '--quiet', repo.url, clone]);
    expect(await git(clone, ['rev-parse', 'HEAD'])).toBe(second);
    expect(await git(clone, ['symbolic-ref', 'HEAD'])).toBe('refs/heads/main');
    expect(await readFile(join(clone, 'dir/file.txt'), 'utf8')).toBe('x\n');
    await expect(readFile(join(clone, 'README.md'))).rejects.toThrow(/ENOENT/);
    await repo.cleanup();
  });

  it('answers 404 for an unknown repository', async () => {
    const res = await fetch(`${server.url('nope')}/info/refs?service=git-upload-pack`);
    expect(res.status).toBe(404);
  });
});

describe('test git server with basic auth', () => {
  it('answers 401 without credentials and serves with them', async () => {
    const server = await startGitServer({ auth: { username: 'u', password: 'p' } });
    try {
      const repo = await createRepo(server, 'private', { 'a.txt': 'a' });
      const refsUrl = `${repo.url}/info/refs?service=git-upload-pack`;
      const anonymous = await fetch(refsUrl);
      expect(anonymous.status).toBe(401);
      expect(anonymous.headers.get('www-authenticate')).toMatch(/^Basic/);
      const authorized = await fetch(refsUrl, { headers: { Authorization: `Basic ${btoa('u:p')}` } });
      expect(authorized.status).toBe(200);
      expect(authorized.headers.get('content-type')).toBe('application/x-git-upload-pack-advertisement');
      await repo.cleanup();
    } finally {
      await server.stop();
    }
  });
});
