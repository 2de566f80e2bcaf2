/**
 * What the result-producing CLI commands share: Kluctl's output flags (`-o format[=path]`,
 * `--short-output`, `--no-obfuscate`), confirmation prompts, the git info of the project folder, the
 * command environment, and `--write-command-result` into the local state folder.
 */
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { relative, resolve } from 'node:path';
import { createInterface } from 'node:readline/promises';
import { promisify } from 'node:util';
import type { GitInfo, ProjectKey } from '../../lib/api/types.js';
import type { CommandResult } from '../../lib/deploy/command-result.js';
import { obfuscateSecrets } from '../../lib/deploy/command-result.js';
import type { CommandEnv } from '../../lib/deploy/commands/command-base.js';
import {
  DEFAULT_TERMINAL_WIDTH,
  formatCommandResult,
  parseOutputFlags,
} from '../../lib/deploy/result-output.js';
import type { OutputTarget } from '../../lib/deploy/result-output.js';
import { KsError } from '../../lib/errors.js';
import type { KubeClient } from '../../lib/ports.js';
import { cleanSubDir, repoKeyFromGitUrl } from '../../lib/reconcile/status.js';
import { storeCommandResult } from '../../lib/reconcile/results.js';
import { stateStore } from '../compose.js';
import { externalArgs, inclusionFromFlags } from './common.js';
import type { ProjectFlags } from './common.js';

/** Flags of commands that print a command result. */
export interface OutputFlags {
  outputFormat: string[];
  shortOutput?: boolean;
  /** commander's negation of `--no-obfuscate`. */
  obfuscate?: boolean;
  writeCommandResult?: boolean;
  stateDir?: string;
}

/** The width Kluctl fits tables to: `$COLUMNS`, else the terminal on stdout, else 80. */
export function terminalWidth(): number {
  const cols = Number.parseInt(process.env.COLUMNS ?? '', 10);
  if (Number.isFinite(cols)) return cols;
  return process.stdout.isTTY && process.stdout.columns ? process.stdout.columns : DEFAULT_TERMINAL_WIDTH;
}

/** Progress lines on stderr. */
export const stderrProgress = { step: (m: string): void => void process.stderr.write(`${m}\n`) };

/** Writes a result in every requested format; Secrets obfuscated unless `--no-obfuscate`. */
export async function outputCommandResult(
  r: CommandResult,
  flags: OutputFlags,
  targets?: OutputTarget[],
): Promise<void> {
  const safe = flags.obfuscate === false ? r : obfuscateSecrets(r);
  for (const t of targets ?? parseOutputFlags(flags.outputFormat)) {
    const text = formatCommandResult(safe, t.format, flags.shortOutput ?? false, terminalWidth());
    if (t.path) await writeFile(t.path, text);
    else process.stdout.write(text);
  }
}

/** Stores the result (always obfuscated) under the project and target, keeping the newest five. */
export async function writeCommandResult(r: CommandResult, flags: OutputFlags): Promise<void> {
  if (!flags.writeCommandResult) return;
  const { store, where } = await stateStore(flags.stateDir ? { stateDir: flags.stateDir } : {});
  // CLI results live beside the KluctlDeployments' under the pseudo namespace `_cli` (no Kubernetes
  // namespace can contain '_'), one folder per project and target.
  const project = (r.projectKey.repoKey ?? '').split('/').pop() || 'project';
  const name = `${project}-${r.target.name || 'no-name'}`.replace(/[^A-Za-z0-9._-]/g, '-');
  const key = await storeCommandResult(
    store,
    { clusterId: r.clusterInfo.clusterId || 'unknown-cluster', namespace: '_cli', name },
    r,
  );
  stderrProgress.step(`Command result written to ${where}/${key}`);
}

