/**
 * Publishes a project as an OCI artifact with the real Kluctl (`kluctl oci push`), exactly as users do:
 * the files are committed to a fresh Git repository with a remote (Kluctl records the Git info in the
 * artifact), then pushed to `url` with `--registry-creds` when the registry wants them.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { runKluctl } from '../../devenv/reference-kluctl.js';

const exec = promisify(execFile);

/** What {@link kluctlOciPush} pushed. */
export interface PushedArtifact {
  /** The Git repository the artifact was pushed from (its root). */
  readonly dir: string;
  /** The commit Kluctl recorded in the artifact. */
  readonly commit: string;
  /** The manifest digest Kluctl reports. */
  readonly digest: string;
}

/** Options of {@link kluctlOciPush}. */
export interface KluctlOciPushOptions {
  /** `oci://host/repo[:tag]`. */
  readonly url: string;
  /** Files of the repository, by path relative to its root. */
  readonly files: Readonly<Record<string, string>>;
  /** `--project-dir` relative to the repository root; default the root. */
  readonly projectDir?: string;
  /** `host` plus credentials, passed as `--registry-creds host=user:pass`. */
  readonly creds?: { readonly host: string; readonly username: string; readonly password: string };
}

/**
 * Writes `files` to a new Git repository (one commit on `main`, a remote as Kluctl's render and push
 * want) and returns its folder and commit.
 */
export async function writeGitProject(
  files: Readonly<Record<string, string>>,
): Promise<{ dir: string; commit: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'ks-oci-project-'));
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), text);
  }
  const git = (...args: string[]) => exec('git', ['-C', dir, ...args]);
  await git('init', '-q', '-b', 'main');
  await git('add', '.');
  await git('-c', 'user.name=test', '-c', 'user.email=test@example.com', 'commit', '-qm', 'project');
  await git('remote', 'add', 'origin', 'https://git.example.com/org/project.git');
  const commit = (await git('rev-parse', 'HEAD')).stdout.trim();
  return { dir, commit };
}

/** Writes `files` to a new Git repository and pushes it with `kluctl oci push`. */
export async function kluctlOciPush(opts: KluctlOciPushOptions): Promise<PushedArtifact> {
  const { dir, commit } = await writeGitProject(opts.files);
  const args = [
    'oci',
    'push',
    '--url',
    opts.url,
    '--project-dir',
    join(dir, opts.projectDir ?? ''),
    '--output',
    'json',
  ];
  if (opts.creds)
    args.push('--registry-creds', `${opts.creds.host}=${opts.creds.username}:${opts.creds.password}`);
  const r = await runKluctl(args, { cwd: dir });
  if (r.code !== 0) throw new Error(`kluctl oci push ${opts.url} failed: ${r.stderr}`);
  const out = JSON.parse(r.stdout) as { digest: string };
  return { dir, commit, digest: out.digest };
}
