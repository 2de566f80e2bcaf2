/** Runs an external program (kustomize, helm, sops, git) and collects its output. */
import { spawn } from 'node:child_process';

/** Exit code and output of a finished process. */
export interface ProcessResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Options of {@link runProcess}. */
export interface RunProcessOptions {
  /**
   * The complete environment of the child. Default: this process's environment; pass `{}` (or a
   * minimal set) for tools that must not see the caller's secrets.
   */
  readonly env?: Record<string, string>;
  readonly cwd?: string;
  /** Written to stdin, which is then closed; without it stdin is closed at once. */
  readonly input?: string;
  readonly signal?: AbortSignal;
}

/** Runs `binary` with `args`; resolves on exit (any code), rejects only when it cannot be started. */
export function runProcess(
  binary: string,
  args: readonly string[],
  opts: RunProcessOptions = {},
): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, [...args], {
      ...(opts.env ? { env: opts.env } : {}),
      ...(opts.cwd ? { cwd: opts.cwd } : {}),
      stdio: ['pipe', 'pipe', 'pipe'],
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.on('close', (code) =>
      resolve({
        code,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      }),
    );
    // The child may exit before reading all of its input; 'close' reports the outcome.
    child.stdin.on('error', () => {});
    child.stdin.end(opts.input ?? '');
  });
}
