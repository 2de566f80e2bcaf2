/**
 * Scale benchmark (`npm run bench -- scale [--n=100,300,1000] [--interval=1m] [--concurrency=4]
 * [--profile=DIR] [--ours-only|--kluctl-only] [--cold-only] [--quiet-steady-state]`): N
 * KluctlDeployments of one small project (bench/scale-project.ts) reconciled by our local runner
 * (`bin/kluctl-serverless.js run`, the built CLI, as a child process) and then by Kluctl's controller
 * (`kluctl controller run` of the reference binary), on one cluster with kwok, in the same run. Each
 * side has its own KluctlDeployment namespace and target namespaces, so the second side starts as cold
 * as the first (its cluster just holds the first side's objects too).
 *
 * Figures per N and side: time from applying the deployments until all are Ready=True (one list per
 * second), then one interval with nothing changed: the reconciler's API requests (from the API
 * server's audit log, by User-Agent: `kluctl-serverless` ours, `kluctl/` and Go's default Kluctl's
 * controller), CPU seconds and peak RSS of the reconciler process. `--profile=DIR` runs our runner under `node --cpu-prof` at the
 * largest N (summarise with `npx tsx bench/cpu-profile-summary.ts DIR/*.cpuprofile`).
 * `--quiet-steady-state` starts our runner with that flag (no end event and no repeated validate result
 * on a reconcile that changes nothing; Kluctl's side is unchanged).
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { kubectl } from '../devenv/control-plane.js';
import { startCluster } from '../devenv/cluster.js';
import { startGitServer } from '../devenv/git-server.js';
import { createRepo } from '../devenv/git-repo.js';
import { freePort, sleep, startProcess, stopAll, tailFile } from '../devenv/processes.js';
import type { ManagedProcess } from '../devenv/processes.js';
import { referenceKluctl } from '../devenv/reference-kluctl.js';
import { since } from './cluster.js';
import { scaleDeployments, scaleProjectFiles } from './scale-project.js';
import type { ScaleSide } from './scale-project.js';
import { auditRequestCounts, auditUserAgents, cpuSeconds, peakRssMB, total } from './scale-probes.js';

/** Flux's published figure: 1,000 Kustomizations reconciled in 4 min 16 s on 16 cores. */
const FLUX = { kustomizations: 1000, ms: 256_000, cores: 16 } as const;

/**
 * The User-Agents the audit log shows for our runner (lib/adapters/kube-http-transport.ts) and for
 * Kluctl's controller: `kluctl/v0.0.0` for its own objects, Go's default for the clients of its
 * projects' targets (no other client of the benchmark's cluster sends Go's default).
 */
const OUR_USER_AGENTS = ['kluctl-serverless '];
const KLUCTL_USER_AGENTS = ['kluctl/', 'Go-http-client/'];
/** Finished reconciles in each side's /metrics. */
const OUR_RECONCILES = /^kluctl_serverless_reconciles_total\{[^}]*\} (\S+)$/gm;
const KLUCTL_RECONCILES =
  /^controller_runtime_reconcile_total\{controller="kluctl-controller"[^}]*\} (\S+)$/gm;

/** Sum of the samples `re` matches in the /metrics served on `port` (0 while it does not answer). */
async function reconcilesTotal(port: number, re: RegExp): Promise<number> {
  try {
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    return [...text.matchAll(re)].reduce((a, m) => a + Number(m[1]), 0);
  } catch (err) {
    process.stderr.write(`scale: reading http://127.0.0.1:${port}/metrics failed: ${String(err)}\n`);
    return 0;
  }
}

/** A side's figures for one N. */
interface SideFigures {
  readonly coldMs: number;
  readonly steadyApiCalls: number;
  readonly steadyApiByVerb: Record<string, number>;
  readonly steadyCpuS: number;
  readonly coldCpuS: number;
  /** Reconciles the process finished in the steady-state interval (from its /metrics). */
  readonly steadyReconciles: number;
  readonly peakRssMB: number;
}

/** What a reconciler needs to start. */
interface Env {
  readonly kc: string;
  readonly work: string;
  readonly logsDir: string;
  /** The API server's audit log. */
  readonly auditLogPath: string;
  readonly intervalMs: number;
  /** Reconciles at a time, for both sides (`--concurrency`, default 4: both tools' default). */
  readonly concurrency: number;
  readonly profileDir?: string;
  /** Our runner with `--quiet-steady-state`. */
  readonly quietSteadyState: boolean;
}

