/**
 * Project key and git info of a local project, as the CLI records them in command results (Kluctl's
 * TestGitNoRepo / TestGitSingleCommit / TestGitNoCommit), including an `origin` that is a local path.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gitInfoOf } from '../../bin/commands/command-output.js';

const exec = promisify(execFile);
const git = (cwd: string, ...args: string[]) =>
  exec(
    'git',
    ['-c', 'user.name=t', '-c', 'user.email=t@example.com', '-c', 'commit.gpgsign=false', ...args],
    { cwd },
  );

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ks-gitinfo-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

test('TestGitNoRepo: outside a repository there is no git info', async () => {
  expect(await gitInfoOf(dir)).toEqual({ projectKey: {} });
});

test('TestGitSingleCommit: repo key from origin, sub dir, commit, clean', async () => {
  await git(dir, 'init', '-q', '-b', 'main');
  await git(dir, 'remote', 'add', 'origin', 'https://github.com/example/project.git');
  await mkdir(join(dir, 'deploy'));
  await writeFile(join(dir, 'deploy/deployment.yaml'), 'deployments: []\n');
  await git(dir, 'add', '.');
  await git(dir, 'commit', '-q', '-m', 'one');
  const { stdout: head } = await git(dir, 'rev-parse', 'HEAD');
  const info = await gitInfoOf(join(dir, 'deploy'));
  expect(info.projectKey).toEqual({ repoKey: 'git://github.com/example/project', subDir: 'deploy' });
  expect(info.gitInfo).toEqual({
    url: 'https://github.com/example/project.git',
    ref: { branch: 'main' },
    subDir: 'deploy',
    commit: head.trim(),
    dirty: false,
  });
});

test('an origin that is a local path gives no repo key instead of failing the command', async () => {
  await git(dir, 'init', '-q', '-b', 'main');
  await git(dir, 'remote', 'add', 'origin', '/srv/git/project');
  await writeFile(join(dir, 'x.yaml'), 'a: 1\n');
  const info = await gitInfoOf(dir);
  expect(info.projectKey).toEqual({});
  expect(info.gitInfo).toMatchObject({ url: '/srv/git/project', commit: '', dirty: true });
});
