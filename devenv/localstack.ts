/**
 * LocalStack 4.14.0 in host mode (no Docker), S3 plus Secrets Manager (for the awsSecretsManager vars
 * tests; +0.2 s start-up): the S3 emulator whose conditional writes
 * (If-None-Match / If-Match on PutObject) behave like AWS, atomically (reference/test-infra.md §6).
 * It runs from the virtualenv that `npm run tools -- localstack` creates; everything it writes stays
 * under `workDir`, except plux's entry-point cache in ~/.cache/plux, which makes later starts faster.
 */
import { existsSync } from 'node:fs';
import { copyFile, mkdir, readdir, rename } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import { defaultCacheDir, readToolVersions } from '../lib/runtime-tools.js';
import { writeSelfSignedPem } from './certs.js';
import { freePort, sleep, startProcess, tailFile, type ManagedProcess } from './processes.js';

/** A running LocalStack. */
export interface LocalStack {
  /** `http://127.0.0.1:<port>`, for an S3 client with `forcePathStyle: true`. */
  readonly endpoint: string;
  /** Milliseconds from the call until S3 was reported ready. */
  readonly startupMs: number;
  stop(): Promise<void>;
}

/** Where LocalStack keeps its files. */
export interface LocalStackOptions {
  readonly workDir: string;
  /** `localstack.log` goes here. */
  readonly logsDir: string;
  /** Give up waiting after this long; default 120 s (a warm start takes ~2 s, the first one longer). */
  readonly timeoutMs?: number;
}

/** Credentials LocalStack accepts (it does not check them). */
export const LOCALSTACK_CREDENTIALS = {
  accessKeyId: 'test',
  secretAccessKey: 'test',
  region: 'us-east-1',
} as const;

/**
 * The pinned LocalStack virtualenv, or the one named by KS_TEST_LOCALSTACK_VENV; throws with the
 * command that installs it.
 */
export function localStackVenv(): string {
  const version = readToolVersions()['LOCALSTACK_VERSION'];
  const venv =
    process.env['KS_TEST_LOCALSTACK_VENV'] || join(defaultCacheDir(), `localstack-${version}-py3.13`);
  if (!existsSync(join(venv, '.complete')) || !existsSync(join(venv, 'bin', 'python'))) {
    throw new Error(`LocalStack ${version} is not installed in ${venv}; run 'npm run tools -- localstack'`);
  }
  return venv;
}

/** Starts LocalStack's S3 on a free loopback port and waits until its health check reports it. */
export async function startLocalStack(opts: LocalStackOptions): Promise<LocalStack> {
  const started = Date.now();
  const venv = localStackVenv();
  const cacheDir = join(opts.workDir, 'filesystem', 'var', 'lib', 'localstack', 'cache');
  const seedDir = join(venv, 'service-catalog');
  await Promise.all([
    mkdir(join(opts.workDir, 'tmp'), { recursive: true }),
    mkdir(opts.logsDir, { recursive: true }),
  ]);
  const [tlsPem] = await Promise.all([
    writeSelfSignedPem(opts.workDir, 'gateway-tls'),
    copyCatalog(seedDir, cacheDir),
  ]);
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const proc = startProcess({
    name: 'localstack',
    command: join(venv, 'bin', 'python'),
    args: ['-m', 'localstack.runtime.main'],
    env: localStackEnv(opts.workDir, port, tlsPem),
    cwd: opts.workDir,
    logsDir: opts.logsDir,
  });
  try {
    await waitForS3(proc, endpoint, opts.timeoutMs ?? 120_000);
    if (!existsSync(seedDir)) await copyCatalog(cacheDir, seedDir);
  } catch (err) {
    await proc.stop();
    throw err;
  }
  return { endpoint, startupMs: Date.now() - started, stop: () => proc.stop() };
}

/**
 * LocalStack reads its configuration from the environment only, so the child gets a clean one:
 * inherited AWS_* or LOCALSTACK_* settings of the developer must not change what the tests see.
 */
function localStackEnv(workDir: string, port: number, tlsPem: string): NodeJS.ProcessEnv {
  const keep = ['PATH', 'HOME', 'LANG', 'LC_ALL', 'XDG_CACHE_HOME'];
  const env: NodeJS.ProcessEnv = {};
  for (const k of keep) if (process.env[k] !== undefined) env[k] = process.env[k];
  return {
    ...env,
    // secretsmanager serves the awsSecretsManager vars source tests.
    SERVICES: 's3,secretsmanager,sqs',
    // Load the S3 provider while starting, not on the first request of the first test.
    EAGER_SERVICE_LOADING: '1',
    GATEWAY_LISTEN: `127.0.0.1:${port}`,
    // Host mode would otherwise start a DNS server on port 53 and fetch a TLS certificate online.
    DNS_ADDRESS: '0',
    SKIP_SSL_CERT_DOWNLOAD: '1',
    // The gateway always serves TLS too; a certificate made here spares LocalStack its own generator,
    // which depends on pyOpenSSL APIs that newer releases removed.
    CUSTOM_SSL_CERT_PATH: tlsPem,
    DISABLE_EVENTS: '1',
    PERSISTENCE: '0',
    // The sandbox looks like a container to LocalStack, which would then write to /var/lib/localstack.
    OVERRIDE_IN_DOCKER: '0',
    LOCALSTACK_VOLUME_DIR: join(workDir, 'volume'),
    FILESYSTEM_ROOT: join(workDir, 'filesystem'),
    // Python's tempfile and LocalStack's state dir follow TMPDIR (LocalStack warns that it is deprecated).
    TMPDIR: join(workDir, 'tmp'),
    PYTHONUNBUFFERED: '1',
  };
}

/**
 * LocalStack spends ~2 s building its AWS service catalog on each start unless a cached copy is in its
 * cache dir. The copy is kept next to the virtualenv (so a new install drops it) and seeded into each
 * run's private filesystem; writes go through a rename so parallel runs never see half a file.
 */
async function copyCatalog(fromDir: string, toDir: string): Promise<void> {
  const files = await readdir(fromDir).catch(() => [] as string[]);
  const catalogs = files.filter((f) => f.startsWith('service-catalog-') && f.endsWith('.dill'));
  if (catalogs.length === 0) return;
  await mkdir(toDir, { recursive: true });
  for (const f of catalogs) {
    const tmp = join(toDir, `.${f}.${process.pid}.tmp`);
    await copyFile(join(fromDir, f), tmp);
    await rename(tmp, join(toDir, f));
  }
}

async function waitForS3(proc: ManagedProcess, endpoint: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (proc.hasExited()) {
      throw new Error(
        `LocalStack exited with ${await proc.exited} before S3 was ready; ${proc.logFile}:\n${tailFile(proc.logFile)}`,
      );
    }
    const status = await s3Status(endpoint).catch(() => undefined);
    if (status === 'available' || status === 'running') return;
    if (Date.now() > deadline) {
      throw new Error(
        `LocalStack's S3 was not ready after ${timeoutMs} ms (last status ${status}); ${proc.logFile}:\n${tailFile(proc.logFile)}`,
      );
    }
    await sleep(200);
  }
}

/** The state of the s3 service in LocalStack's health report. */
function s3Status(endpoint: string): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const req = request(`${endpoint}/_localstack/health`, { timeout: 2000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => {
        try {
          const parsed = JSON.parse(body) as { services?: Record<string, string> };
          resolve(parsed.services?.['s3']);
        } catch (err) {
          reject(err instanceof Error ? err : new Error(String(err)));
        }
      });
    });
    req.once('timeout', () => req.destroy(new Error('timeout')));
    req.once('error', reject);
    req.end();
  });
}
