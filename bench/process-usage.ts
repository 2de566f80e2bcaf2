/**
 * Resource usage of one command as a user runs it, measured by a small Python wrapper: wall time, CPU
 * time of the process and its children (kustomize, helm, Kluctl's Python), and the peak RSS of the
 * largest of them. Shared by the benchmarks that compare our CLI with the real Kluctl.
 */
import { runProcess } from '../lib/util/run-process.js';

/** Runs argv[1:] and prints its resource usage as JSON (RUSAGE_CHILDREN covers grandchildren waited for). */
const MEASURE = `
import json, resource, subprocess, sys, time
t = time.monotonic()
p = subprocess.run(sys.argv[1:], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
wall = time.monotonic() - t
r = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"code": p.returncode, "wallMs": wall * 1000, "cpuMs": (r.ru_utime + r.ru_stime) * 1000,
  "peakRssMB": r.ru_maxrss / 1024, "objects": p.stdout.count(b"\\nkind: ") + p.stdout.startswith(b"kind: ")}))
`;

/** One measured run. */
export interface Usage {
  readonly code: number;
  readonly wallMs: number;
  readonly cpuMs: number;
  readonly peakRssMB: number;
  /** YAML documents with a `kind:` the command printed. */
  readonly objects: number;
}

/** Runs `argv` once (in a fresh Python wrapper, so usage is this command's alone); throws on failure. */
export async function measure(
  argv: readonly string[],
  env: Record<string, string>,
  cwd?: string,
): Promise<Usage> {
  const res = await runProcess('python3', ['-c', MEASURE, ...argv], { env, ...(cwd ? { cwd } : {}) });
  if (res.code !== 0) throw new Error(`measuring ${argv[0]} failed: ${res.stderr}`);
  const u = JSON.parse(res.stdout) as Usage;
  if (u.code !== 0) throw new Error(`${argv.join(' ')} exited with ${u.code}`);
  return u;
}

/** The run with the median wall time. */
export const median = (xs: readonly Usage[]): Usage =>
  [...xs].sort((a, b) => a.wallMs - b.wallMs)[xs.length >> 1]!;

/** Wall, CPU and peak RSS rounded for a JSON line. */
export const rounded = (u: Usage): { wallMs: number; cpuMs: number; peakRssMB: number } => ({
  wallMs: Math.round(u.wallMs),
  cpuMs: Math.round(u.cpuMs),
  peakRssMB: Math.round(u.peakRssMB),
});
