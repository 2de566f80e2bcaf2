/**
 * Start-up benchmark (`npm run bench -- startup`, issue 14), on the build of `npm run build` (the
 * `prebench` script): `--version` of our CLI against `kluctl version` (and a bare `node -e 0` as the
 * floor), `render` of the seed example (kluctl-examples microservices-demo/3-templating-and-multi-env,
 * target test, offline, --print-all) against the real Kluctl v2.28.2, each the median of repeated runs
 * in the same run with wall time, CPU time and peak RSS; then each Lambda function's init (importing
 * its bundle in a fresh Node process, until the module that exports `handler` has run; once more with
 * --enable-source-maps, as the CDK app sets) and its bundle sizes. One JSON line per figure.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DIST_DIR, FUNCTION_NAMES } from '../build/bundles.js';
import type { BundleSize } from '../build/sizes.js';
import { referenceKluctl } from '../devenv/reference-kluctl.js';
import { runProcess } from '../lib/util/run-process.js';
import { measure, median, rounded } from './process-usage.js';
import type { Usage } from './process-usage.js';
import { SEED, seedExampleProject } from './render-vs-kluctl.js';

const CLI = fileURLToPath(new URL('../bin/kluctl-serverless.js', import.meta.url));
const VERSION_RUNS = 11;
const RENDER_RUNS = 5;
const INIT_RUNS = 9;

const out = (o: Record<string, unknown>): void => void process.stdout.write(`${JSON.stringify(o)}\n`);

async function runs(n: number, once: () => Promise<Usage>): Promise<Usage> {
  const all: Usage[] = [];
  for (let i = 0; i < n; i++) all.push(await once());
  return median(all);
}

/** `--version` / `kluctl version`, and `node -e 0`, the floor of any Node CLI. */
async function versionCase(env: Record<string, string>, kluctl: string | undefined): Promise<void> {
  const floor = await runs(VERSION_RUNS, () => measure([process.execPath, '-e', '0'], env));
  const ours = await runs(VERSION_RUNS, () => measure([process.execPath, CLI, '--version'], env));
  const ref = kluctl
    ? await runs(VERSION_RUNS, () => measure([kluctl, 'version', '--no-update-check'], env))
    : undefined;
  out({
    bench: 'startup',
    case: `--version (median of ${VERSION_RUNS})`,
    ours: rounded(ours),
    nodeFloor: rounded(floor),
    ...(ref ? { kluctl: rounded(ref), wallRatio: +(ours.wallMs / ref.wallMs).toFixed(2) } : {}),
    goalWallMs: 150,
  });
}

