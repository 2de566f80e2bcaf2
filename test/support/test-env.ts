/**
 * What test files import to reach the services that test/support/global-setup.ts started (or the existing
 * ones named by KS_TEST_KUBECONFIG / KS_TEST_S3_ENDPOINT): their addresses, a fresh namespace per test,
 * kubectl with JSON output, and `eventually()` for conditions that become true asynchronously.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { parse, stringify } from 'yaml';
import { issueUserCert } from '../../devenv/certs.js';
import { fileURLToPath } from 'node:url';
import { kubectl, type KubectlResult } from '../../devenv/control-plane.js';
import { sleep } from '../../devenv/processes.js';

/** The services of this test run, as written by the global setup. */
export interface TestEnv {
  /** Admin kubeconfig; its current context is `default`. */
  readonly kubeconfigPath: string;
  /**
   * Whether controllers run (kube-controller-manager, kube-scheduler, kwok with one fake Node:
   * devenv/controllers.ts), so workloads become ready and namespaces really go away. False when
   * KS_TEST_CONTROLLERS=0.
   */
  readonly controllers: boolean;
  readonly s3: {
    readonly endpoint: string;
    readonly region: string;
    readonly accessKeyId: string;
    readonly secretAccessKey: string;
  };
  /** Server logs of this run (empty for services that were not started here). */
  readonly logsDir: string;
  /** Private temp folder of this run; tests may create subfolders. */
  readonly runDir: string;
  /** Unique id of this run; namespaces created by {@link createTestNamespace} carry it as a label. */
  readonly runId: string;
}

/** Environment variable through which the global setup hands the env file to the test workers. */
export const TEST_ENV_FILE_VAR = 'KS_TEST_ENV_FILE';
/** Label on every namespace made by {@link createTestNamespace}; value: the run id. */
export const RUN_LABEL = 'kluctl-serverless.test/run';

let cached: TestEnv | undefined;

/** The services of this test run. Throws when the global setup did not run (e.g. a unit-only run). */
export function testEnv(): TestEnv {
  if (cached) return cached;
  const file = process.env[TEST_ENV_FILE_VAR];
  if (!file) {
    throw new Error(
      `${TEST_ENV_FILE_VAR} is not set: the test services were not started. Run integration tests through jest ` +
        `(npm test), whose globalSetup starts them, not with --selectProjects unit.`,
    );
  }
  cached = JSON.parse(readFileSync(file, 'utf8')) as TestEnv;
  return cached;
}

/** Runs kubectl against the test cluster; never throws for a non-zero exit. */
export function kubectlTest(args: readonly string[], opts: { input?: string } = {}): Promise<KubectlResult> {
  return kubectl(testEnv().kubeconfigPath, args, opts);
}

/** Runs kubectl with `-o json` and returns the parsed output; throws with kubectl's stderr on failure. */
export async function kubectlJson<T = unknown>(
  args: readonly string[],
  opts: { input?: string } = {},
): Promise<T> {
  const res = await kubectlTest([...args, '-o', 'json'], opts);
  if (res.code !== 0)
    throw new Error(`kubectl ${args.join(' ')} failed (exit ${res.code}): ${res.stderr.trim()}`);
  return JSON.parse(res.stdout) as T;
}

/**
 * Creates a namespace named `<prefix>-<random>` (a valid DNS label) and returns its name. It is
 * labelled with the run id, so a teardown against an existing cluster can find and delete it.
 */
export async function createTestNamespace(prefix: string): Promise<string> {
  const clean =
    prefix
      .toLowerCase()
      .replace(/[^a-z0-9-]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 50) || 'test';
  const name = `${clean}-${randomBytes(4).toString('hex')}`;
  const manifest = {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name, labels: { [RUN_LABEL]: testEnv().runId } },
  };
  const res = await kubectlTest(['create', '-f', '-'], { input: JSON.stringify(manifest) });
  if (res.code !== 0) throw new Error(`could not create namespace ${name}: ${res.stderr.trim()}`);
  return name;
}