function flag(name: string): string | undefined {
  const a = process.argv.find((x) => x.startsWith(`--${name}=`));
  return a?.slice(name.length + 3);
}

function parseInterval(s: string): number {
  const m = /^(\d+)(s|m)$/.exec(s);
  if (!m) throw new Error(`--interval=${s}: expected e.g. 30s or 1m`);
  return Number(m[1]) * (m[2] === 'm' ? 60_000 : 1000);
}

/** Runs the benchmark. */
export async function main(): Promise<void> {
  const ns = (flag('n') ?? '100,300').split(',').map(Number);
  if (ns.some((n) => !Number.isInteger(n) || n < 1)) throw new Error('--n: expected e.g. --n=100,300,1000');
  const interval = flag('interval') ?? '1m';
  const profileDir = flag('profile');
  const work = await mkdtemp(join(tmpdir(), 'ks-bench-scale-'));
  const logsDir = join(work, 'logs');
  const auditLogPath = join(work, 'audit.log');
  const cluster = await startCluster({
    workDir: join(work, 'cluster'),
    logsDir,
    controllers: true,
    auditLogPath,
  });
  const git = await startGitServer();
  try {
    const kc = cluster.controlPlane.kubeconfigPath;
    await mustKubectl(kc, ['apply', '--server-side', '-f', 'crds/']);
    await mustKubectl(kc, ['wait', '--for=condition=Established', 'crd/kluctldeployments.gitops.kluctl.io']);
    await mustKubectl(kc, ['create', 'namespace', 'kluctl-system']);
    const repo = await createRepo(git, 'scale', scaleProjectFiles());
    const largest = Math.max(...ns);
    for (const n of ns) {
      const env: Env = {
        kc,
        work,
        logsDir,
        auditLogPath,
        intervalMs: parseInterval(interval),
        concurrency: Number(flag('concurrency') ?? 4),
        quietSteadyState: process.argv.includes('--quiet-steady-state'),
        ...(profileDir && n === largest ? { profileDir: resolve(profileDir) } : {}),
      };
      // `--kluctl-only`: only Kluctl's side (a long baseline run, e.g. at N=1000 with --cold-timeout-s).
      if (process.argv.includes('--kluctl-only')) {
        await kluctlOnly(env, n, repo.url, interval);
        continue;
      }
      const ours = await runSide(env, { namespace: `ours-${n}`, prefix: `o${n}` }, n, repo.url, interval);
      // `--ours-only`: no baseline (e.g. a profiling run next to a full one).
      const theirs = process.argv.includes('--ours-only')
        ? undefined
        : await runSide(env, { namespace: `kluctl-${n}`, prefix: `k${n}` }, n, repo.url, interval);
      report(n, interval, env, ours, theirs);
    }
  } finally {
    await git.stop();
    await cluster.stop();
    await stopAll();
    await rm(work, { recursive: true, force: true });
  }
}

/** Kluctl's side alone: its figures, or how far it got when `--cold-timeout-s` ended the wait. */
async function kluctlOnly(env: Env, n: number, url: string, interval: string): Promise<void> {
  const side = { namespace: `kluctl-${n}`, prefix: `k${n}` };
  const line = (o: Record<string, unknown>): void =>
    void process.stdout.write(
      `${JSON.stringify({ bench: 'scale', n, concurrency: env.concurrency, side: 'kluctl', ...o })}\n`,
    );
  try {
    const f = await runSide(env, side, n, url, interval);
    line({ case: 'cold until all Ready', ms: f.coldMs, cpuS: f.coldCpuS, peakRssMB: f.peakRssMB });
  } catch (err) {
    line({ case: 'cold until all Ready', notReached: (err as Error).message.split('\n')[0] });
  }
}