/** `render` of the seed example, ours and Kluctl's, alternating, after one warm-up run each. */
async function renderCase(env: Record<string, string>, kluctl: string): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'bench-startup-'));
  try {
    const project = await seedExampleProject(root);
    const args = ['render', '--project-dir', project, '-t', 'test', '--offline-kubernetes', '--print-all'];
    const kenv = { ...env, KLUCTL_CACHE_DIR: join(root, 'kluctl-cache') };
    const runKluctl = () => measure([kluctl, ...args, '--no-update-check'], kenv, project);
    const runOurs = () => measure([process.execPath, CLI, ...args], env, project);
    await runKluctl(); // unpacks Kluctl's embedded Python once
    await runOurs();
    const k: Usage[] = [];
    const o: Usage[] = [];
    for (let i = 0; i < RENDER_RUNS; i++) {
      k.push(await runKluctl());
      o.push(await runOurs());
    }
    const [km, om] = [median(k), median(o)];
    out({
      bench: 'startup',
      case: `render seed example (median of ${RENDER_RUNS})`,
      project: `kluctl-examples/${SEED}`,
      objects: { kluctl: km.objects, ours: om.objects },
      kluctl: rounded(km),
      ours: rounded(om),
      speedup: +(km.wallMs / om.wallMs).toFixed(2),
      cpuRatio: +(om.cpuMs / km.cpuMs).toFixed(2),
      peakRssRatio: +(om.peakRssMB / km.peakRssMB).toFixed(2),
      goals: { speedup: 3, peakRssRatio: 1 },
    });
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

/**
 * Milliseconds (wall and CPU of the process) from before `import()` of the bundle until its module and
 * `handler` exist; then the wall time to import every lazily loaded chunk.
 */
const INIT_SCRIPT = `
const t = performance.now();
const c = process.cpuUsage();
const m = await import(process.argv[1]);
const init = performance.now() - t;
const cu = process.cpuUsage(c);
const initCpu = (cu.user + cu.system) / 1000;
if (typeof m.handler !== 'function') throw new Error('no handler');
let lazy = 0;
if (process.argv[2]) {
  const t2 = performance.now();
  for (const chunk of JSON.parse(process.argv[2])) await import(chunk);
  lazy = performance.now() - t2;
}
process.stdout.write(JSON.stringify({ init, initCpu, lazy }));
`;

/** One fresh process's figures. */
interface InitSample {
  init: number;
  initCpu: number;
  lazy: number;
}

async function initTimes(bundle: string, chunks: string[], flags: string[]): Promise<InitSample> {
  const samples: InitSample[] = [];
  for (let i = 0; i < INIT_RUNS; i++) {
    const res = await runProcess(process.execPath, [
      ...flags,
      '--input-type=module',
      '-e',
      INIT_SCRIPT,
      bundle,
      JSON.stringify(chunks),
    ]);
    if (res.code !== 0) throw new Error(`loading ${bundle} failed: ${res.stderr}`);
    samples.push(JSON.parse(res.stdout) as InitSample);
  }
  const med = (k: keyof InitSample) =>
    Math.round([...samples].map((s) => s[k]).sort((a, b) => a - b)[samples.length >> 1]!);
  return { init: med('init'), initCpu: med('initCpu'), lazy: med('lazy') };
}

/** Each function: init time, the time to load every lazily imported chunk after it, and sizes. */
async function functionCases(sizes: readonly BundleSize[]): Promise<void> {
  const kib = (name: string) => Math.round((sizes.find((s) => s.name === name)?.bytes ?? NaN) / 1024);
  for (const name of FUNCTION_NAMES) {
    const dir = join(DIST_DIR, 'functions', name);
    const chunkDir = join(dir, 'chunks');
    const chunks = existsSync(chunkDir)
      ? readdirSync(chunkDir)
          .filter((f) => f.endsWith('.mjs'))
          .map((f) => join(chunkDir, f))
      : [];
    const plain = await initTimes(join(dir, 'index.mjs'), chunks, []);
    const maps = await initTimes(join(dir, 'index.mjs'), [], ['--enable-source-maps']);
    out({
      bench: 'startup',
      case: `function ${name} init (median of ${INIT_RUNS} fresh processes)`,
      initMs: plain.init,
      initCpuMs: plain.initCpu,
      initWithSourceMapsMs: maps.init,
      // What the first reconcile adds: every lazily loaded chunk (Kubernetes client, Git, SSH, tar).
      lazyChunksMs: plain.lazy,
      initKiB: kib(`function ${name} init`),
      totalKiB: kib(`function ${name} total`),
      goalInitMs: 100,
    });
  }
}

/** Runs the benchmark. */
export async function main(): Promise<void> {
  const sizesFile = join(DIST_DIR, 'sizes.json');
  if (!existsSync(sizesFile)) throw new Error(`no build in ${DIST_DIR}: run 'npm run build' first`);
  const sizes = JSON.parse(readFileSync(sizesFile, 'utf8')) as BundleSize[];
  const env = process.env as Record<string, string>;
  let kluctl: string | undefined;
  try {
    kluctl = referenceKluctl();
  } catch (err) {
    out({ bench: 'startup', case: 'kluctl reference', skipped: String(err) });
  }
  await versionCase(env, kluctl);
  if (kluctl) await renderCase(env, kluctl);
  await functionCases(sizes);
  out({
    bench: 'startup',
    case: 'cli bundle',
    startUpKiB: Math.round((sizes.find((s) => s.name === 'cli start-up')?.bytes ?? NaN) / 1024),
    totalKiB: Math.round((sizes.find((s) => s.name === 'cli total')?.bytes ?? NaN) / 1024),
  });
}
