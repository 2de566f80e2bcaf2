/**
 * The oracle of the parity suite: the real Kluctl v2.28.2 (built by scripts/ensure-reference-kluctl.sh)
 * and Kluctl's official examples, both found outside this repository. Tests run the binary with
 * {@link runKluctl}, which always disables the update check and gives every run its own cache folder.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SHARED_CANDIDATES = [process.env.KS_REFERENCE_SHARED, join(ROOT, '..', 'shared'), '/work/shared'];

/** Path of the reference kluctl binary; throws naming the command that builds it. */
export function referenceKluctl(): string {
  const bin =
    process.env.KS_REFERENCE_KLUCTL ?? join(homedir(), '.cache/kluctl-serverless/kluctl-2.28.2/bin/kluctl');
  if (!existsSync(bin)) {
    throw new Error(`the reference Kluctl is not built (${bin}); run scripts/ensure-reference-kluctl.sh`);
  }
  return bin;
}

/** The tarball of Kluctl's official examples (kluctl-examples at commit 8dcccb8). */
export function kluctlExamplesTarball(): string {
  for (const dir of SHARED_CANDIDATES) {
    if (!dir) continue;
    const p = join(dir, 'reference-projects', 'kluctl-examples-8dcccb8.tar.xz');
    if (existsSync(p)) return p;
  }
  throw new Error(
    'kluctl-examples-8dcccb8.tar.xz not found; set KS_REFERENCE_SHARED to the folder holding reference-projects/',
  );
}

/** Output of one reference Kluctl run. */
export interface KluctlRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the reference kluctl with `--no-update-check` and a fresh KLUCTL_CACHE_DIR; never throws on exit codes. */
export async function runKluctl(
  args: readonly string[],
  opts: { cwd?: string; env?: Record<string, string>; timeoutMs?: number } = {},
): Promise<KluctlRun> {
  const cacheDir = await mkdtemp(join(tmpdir(), 'ks-kluctl-cache-'));
  return new Promise((resolve) => {
    execFile(
      referenceKluctl(),
      [...args, '--no-update-check'],
      {
        cwd: opts.cwd,
        env: { ...process.env, KLUCTL_CACHE_DIR: cacheDir, ...opts.env },
        maxBuffer: 256 * 1024 * 1024,
        timeout: opts.timeoutMs ?? 300_000,
      },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}
