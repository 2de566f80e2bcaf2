/**
 * Git repositories for the tests, the demo and the benchmarks, made with the real `git` CLI: a bare
 * repository served by devenv/git-server.ts and a work clone in a temp dir from which commits,
 * branches and tags are pushed over HTTP.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { promisify } from 'node:util';
import type { GitServer } from './git-server.js';

const exec = promisify(execFile);

/** Isolates git from the machine's config so tests behave the same on a fresh machine. */
const GIT_ENV: NodeJS.ProcessEnv = {
  ...process.env,
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_AUTHOR_NAME: 'Test',
  GIT_AUTHOR_EMAIL: 'test@example.com',
  GIT_COMMITTER_NAME: 'Test',
  GIT_COMMITTER_EMAIL: 'test@example.com',
  GIT_TERMINAL_PROMPT: '0',
};

/** Runs git in `cwd`; returns trimmed stdout. */
export async function git(cwd: string, args: readonly string[]): Promise<string> {
  try {
    const { stdout } = await exec('git', ['-c', 'commit.gpgsign=false', '-c', 'tag.gpgsign=false', ...args], {
      cwd,
      env: GIT_ENV,
    });
    return stdout.trim();
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`git ${args.join(' ')} failed: ${e.stderr?.trim() || e.message}`, { cause: err });
  }
}

/** A repository on the test server with a work clone. */
export interface TestRepo {
  /** Clone URL (without credentials). */
  readonly url: string;
  /** The work clone. */
  readonly workDir: string;
  /** Path of the bare repository under the server root. */
  readonly bareDir: string;
  /** Writes files (`null` deletes), commits on the current branch and pushes it; returns the commit. */
  commit(files: Readonly<Record<string, string | null>>, message: string): Promise<string>;
  /** Creates or moves branch `name` on the remote to the current commit (the work clone stays put). */
  pushBranch(name: string): Promise<string>;
  /** Switches the work clone to branch `name`, creating it at the current commit if needed. */
  switchBranch(name: string): Promise<void>;
  /** Tags the current commit (annotated when `message` is given) and pushes the tag; returns the commit. */
  tag(name: string, opts?: { message?: string }): Promise<string>;
  /** The current commit of the work clone. */
  head(): Promise<string>;
  /** Removes the work clone (the bare repository stays with the server root). */
  cleanup(): Promise<void>;
}

/** Options of {@link createRepo}. */
export interface CreateRepoOptions {
  /** Branch of the initial commit and target of the bare repository's HEAD; default `main`. */
  readonly branch?: string;
}

/** Creates `<name>.git` on the server with one commit holding `files`. */
export async function createRepo(
  server: GitServer,
  name: string,
  files: Readonly<Record<string, string>>,
  opts: CreateRepoOptions = {},
): Promise<TestRepo> {
  const branch = opts.branch ?? 'main';
  const bareDir = join(server.root, `${name}.git`);
  await mkdir(dirname(bareDir), { recursive: true });
  await git(server.root, ['init', '--quiet', '--bare', `--initial-branch=${branch}`, bareDir]);
  const workDir = await mkdtemp(join(tmpdir(), 'ks-git-work-'));
  await git(workDir, ['init', '--quiet', `--initial-branch=${branch}`]);
  await git(workDir, ['remote', 'add', 'origin', pushUrl(server, name)]);
  const repo = makeRepo(server.url(name), workDir, bareDir);
  await repo.commit(files, 'initial commit');
  return repo;
}

/** The URL the CLI pushes to: with credentials when the server demands them. */
function pushUrl(server: GitServer, name: string): string {
  const url = new URL(server.url(name));
  if (server.auth) {
    url.username = encodeURIComponent(server.auth.username);
    url.password = encodeURIComponent(server.auth.password);
  }
  return url.toString();
}

function makeRepo(url: string, workDir: string, bareDir: string): TestRepo {
  const head = () => git(workDir, ['rev-parse', 'HEAD']);
  return {
    url,
    workDir,
    bareDir,
    head,
    async commit(files, message) {
      for (const [path, content] of Object.entries(files)) {
        const full = join(workDir, path);
        if (content === null) {
          await rm(full, { force: true });
        } else {
          await mkdir(dirname(full), { recursive: true });
          await writeFile(full, content);
        }
      }
      await git(workDir, ['add', '--all']);
      await git(workDir, ['commit', '--quiet', '--allow-empty', '-m', message]);
      await git(workDir, ['push', '--quiet', 'origin', 'HEAD']);
      return head();
    },
    async pushBranch(name) {
      await git(workDir, ['push', '--quiet', '--force', 'origin', `HEAD:refs/heads/${name}`]);
      return head();
    },
    async switchBranch(name) {
      const exists = await git(workDir, ['branch', '--list', name]);
      await git(workDir, exists ? ['switch', '--quiet', name] : ['switch', '--quiet', '-c', name]);
    },
    async tag(name, opts = {}) {
      const args = opts.message === undefined ? ['tag', name] : ['tag', '-a', name, '-m', opts.message];
      await git(workDir, args);
      await git(workDir, ['push', '--quiet', 'origin', `refs/tags/${name}`]);
      return head();
    },
    async cleanup() {
      await rm(workDir, { recursive: true, force: true });
    },
  };
}

/** Every file below `dir`, keyed by its path relative to `dir` (forward slashes): the files of {@link createRepo}. */
export async function readTree(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const walk = async (d: string): Promise<void> => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else out[relative(dir, p).split('\\').join('/')] = await readFile(p, 'utf8');
    }
  };
  await walk(dir);
  return out;
}

/** Makes `dir` a repository with one commit of everything in it and an `origin` remote. */
export async function commitAll(dir: string, origin: string): Promise<void> {
  await git(dir, ['init', '--quiet', '--initial-branch=main']);
  await git(dir, ['add', '--all']);
  await git(dir, ['commit', '--quiet', '-m', 'parity input']);
  await git(dir, ['remote', 'add', 'origin', origin]);
}