/** Applies N deployments for `side`, runs its reconciler until all are Ready and for one more interval. */
async function runSide(
  env: Env,
  side: ScaleSide,
  n: number,
  url: string,
  interval: string,
): Promise<SideFigures> {
  const isOurs = side.namespace.startsWith('ours');
  await mustKubectl(env.kc, ['create', 'namespace', side.namespace]);
  const port = await freePort();
  const proc = isOurs
    ? await startOurRunner(env, side.namespace, port)
    : startKluctlController(env, side.namespace, port);
  const reconciles = (): Promise<number> =>
    reconcilesTotal(port, isOurs ? OUR_RECONCILES : KLUCTL_RECONCILES);
  try {
    const t0 = performance.now();
    await mustKubectl(
      env.kc,
      ['apply', '--server-side', '-f', '-'],
      scaleDeployments(side, n, url, interval),
    );
    await waitAllReady(env.kc, side.namespace, n, proc);
    const coldMs = since(t0);
    process.stderr.write(`scale: ${side.namespace}: all ${n} have been Ready after ${coldMs} ms\n`);
    const coldCpuS = cpuSeconds(proc.pid);
    if (process.argv.includes('--cold-only')) {
      return {
        coldMs,
        coldCpuS,
        steadyReconciles: 0,
        steadyCpuS: 0,
        steadyApiCalls: 0,
        steadyApiByVerb: {},
        peakRssMB: peakRssMB(proc.pid),
      };
    }
    const from = Date.now();
    const r0 = await reconciles();
    await sleep(env.intervalMs);
    const r1 = await reconciles();
    const to = Date.now();
    process.stderr.write(
      `scale: ${side.namespace}: reconciles finished ${r0} before, ${r1} after the interval\n`,
    );
    const steadyReconciles = r1 - r0;
    const steadyCpuS = cpuSeconds(proc.pid) - coldCpuS;
    // Every client of the window, so that a reconciler's client with another User-Agent would show.
    process.stderr.write(
      `scale: ${side.namespace}: requests by User-Agent in the interval: ${JSON.stringify(await auditUserAgents(env.auditLogPath, from, to))}\n`,
    );
    const byVerb = await auditRequestCounts(
      env.auditLogPath,
      isOurs ? OUR_USER_AGENTS : KLUCTL_USER_AGENTS,
      from,
      to,
    );
    return {
      coldMs,
      coldCpuS,
      steadyReconciles,
      steadyCpuS,
      steadyApiCalls: total(byVerb),
      steadyApiByVerb: byVerb,
      peakRssMB: peakRssMB(proc.pid),
    };
  } finally {
    await stopGracefully(proc);
  }
}

/**
 * SIGTERM, then up to 60 s for the reconciles in flight to finish (the runner exits by itself then, and
 * `node --cpu-prof` writes its profile only on such an exit), then what proc.stop() does.
 */
async function stopGracefully(proc: ManagedProcess): Promise<void> {
  try {
    process.kill(proc.pid, 'SIGTERM');
  } catch {
    // Already gone.
  }
  await Promise.race([proc.exited, sleep(60_000)]);
  await proc.stop();
}

/** Our local runner from the build, as a user starts it (`--concurrency` as Kluctl's controller gets). */
async function startOurRunner(env: Env, namespace: string, port: number): Promise<ManagedProcess> {
  const stateDir = join(env.work, `state-${namespace}`);
  await mkdir(stateDir, { recursive: true });
  const prof = env.profileDir ? ['--cpu-prof', `--cpu-prof-dir=${env.profileDir}`] : [];
  return startProcess({
    name: `runner-${namespace}`,
    command: process.execPath,
    args: [
      ...prof,
      'bin/kluctl-serverless.js',
      'run',
      '--kubeconfig',
      env.kc,
      '--context',
      'default',
      '-n',
      namespace,
      '--state-dir',
      stateDir,
      '--concurrency',
      String(env.concurrency),
      '--listen',
      `127.0.0.1:${port}`,
      ...(env.quietSteadyState ? ['--quiet-steady-state'] : []),
    ],
    logsDir: env.logsDir,
  });
}

/** Kluctl's controller watching `namespace` (flags as test/parity/kluctl-controller.ts, deploying). */
function startKluctlController(env: Env, namespace: string, port: number): ManagedProcess {
  return startProcess({
    name: `kluctl-controller-${namespace}`,
    command: referenceKluctl(),
    args: [
      'controller',
      'run',
      '--kubeconfig',
      env.kc,
      '--context',
      'default',
      '--controller-namespace',
      'kluctl-system',
      '--namespace',
      namespace,
      `--metrics-bind-address=127.0.0.1:${port}`,
      '--health-probe-bind-address=0',
      '--source-override-bind-address=0',
      '--no-update-check',
      `--concurrency=${env.concurrency}`,
    ],
    env: { ...process.env, KLUCTL_CACHE_DIR: join(env.work, `kluctl-cache-${namespace}`) },
    logsDir: env.logsDir,
  });
}