/** The repository's CRD manifests (the KluctlDeployment CRD). */
const CRDS_DIR = fileURLToPath(new URL('../../crds/', import.meta.url));

/**
 * Installs the CRDs of crds/ into the test cluster (server-side apply, so repeated and concurrent
 * calls from several test files are harmless) and waits until they are Established.
 */
export async function installCrds(): Promise<void> {
  const applied = await kubectlTest([
    'apply',
    '--server-side',
    '--field-manager=kluctl-serverless-test',
    '-f',
    CRDS_DIR,
  ]);
  if (applied.code !== 0)
    throw new Error(`could not install the CRDs of ${CRDS_DIR}: ${applied.stderr.trim()}`);
  // A CRD created a moment ago by a parallel test file may have no conditions yet, which kubectl wait
  // reports as an error instead of waiting: retry.
  await eventually(
    async () => {
      const ready = await kubectlTest([
        'wait',
        '--for=condition=Established',
        '--timeout=30s',
        '-f',
        CRDS_DIR,
      ]);
      if (ready.code !== 0)
        throw new Error(`the CRDs of ${CRDS_DIR} did not become Established: ${ready.stderr.trim()}`);
    },
    { timeoutMs: 30_000, intervalMs: 500 },
  );
}

/** Options of {@link eventually}. */
export interface EventuallyOptions {
  /** Default 20 000 ms. */
  readonly timeoutMs?: number;
  /** Pause between attempts; default 200 ms. */
  readonly intervalMs?: number;
}

/**
 * Calls `fn` until it resolves without throwing and returns its value. After the timeout it throws
 * the last error, so a failing assertion inside `fn` explains what never became true.
 */
export async function eventually<T>(fn: () => Promise<T>, opts: EventuallyOptions = {}): Promise<T> {
  const timeoutMs = opts.timeoutMs ?? 20_000;
  const intervalMs = opts.intervalMs ?? 200;
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (Date.now() + intervalMs > deadline) throw gaveUp(err, attempt, timeoutMs);
    }
    await sleep(intervalMs);
  }
}

/** The last error of {@link eventually}, its message prefixed so jest still shows an assertion's diff. */
function gaveUp(err: unknown, attempts: number, timeoutMs: number): Error {
  const prefix = `eventually() gave up after ${attempts} attempts in ${timeoutMs} ms`;
  if (err instanceof Error) {
    try {
      err.message = `${prefix}: ${err.message}`;
      return err;
    } catch {
      // A read-only message: fall through to wrapping.
    }
  }
  return new Error(prefix, { cause: err });
}

/**
 * A kubeconfig for a user with no rights but what RBAC grants it (for permission tests): a client
 * certificate for `user` signed by the test cluster's CA (the `pki/` folder next to the admin
 * kubeconfig, so only for clusters this run started). Returns the kubeconfig's path.
 */
export async function restrictedKubeconfig(user: string): Promise<string> {
  const env = testEnv();
  const pki = join(dirname(env.kubeconfigPath), 'pki');
  const dir = join(env.runDir, 'users');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const { certFile, keyFile } = await issueUserCert(
    dir,
    { caCert: join(pki, 'ca.crt'), caKey: join(pki, 'ca.key') },
    user,
  );
  type Kubeconfig = { clusters: { cluster: Record<string, unknown> }[]; 'current-context'?: string };
  const admin = parse(await readFile(env.kubeconfigPath, 'utf8')) as Kubeconfig;
  const cluster = admin.clusters[0]!.cluster;
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'test', cluster }],
    users: [
      {
        name: user,
        user: {
          'client-certificate-data': Buffer.from(await readFile(certFile)).toString('base64'),
          'client-key-data': Buffer.from(await readFile(keyFile)).toString('base64'),
        },
      },
    ],
    contexts: [{ name: 'default', context: { cluster: 'test', user } }],
    'current-context': 'default',
  };
  const path = join(dir, `${user}.kubeconfig.yaml`);
  await writeFile(path, stringify(config), { mode: 0o600 });
  return path;
}
