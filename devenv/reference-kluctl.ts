/**
 * The oracle of the parity suite: the real Kluctl v2.28.2 (built by scripts/ensure-reference-kluctl.sh)
 * and Kluctl's official examples, both found outside this repository. Tests run the binary with
 * {@link runKluctl}, which always disables the update check and gives every run its own cache folder.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { ownedTempDir } from './temp-dirs.js';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const exec = promisify(execFile);
const ROOT = fileURLToPath(new URL('..', import.meta.url));
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

/** Extracts Kluctl's examples into `<parent>/kluctl-examples` and returns that folder. */
export async function extractExamples(parent: string): Promise<string> {
  await exec('tar', ['-xJf', kluctlExamplesTarball(), '-C', parent]);
  return join(parent, 'kluctl-examples');
}

/** Output of one reference Kluctl run. */
export interface KluctlRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Options of {@link runKluctl}. */
export interface RunKluctlOptions {
  readonly cwd?: string;
  readonly env?: Record<string, string>;
  /** Default 300 000 ms. */
  readonly timeoutMs?: number;
  /**
   * KLUCTL_CACHE_DIR of the run. Default: a fresh temp folder, removed afterwards. A suite running
   * many renders shares one, so Kluctl unpacks its embedded Python Jinja2 only once.
   */
  readonly cacheDir?: string;
}

/**
 * Runs the reference kluctl with `--no-update-check` and its own KLUCTL_CACHE_DIR; never throws on
 * exit codes.
 */
export async function runKluctl(args: readonly string[], opts: RunKluctlOptions = {}): Promise<KluctlRun> {
  const cacheDir = opts.cacheDir ?? (await ownedTempDir('ks-kluctl-cache-'));
  try {
    return await execKluctl(args, opts, cacheDir);
  } finally {
    if (!opts.cacheDir) await rm(cacheDir, { recursive: true, force: true });
  }
}

function execKluctl(args: readonly string[], opts: RunKluctlOptions, cacheDir: string): Promise<KluctlRun> {
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