interface KdList {
  items: { metadata: { name: string }; status?: { conditions?: { type: string; status: string }[] } }[];
}

/**
 * Lists the deployments once a second until each of the `n` has been seen Ready=True (a deployment
 * whose next interval already started may be Unknown again: Ready from cold is its first Ready);
 * throws when the reconciler exits.
 */
async function waitAllReady(kc: string, namespace: string, n: number, proc: ManagedProcess): Promise<void> {
  const seen = new Set<string>();
  const t0 = performance.now();
  const timeoutMs = Number(flag('cold-timeout-s') ?? 1800) * 1000;
  let last = -1;
  for (;;) {
    const r = await kubectl(kc, ['get', 'kluctldeployments', '-n', namespace, '-o', 'json']);
    if (r.code === 0) {
      for (const d of (JSON.parse(r.stdout) as KdList).items) {
        if (d.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'))
          seen.add(d.metadata.name);
      }
      if (seen.size >= n) return;
      if (seen.size !== last)
        process.stderr.write(`scale: ${namespace}: ${seen.size}/${n} have been ready\n`);
      last = seen.size;
    }
    if (since(t0) > timeoutMs)
      throw new Error(
        `${namespace}: only ${seen.size}/${n} have been Ready after ${since(t0)} ms (--cold-timeout-s)`,
      );
    if (proc.hasExited()) throw new Error(`${proc.name} exited:\n${tailFile(proc.logFile, 40)}`);
    await sleep(1000);
  }
}

/** Prints one JSON line per figure, Kluctl's controller as the baseline. */
function report(
  n: number,
  interval: string,
  env: Env,
  ours: SideFigures,
  theirs: SideFigures | undefined,
): void {
  const line = (o: Record<string, unknown>): void =>
    void process.stdout.write(
      `${JSON.stringify({ bench: 'scale', n, concurrency: env.concurrency, ...(env.quietSteadyState ? { quietSteadyState: true } : {}), ...o })}\n`,
    );
  line({
    case: 'cold until all Ready',
    ms: ours.coldMs,
    baselineMs: theirs?.coldMs,
    speedup: theirs && +(theirs.coldMs / ours.coldMs).toFixed(2),
    cpuS: ours.coldCpuS,
    baselineCpuS: theirs?.coldCpuS,
    flux: `${FLUX.kustomizations} Kustomizations in ${FLUX.ms / 1000} s on ${FLUX.cores} cores (published)`,
    fluxMsPerDeployment: FLUX.ms / FLUX.kustomizations,
  });
  if (process.argv.includes('--cold-only')) {
    line({ case: 'peak RSS', peakRssMB: ours.peakRssMB, baselinePeakRssMB: theirs?.peakRssMB });
    return;
  }
  line({
    case: `one interval (${interval}) with nothing changed: API requests`,
    apiCalls: ours.steadyApiCalls,
    perDeployment: +(ours.steadyApiCalls / n).toFixed(2),
    baselineApiCalls: theirs?.steadyApiCalls,
    baselinePerDeployment: theirs && +(theirs.steadyApiCalls / n).toFixed(2),
    apiByVerb: ours.steadyApiByVerb,
    baselineApiByVerb: theirs?.steadyApiByVerb,
  });
  line({
    case: `one interval (${interval}) with nothing changed: CPU`,
    cpuS: +ours.steadyCpuS.toFixed(2),
    baselineCpuS: theirs && +theirs.steadyCpuS.toFixed(2),
    reconciles: ours.steadyReconciles,
    baselineReconciles: theirs?.steadyReconciles,
  });
  line({ case: 'peak RSS', peakRssMB: ours.peakRssMB, baselinePeakRssMB: theirs?.peakRssMB });
}

async function mustKubectl(kc: string, args: string[], input?: string): Promise<void> {
  const r = await kubectl(kc, args, input === undefined ? {} : { input });
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed: ${r.stderr.trim()}`);
}
