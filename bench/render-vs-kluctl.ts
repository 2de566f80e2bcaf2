/**
 * Render benchmark against the reference: the seed example (kluctl-examples
 * microservices-demo/3-templating-and-multi-env, target `test`, 30 objects incl. the Bitnami redis
 * chart, offline) rendered with `render --print-all` by the real Kluctl v2.28.2 and by our CLI, both as
 * the command a user runs, in the same run. Each run is measured by a small Python wrapper (wall time,
 * CPU time of the process and its children such as kustomize and helm, peak RSS of the largest
 * process). Prints one JSON line for the first run of each (Kluctl with an empty cache dir, which
 * unpacks its embedded Python Jinja2) and one for the median of the warm runs, with the ratios ours to
 * Kluctl's. Skipped with a note when the reference Kluctl is not built (scripts/ensure-reference-kluctl.sh).
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runProcess } from '../lib/util/run-process.js';
import { commitAll } from '../devenv/git-repo.js';
import { extractExamples, referenceKluctl } from '../devenv/reference-kluctl.js';

const SEED = 'microservices-demo/3-templating-and-multi-env';
const TARGET = 'test';
const WARM_RUNS = 3;
const CLI = fileURLToPath(new URL('../bin/kluctl-serverless.js', import.meta.url));

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
interface Usage {
  readonly code: number;
  readonly wallMs: number;
  readonly cpuMs: number;
  readonly peakRssMB: number;
  readonly objects: number;
}

async function measure(argv: readonly string[], env: Record<string, string>, cwd: string): Promise<Usage> {
  const res = await runProcess('python3', ['-c', MEASURE, ...argv], { env, cwd });
  if (res.code !== 0) throw new Error(`measuring ${argv[0]} failed: ${res.stderr}`);
  const u = JSON.parse(res.stdout) as Usage;
  if (u.code !== 0) throw new Error(`${argv.join(' ')} exited with ${u.code}`);
  return u;
}

const median = (xs: readonly Usage[]): Usage => [...xs].sort((a, b) => a.wallMs - b.wallMs)[xs.length >> 1]!;

function line(kase: string, kluctl: Usage, ours: Usage): string {
  const round = (u: Usage) => ({
    wallMs: Math.round(u.wallMs),
    cpuMs: Math.round(u.cpuMs),
    peakRssMB: Math.round(u.peakRssMB),
  });
  return `${JSON.stringify({
    bench: 'render',
    case: kase,
    project: `kluctl-examples/${SEED}`,
    target: TARGET,
    mode: 'offline, --print-all, CLI process',
    objects: { kluctl: kluctl.objects, ours: ours.objects },
    kluctl: round(kluctl),
    ours: round(ours),
    wallRatio: +(ours.wallMs / kluctl.wallMs).toFixed(2),
    cpuRatio: +(ours.cpuMs / kluctl.cpuMs).toFixed(2),
    peakRssRatio: +(ours.peakRssMB / kluctl.peakRssMB).toFixed(2),
  })}\n`;
}

/** Runs the comparison and prints its JSON lines. */
export async function main(): Promise<void> {
  let kluctlBin: string;
  try {
    kluctlBin = referenceKluctl();
  } catch (err) {
    process.stdout.write(
      `${JSON.stringify({ bench: 'render', case: 'seed vs kluctl', skipped: String(err) })}\n`,
    );
    return;
  }
  const root = await mkdtemp(join(tmpdir(), 'bench-seed-'));
  try {
    // A clone as users have it: the project is a sub-folder of a Git repository with a remote.
    const examples = await extractExamples(root);
    await commitAll(examples, 'https://github.com/kluctl/kluctl-examples.git');
    const project = join(examples, SEED);
    if (!existsSync(project)) throw new Error(`${SEED} missing from the examples tarball`);
    const args = ['render', '--project-dir', project, '-t', TARGET, '--offline-kubernetes', '--print-all'];
    const env = process.env as Record<string, string>;
    const cache = join(root, 'kluctl-cache');
    const runKluctl = () =>
      measure([kluctlBin, ...args, '--no-update-check'], { ...env, KLUCTL_CACHE_DIR: cache }, project);
    const runOurs = () => measure([process.execPath, CLI, ...args], env, project);
    const cold = { kluctl: await runKluctl(), ours: await runOurs() };
    const warm: { kluctl: Usage[]; ours: Usage[] } = { kluctl: [], ours: [] };
    for (let i = 0; i < WARM_RUNS; i++) {
      warm.kluctl.push(await runKluctl());
      warm.ours.push(await runOurs());
    }
    process.stdout.write(line('seed vs kluctl: first run', cold.kluctl, cold.ours));
    process.stdout.write(
      line(`seed vs kluctl: warm (median of ${WARM_RUNS})`, median(warm.kluctl), median(warm.ours)),
    );
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}
