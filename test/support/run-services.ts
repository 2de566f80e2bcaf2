/**
 * The services of one jest run, started once for all test files and workers by the global setup and
 * stopped by the global teardown: an API server (etcd + kube-apiserver, then kube-controller-manager,
 * kube-scheduler and kwok unless KS_TEST_CONTROLLERS=0) and LocalStack's S3, started in parallel.
 * Existing services can be used instead: KS_TEST_KUBECONFIG (a cluster) and
 * KS_TEST_S3_ENDPOINT (+ KS_TEST_S3_REGION, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY). Their addresses
 * go into a JSON file whose path is put into KS_TEST_ENV_FILE, which the workers inherit;
 * test/support/test-env.ts reads it. When a test failed (test/support/log-reporter.ts leaves a
 * marker), the teardown prints where the server logs are and the end of each, and keeps the run's
 * folder. The services themselves come from the development environment, devenv/.
 */
import type { Config } from '@jest/types';
import { existsSync, readdirSync } from 'node:fs';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { buildCli } from '../../build/bundles.js';
import { startCluster } from '../../devenv/cluster.js';
import { kubectl } from '../../devenv/control-plane.js';
import { LOCALSTACK_CREDENTIALS, startLocalStack } from '../../devenv/localstack.js';
import { stopAll, tailFile } from '../../devenv/processes.js';
import { ownedTempDir, sweepOrphanedTempDirs } from '../../devenv/temp-dirs.js';
import { failedMarker, setTestRun, takeTestRun, type TestRun } from './run-state.js';
import { RUN_LABEL, TEST_ENV_FILE_VAR, type TestEnv } from './test-env.js';

type Service<T> = { value: T; stop(): Promise<void>; startupMs?: number; note?: string };

/** Starts the services (unless only unit tests were selected) and publishes them to the workers. */
export async function startRunServices(globalConfig: Config.GlobalConfig): Promise<void> {
  if (onlyUnitTests(globalConfig)) return;
  const swept = await sweepOrphanedTempDirs();
  if (swept.length > 0)
    process.stderr.write(`\n[test-env] removed ${swept.length} temp folders of runs that were killed\n`);
  const runDir = await ownedTempDir('ks-test-');
  const logsDir = join(runDir, 'logs');
  await mkdir(logsDir);
  // Tests spawn the CLI as users run it: the bundle of `npm run build`, rebuilt from the sources here.
  const [kube, s3, cli] = await Promise.allSettled([
    startKube(runDir, logsDir),
    startS3(runDir, logsDir),
    buildCli(),
  ]);
  if (kube.status === 'rejected' || s3.status === 'rejected' || cli.status === 'rejected') {
    await Promise.all([kube, s3].map((r) => (r.status === 'fulfilled' ? r.value.stop() : undefined)));
    await stopAll();
    const failed = [kube, s3, cli].find((r) => r.status === 'rejected') as PromiseRejectedResult;
    const reason: unknown = failed.reason;
    process.stderr.write(`\n[test-env] could not start the test services; logs kept in ${logsDir}\n`);
    throw reason instanceof Error ? reason : new Error(String(reason));
  }
  const env: TestEnv = {
    kubeconfigPath: kube.value.value.kubeconfigPath,
    controllers: kube.value.value.controllers,
    s3: s3.value.value,
    logsDir,
    runDir,
    runId: basename(runDir)
      .replace(/^ks-test-/, '')
      .toLowerCase(),
  };
  const envFile = join(runDir, 'env.json');
  await writeFile(envFile, JSON.stringify(env, null, 2), { mode: 0o600 });
  process.env[TEST_ENV_FILE_VAR] = envFile;
  const run: TestRun = {
    env,
    externalKube: kube.value.startupMs === undefined,
    stop: async () => {
      await Promise.all([kube.value.stop(), s3.value.stop()]);
      await stopAll();
    },
  };
  setTestRun(run);
  process.stderr.write(
    `\n[test-env] ${describe('API server', kube.value)}, ${describe('S3', s3.value)}; logs in ${logsDir}\n`,
  );
}

function describe(what: string, svc: Service<unknown>): string {
  return svc.startupMs === undefined
    ? `${what}: existing`
    : `${what} ready in ${(svc.startupMs / 1000).toFixed(1)} s${svc.note ?? ''}`;
}

type Kube = { kubeconfigPath: string; controllers: boolean };

/**
 * The API server, then its controllers. An existing cluster is assumed to run controllers (a kind or
 * real cluster does); KS_TEST_CONTROLLERS=0 says it does not, or skips starting them here.
 */
