/** `kluctl-serverless helm-pull`, plus the Helm pull dependencies shared with helm-update and render. */
import { resolve } from 'node:path';
import { IsomorphicGitSource } from '../../lib/adapters/isomorphic-git-source.js';
import { buildGitCredentials, gitAuthResolver } from '../../lib/credentials/git-credentials.js';
import type { GitCredentialFlags } from '../../lib/credentials/git-credentials.js';
import { buildHelmCredentials } from '../../lib/credentials/helm-credentials.js';
import type { HelmCredentialFlags, HelmCredentials } from '../../lib/credentials/helm-credentials.js';
import { helmPull } from '../../lib/project/helm/helm-pull.js';
import type { ChartPullDeps } from '../../lib/project/helm/chart-pull.js';
import { runtimeToolPath } from '../../lib/runtime-tools.js';

/** Credentials from the flags, then `KLUCTL_HELM_*` / `KLUCTL_REGISTRY_*` of the environment. */
export function helmCredentialsFromFlags(flags: HelmCredentialFlags): HelmCredentials {
  return buildHelmCredentials(flags, process.env);
}

/**
 * Pull dependencies for the CLI: the pinned helm, credentials, Git over isomorphic-git with the
 * `--git-*` flags and `KLUCTL_GIT_*` credentials (Git charts).
 */
export function cliPullDeps(flags: HelmCredentialFlags & GitCredentialFlags): ChartPullDeps {
  return {
    helmPath: runtimeToolPath('helm', { overrides: { helm: process.env.KLUCTL_SERVERLESS_HELM } }),
    credentials: helmCredentialsFromFlags(flags),
    git: new IsomorphicGitSource(),
    gitAuth: gitAuthResolver(buildGitCredentials(flags, process.env)),
  };
}

/** Progress lines go to stderr, as Kluctl's status output does. */
export const stderrProgress = { step: (m: string): void => void process.stderr.write(`${m}\n`) };

/** Pre-pulls every chart of the project into `.helm-charts` and removes unused versions. */
export async function helmPullCommand(
  flags: HelmCredentialFlags & GitCredentialFlags & { projectDir: string },
): Promise<void> {
  await helmPull({
    ...cliPullDeps(flags),
    projectDir: resolve(flags.projectDir),
    progress: stderrProgress,
    force: true,
  });
}
