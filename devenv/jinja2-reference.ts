/**
 * Runs Python Jinja2 (the pinned venv of scripts/ensure-tools.sh) over a batch of templates: the
 * reference of the templating conformance suite and of the templating benchmarks.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultCacheDir, readToolVersions } from '../lib/runtime-tools.js';

/** One template for Jinja2. */
export interface ReferenceCase {
  readonly id: string;
  readonly template: string;
  readonly vars: Record<string, unknown>;
}

/** Jinja2's result for one case. */
export interface ReferenceResult {
  readonly id: string;
  readonly out?: string;
  readonly error?: string;
  readonly message?: string;
  /** With `fillUndefined`: the top-level names the runner defined as `"stub-<name>"`. */
  readonly filled?: Record<string, string>;
}

/** What the Python side measured (bench mode). */
export interface ReferenceTimings {
  readonly cold_s: number;
  readonly warm_s: number;
  readonly jinja2: string;
}

/** The Python interpreter of the Jinja2 venv; throws with the command to run when it is missing. */
export function jinja2Python(): string {
  const version = readToolVersions().JINJA2_VERSION;
  const py = join(defaultCacheDir(), `jinja2-${version}`, 'bin', 'python');
  if (!existsSync(py))
    throw new Error(`Jinja2 ${version} is not installed; run scripts/ensure-tools.sh jinja2`);
  return py;
}

/**
 * Renders all cases in one Python process. `stubs` registers the runner's stand-ins for Kluctl's
 * project-bound functions (`load_template`, `images.get_image`, ...; see make_stubs in the runner);
 * `fillUndefined` defines missing top-level names as `"stub-<name>"` and reports them in `filled`.
 */
export function renderWithJinja2(
  cases: readonly ReferenceCase[],
  bench?: { rounds: number },
  opts: { stubs?: boolean; fillUndefined?: boolean } = {},
): { results: ReferenceResult[]; timings?: ReferenceTimings } {
  const script = fileURLToPath(new URL('./jinja2_runner.py', import.meta.url));
  const input = JSON.stringify({
    cases,
    ...(bench ? { bench: true, rounds: bench.rounds } : {}),
    ...(opts.stubs ? { stubs: true } : {}),
    ...(opts.fillUndefined ? { fill_undefined: true } : {}),
  });
  const r = spawnSync(jinja2Python(), [script], { input, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`jinja2 runner failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as { results: ReferenceResult[]; timings?: ReferenceTimings };
}
