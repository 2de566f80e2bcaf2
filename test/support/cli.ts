/** Runs the `kluctl-serverless` CLI as a user would, for tests. */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The CLI entry point. */
export const CLI_BIN = fileURLToPath(new URL('../../bin/kluctl-serverless.js', import.meta.url));

/** Exit code and output of one CLI run. */
export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the CLI with `args` (stdin closed), with `env` added to this process's environment. */
export function cli(args: readonly string[], env: Record<string, string> = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI_BIN, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Options of {@link projectFlags}. */
export interface ProjectFlagOptions {
  /** `-t <target>`; none when absent. */
  readonly target?: string;
  /** `-a namespace=<namespace>`, the argument the fixture projects deploy into; none when absent. */
  readonly namespace?: string;
}

/** The flags that point a command at a project: `--project-dir`, then `-t` and `-a namespace=` if given. */
export function projectFlags(projectDir: string, opts: ProjectFlagOptions = {}): string[] {
  return [
    '--project-dir',
    projectDir,
    ...(opts.target === undefined ? [] : ['-t', opts.target]),
    ...(opts.namespace === undefined ? [] : ['-a', `namespace=${opts.namespace}`]),
  ];
}

/** What the CLI (like Kluctl) prints when the project is not inside a Git repository. */
export const NO_GIT_ROOT_WARNING =
  'warning: Failed to detect git project root. This might cause follow-up errors\n';