async function startKube(runDir: string, logsDir: string): Promise<Service<Kube>> {
  const controllers = process.env['KS_TEST_CONTROLLERS'] !== '0';
  const existing = process.env['KS_TEST_KUBECONFIG'];
  if (existing) return { value: { kubeconfigPath: existing, controllers }, stop: async () => {} };
  const cluster = await startCluster({ workDir: join(runDir, 'kube'), logsDir, controllers });
  const value = { kubeconfigPath: cluster.controlPlane.kubeconfigPath, controllers };
  const note =
    cluster.controllersStartupMs === undefined
      ? ' (no controllers)'
      : ` (controllers and fake Node +${(cluster.controllersStartupMs / 1000).toFixed(1)} s)`;
  return { value, stop: cluster.stop, startupMs: cluster.startupMs, note };
}

async function startS3(runDir: string, logsDir: string): Promise<Service<TestEnv['s3']>> {
  const existing = process.env['KS_TEST_S3_ENDPOINT'];
  if (existing) {
    const value = {
      endpoint: existing,
      region: process.env['KS_TEST_S3_REGION'] || 'us-east-1',
      accessKeyId: process.env['AWS_ACCESS_KEY_ID'] || 'test',
      secretAccessKey: process.env['AWS_SECRET_ACCESS_KEY'] || 'test',
    };
    return { value, stop: async () => {} };
  }
  const ls = await startLocalStack({ workDir: join(runDir, 'localstack'), logsDir });
  return {
    value: { endpoint: ls.endpoint, ...LOCALSTACK_CREDENTIALS },
    stop: ls.stop,
    startupMs: ls.startupMs,
  };
}

/**
 * Whether this run selects only the `unit` project, which needs no services. jest gives the hook no
 * list of the selected projects (only the first scheduled test's config), so the selection is read
 * from the command line: `--selectProjects unit`, or test path patterns that all point into test/unit.
 */
function onlyUnitTests(globalConfig: Config.GlobalConfig): boolean {
  const selected = selectedProjects(process.argv);
  if (selected.length > 0) return selected.every((p) => p === 'unit');
  const patterns = globalConfig.testPathPatterns.patterns;
  return patterns.length > 0 && patterns.every((p) => /(^|[\\/])test[\\/]unit([\\/]|$)/.test(p));
}

/** The names after `--selectProjects` (space- or `=`-separated) in a jest command line. */
function selectedProjects(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg.startsWith('--selectProjects=')) out.push(...arg.slice('--selectProjects='.length).split(','));
    else if (arg === '--selectProjects') {
      while (i + 1 < argv.length && !argv[i + 1]!.startsWith('-')) out.push(argv[++i]!);
    }
  }
  return out.filter((p) => p.length > 0);
}

/** Lines of each server log printed after a failed run. */
const TAIL_LINES = 40;

/** Stops the services; prints and keeps the logs when a test failed, else removes the run folder. */
export async function stopRunServices(): Promise<void> {
  const run = takeTestRun();
  if (!run) return;
  const failed = existsSync(failedMarker(run.env.runDir));
  if (run.externalKube) await deleteTestNamespaces(run);
  await run.stop();
  await stopAll();
  if (failed) {
    process.stderr.write(formatLogs(run.env.logsDir));
    // Only the logs are worth keeping (etcd and LocalStack data are tens of MB): they stay, unowned.
    await keepOnly(run.env.runDir, basename(run.env.logsDir));
  } else {
    await rm(run.env.runDir, { recursive: true, force: true });
  }
}

/** Namespaces this run created on an existing cluster; a leftover is harmless, so errors are ignored. */
async function deleteTestNamespaces(run: TestRun): Promise<void> {
  await kubectl(run.env.kubeconfigPath, [
    'delete',
    'namespace',
    '-l',
    `${RUN_LABEL}=${run.env.runId}`,
    '--wait=false',
  ]).catch(() => undefined);
}

function formatLogs(logsDir: string): string {
  const files = existsSync(logsDir)
    ? readdirSync(logsDir)
        .filter((f) => f.endsWith('.log'))
        .sort()
    : [];
  let out = `\n[test-env] tests failed; server logs are kept in ${logsDir}\n`;
  for (const f of files) {
    const file = join(logsDir, f);
    out += `\n----- last ${TAIL_LINES} lines of ${file} -----\n${tailFile(file, TAIL_LINES)}\n`;
  }
  return out;
}

/** Removes everything in `dir` but `keep` (and the owner marker, so later runs leave the rest alone). */
async function keepOnly(dir: string, keep: string): Promise<void> {
  for (const name of await readdir(dir)) {
    if (name !== keep) await rm(join(dir, name), { recursive: true, force: true });
  }
}
