/** `kluctl-serverless helm-pull`, plus the Helm credential flags shared with helm-update and render. */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { IsomorphicGitSource } from '../../lib/adapters/isomorphic-git-source.js';
import { buildGitCredentials, gitAuthResolver } from '../../lib/credentials/git-credentials.js';
import type { GitCredentialFlags } from '../../lib/credentials/git-credentials.js';
import { buildHelmCredentials } from '../../lib/credentials/helm-credentials.js';
import type { HelmCredentialFlags, HelmCredentials } from '../../lib/credentials/helm-credentials.js';
import { helmPull } from '../../lib/project/helm/helm-pull.js';
import type { ChartPullDeps } from '../../lib/project/helm/chart-pull.js';
import { runtimeToolPath } from '../../lib/runtime-tools.js';

const collect = (v: string, prev: string[]): string[] => [...prev, v];

/** Adds Kluctl's `--helm-*` and `--registry-*` credential flags (each `<host>[/<path>]=<value>`). */
export function helmCredentialOptions(cmd: Command): Command {
  const flags: [string, string][] = [
    ['--helm-username <host/path=user>', 'username for a Helm repository'],
    ['--helm-password <host/path=password>', 'password for a Helm repository'],
    ['--helm-creds <host/path=user:password>', 'username and password for a Helm repository'],
    ['--helm-ca-file <host/path=file>', 'CA bundle for a Helm repository'],
    ['--helm-cert-file <host/path=file>', 'client certificate for a Helm repository'],
    ['--helm-key-file <host/path=file>', 'client key for a Helm repository'],
    ['--helm-insecure-skip-tls-verify <host/path>', 'skip TLS verification for a Helm repository'],
    ['--registry-username <host/repo=user>', 'username for an OCI registry'],
    ['--registry-password <host/repo=password>', 'password for an OCI registry'],
    ['--registry-creds <host/repo=user:password>', 'username and password for an OCI registry'],
    ['--registry-ca-file <host/repo=file>', 'CA bundle for an OCI registry'],
    ['--registry-cert-file <host/repo=file>', 'client certificate for an OCI registry'],
    ['--registry-key-file <host/repo=file>', 'client key for an OCI registry'],
    ['--registry-plain-http <host/repo>', 'talk plain HTTP to an OCI registry'],
    ['--registry-insecure-skip-tls-verify <host/repo>', 'skip TLS verification for an OCI registry'],
  ];
  for (const [f, d] of flags) cmd.option(f, `${d} (repeatable)`, collect, []);
  return cmd;
}

/** Adds Kluctl's `--git-username` / `--git-password` flags (Git charts and includes). */
export function gitCredentialOptions(cmd: Command): Command {
  return cmd
    .option(
      '--git-username <host/path=user>',
      'username for Git basic auth; path is a glob (repeatable)',
      collect,
      [],
    )
    .option('--git-password <host/path=password>', 'password for Git basic auth (repeatable)', collect, [])
    .option(
      '--git-ssh-key-file <host/path=file>',
      'SSH private key for Git over SSH (repeatable)',
      collect,
      [],
    )
    .option(
      '--git-ssh-known-hosts-file <host/path=file>',
      'known_hosts file for Git over SSH (repeatable; default SSH_KNOWN_HOSTS or ~/.ssh/known_hosts)',
      collect,
      [],
    )
    .option('--git-ca-file <host/path=file>', 'CA bundle for Git over https (repeatable)', collect, []);
}

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
