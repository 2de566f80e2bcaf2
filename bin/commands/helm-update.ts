/** `kluctl-serverless helm-update [--upgrade] [--commit]`. */
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { KsError } from '../../lib/errors.js';
import type { HelmCredentialFlags } from '../../lib/credentials/helm-credentials.js';
import { helmUpdate } from '../../lib/project/helm/helm-update.js';
import { cliPullDeps, stderrProgress } from './helm-pull.js';

const exec = promisify(execFile);

/** Runs the system `git` in `cwd` (the CLI's composition root may use it; lib/ never does). */
async function git(cwd: string, args: readonly string[]): Promise<string> {
  const { stdout } = await exec('git', [...args], { cwd });
  return stdout;
}

/** Kluctl refuses `--commit` on a dirty worktree or with uncommitted `.helm-charts` changes. */
async function requireCleanWorktree(projectDir: string): Promise<void> {
  const status = await git(projectDir, ['status', '--porcelain', '--untracked-files=all', '.']);
  for (const line of status.split('\n').filter((l) => l)) {
    const path = line.slice(3);
    if (path.includes('.helm-charts/'))
      throw new KsError('InvalidInput', '--commit can only be used when .helm-chart directory is clean');
    if (!line.startsWith('??'))
      throw new KsError('InvalidInput', '--commit can only be used when the git worktree is unmodified');
  }
}

/** Reports newer chart versions; `--upgrade` writes and pulls them, `--commit` commits each chart. */
export async function helmUpdateCommand(
  flags: HelmCredentialFlags & { projectDir: string; upgrade?: boolean; commit?: boolean },
): Promise<void> {
  const projectDir = resolve(flags.projectDir);
  if (flags.commit) await requireCleanWorktree(projectDir);
  await helmUpdate({
    ...cliPullDeps(flags),
    projectDir,
    progress: stderrProgress,
    upgrade: flags.upgrade ?? false,
    ...(flags.commit
      ? {
          commit: async (paths: readonly string[], message: string) => {
            await git(projectDir, ['add', '-A', '--', ...paths]);
            await git(projectDir, ['commit', '-q', '-m', message, '--', ...paths]);
          },
        }
      : {}),
  });
}