/** Asks a yes/no question on stderr; refuses without a terminal (pass --yes). */
export async function askForConfirmation(question: string): Promise<boolean> {
  if (!process.stdin.isTTY) {
    const message = `${question} Refusing without a terminal; pass --yes (or --dry-run)`;
    process.stderr.write(`${message}\n`);
    throw new KsError('InvalidInput', message);
  }
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  const answer = await rl.question(`${question} (y/N) `);
  rl.close();
  return /^y(es)?$/i.test(answer.trim());
}

/** Lists the objects about to be deleted and asks unless `--yes`/`--dry-run` (Kluctl's prompt). */
export async function confirmDeletion(
  refs: readonly { kind: string; name: string; namespace?: string }[],
  opts: { yes?: boolean; dryRun?: boolean },
): Promise<void> {
  if (refs.length === 0) return;
  process.stderr.write('The following objects will be deleted:\n');
  for (const r of refs)
    process.stderr.write(`  ${r.namespace ? `${r.namespace}/` : ''}${r.kind}/${r.name}\n`);
  if (opts.yes || opts.dryRun) return;
  if (!(await askForConfirmation(`Do you really want to delete ${refs.length} objects?`)))
    throw new KsError('Aborted', 'aborted');
}

const execFileAsync = promisify(execFile);

async function git(dir: string, args: string[]): Promise<string | undefined> {
  try {
    return (await execFileAsync('git', ['-C', dir, ...args])).stdout.trim();
  } catch {
    return undefined;
  }
}

/**
 * The repo key of an `origin` URL; undefined for remotes that are no network URL (a local path or
 * `file://`), which no controller could clone anyway. Such a project simply has no repo key.
 */
function repoKeyOrUndefined(url: string): string | undefined {
  try {
    return repoKeyFromGitUrl(url);
  } catch {
    return undefined;
  }
}

/** Project key and git info of the project folder (empty outside a git repository), as Kluctl builds them. */
export async function gitInfoOf(projectDir: string): Promise<{ projectKey: ProjectKey; gitInfo?: GitInfo }> {
  const dir = resolve(projectDir);
  const root = await git(dir, ['rev-parse', '--show-toplevel']);
  if (!root) return { projectKey: {} };
  const subDir = cleanSubDir(relative(root, dir).replace(/\\/g, '/'));
  const [url, commit, branch, status] = await Promise.all([
    git(dir, ['remote', 'get-url', 'origin']),
    git(dir, ['rev-parse', 'HEAD']),
    git(dir, ['symbolic-ref', '--short', 'HEAD']),
    git(dir, ['status', '--porcelain']),
  ]);
  const repoKey = url ? repoKeyOrUndefined(url) : undefined;
  return {
    // Kluctl omits an empty subDir from the key (the git info keeps it).
    projectKey: { ...(repoKey ? { repoKey } : {}), ...(subDir ? { subDir } : {}) },
    gitInfo: {
      url: url ?? null,
      ref: branch ? { branch } : null,
      subDir,
      commit: commit ?? '',
      dirty: !commit || (status ?? '') !== '',
    },
  };
}

/** The environment of a command run from the CLI. */
export async function cliCommandEnv(
  kube: KubeClient,
  flags: ProjectFlags,
  info: CommandEnv['info'] = {},
): Promise<CommandEnv> {
  const { projectKey, gitInfo } = await gitInfoOf(flags.projectDir);
  const args = externalArgs(flags);
  return {
    kube,
    progress: stderrProgress,
    projectKey,
    ...(gitInfo ? { gitInfo } : {}),
    inclusion: inclusionFromFlags(flags),
    // As Kluctl's command info: the external args and overrides; the target name is in `target`.
    info: {
      ...info,
      ...(Object.keys(args).length > 0 ? { args } : {}),
      ...(flags.targetNameOverride ? { targetNameOverride: flags.targetNameOverride } : {}),
      ...(flags.context ? { contextOverride: flags.context } : {}),
    },
  };
}

/** Fails the process (`command failed`) when the result has errors. */
export function exitOnErrors(r: CommandResult): void {
  if (r.errors.length > 0) throw new KsError('KubeApi', 'command failed');
}
