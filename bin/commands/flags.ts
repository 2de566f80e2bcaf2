/**
 * The flag sets several commands share, declared without importing what the commands do, so that
 * bin/main.ts can describe every command (for `--help` and parsing) while loading none of the engine.
 */
import type { Command } from 'commander';

/** Appends a repeated flag's value to the values so far (commander's collector for repeatable flags). */
export const collect = (v: string, prev: string[]): string[] => [...prev, v];

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

/** Adds `-o/--output-format`, `--short-output` and `--no-obfuscate`. */
export function resultFormatOptions(cmd: Command): Command {
  return cmd
    .option(
      '-o, --output-format <format[=path]>',
      'text, json or yaml, optionally into a file (repeatable)',
      collect,
      [],
    )
    .option('--short-output', 'text output without the per-object diffs')
    .option('--no-obfuscate', 'show Secret values in diffs');
}

/** Adds {@link resultFormatOptions} and the result-store flags. */
export function outputOptions(cmd: Command): Command {
  return resultFormatOptions(cmd)
    .option('--write-command-result', 'store the result in the local state folder (as `run` uses)')
    .option('--state-dir <dir>', 'the local state folder', '.kluctl-serverless/state');
}

/** Adds Kluctl's `--local-git-override`, `--local-git-group-override` and the two OCI variants. */
export function sourceOverrideOptions(cmd: Command): Command {
  return cmd
    .option(
      '--local-git-override <repoKey=dir>',
      "read a Git repository from a local directory instead of cloning it: 'host/path=/local/dir' (repeatable)",
      collect,
      [],
    )
    .option(
      '--local-git-group-override <prefix=dir>',
      "read every Git repository below 'host/prefix' from '<dir>/<rest of its path>' when that exists (repeatable)",
      collect,
      [],
    )
    .option(
      '--local-oci-override <repoKey=dir>',
      'like --local-git-override, for OCI repositories',
      collect,
      [],
    )
    .option(
      '--local-oci-group-override <prefix=dir>',
      'like --local-git-group-override, for OCI repositories',
      collect,
      [],
    );
}

/** Adds the flags that choose a project, target, args, cluster and item selection. */
export function projectOptions(cmd: Command): Command {
  return sourceOverrideOptions(gitCredentialOptions(helmCredentialOptions(cmd)))
    .option('--project-dir <dir>', 'the Kluctl project directory', '.')
    .option('-t, --target <name>', 'the target to use')
    .option('-T, --target-name-override <name>', 'override the name of the target')
    .option(
      '-a, --arg <name=value>',
      'an argument for the project (repeatable; value parsed as YAML)',
      collect,
      [],
    )
    .option('--context <name>', 'override the kubeconfig context')
    .option('--kubeconfig <path>', 'the kubeconfig to use (default: $KUBECONFIG or ~/.kube/config)')
    .option('--render-output-dir <dir>', 'write the rendered project here instead of a temp dir')
    .option('--args-from-file <file>', 'a YAML file of args merged over -a (repeatable)', collect, [])
    .option(
      '-F, --fixed-image <image=result>',
      "pin an image: 'image[:namespace[:deployment[:container]]]=result' (repeatable)",
      collect,
      [],
    )
    .option('--fixed-images-file <file>', 'a YAML file of fixed images (the output of list-images)')
    .option('-I, --include-tag <tag>', 'only items with this tag (repeatable)', collect, [])
    .option(
      '-E, --exclude-tag <tag>',
      'skip items with this tag; wins over includes (repeatable)',
      collect,
      [],
    )
    .option(
      '--include-deployment-dir <dir>',
      'only this item dir, relative to the root project (repeatable)',
      collect,
      [],
    )
    .option(
      '--exclude-deployment-dir <dir>',
      'skip this item dir, relative to the root project; wins over includes (repeatable)',
      collect,
      [],
    );
}

/**
 * A commander action that imports its command module only when the command runs: `--help`,
 * `--version` and parse errors then load nothing but commander (issue 14: start-up time).
 */
export function lazyAction<M, K extends keyof M>(
  load: () => Promise<M>,
  name: K,
): (...args: unknown[]) => Promise<void> {
  return async (...args) => {
    const fn = (await load())[name] as (...a: unknown[]) => unknown;
    await fn(...args);
  };
}
