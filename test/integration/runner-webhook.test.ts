/**
 * `kluctl-serverless run --listen` as a user starts it, against the test API server and the test Git
 * server: it watches (the tick is 5 minutes, so only the watch can react within seconds), a push with
 * a correctly signed GitHub webhook deploys the new commit at once (the interval is an hour), and bad
 * signatures, oversized bodies and unknown repositories run nothing. /healthz and /metrics answer, and
 * SIGTERM stops it after running reconciles finished.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { signWebhook } from '../../lib/serverless/webhook-signature.js';
import { CLI_BIN } from '../support/cli.js';
import { fixtureFiles } from '../support/fixtures.js';
import { createRepo } from '../../devenv/git-repo.js';
import type { TestRepo } from '../../devenv/git-repo.js';
import { startGitServer } from '../../devenv/git-server.js';
import type { GitServer } from '../../devenv/git-server.js';
import {
  createTestNamespace,
  eventually,
  installCrds,
  kubectlJson,
  kubectlTest,
  testEnv,
} from '../support/test-env.js';

const secret = randomBytes(24).toString('base64');
let server: GitServer;
let repo: TestRepo;
let dir: string;
let ns: string;
let runner: ChildProcess;
let base: string;
let stderr = '';

beforeAll(async () => {
  await installCrds();
  server = await startGitServer();
  repo = await createRepo(server, 'webhook-project', await fixtureFiles('skeleton'));
  dir = await mkdtemp(join(tmpdir(), 'ks-runner-webhook-'));
  ns = await createTestNamespace('rwh');
  await writeFile(join(dir, 'secret'), `${secret}\n`);
  runner = spawn(
    process.execPath,
    [
      CLI_BIN,
      'run',
      '--kubeconfig',
      testEnv().kubeconfigPath,
      '-n',
      ns,
      '--state-dir',
      join(dir, 'state'),
      '--tick',
      '300',
      '--listen',
      '127.0.0.1:0',
      '--webhook-secret-file',
      join(dir, 'secret'),
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  runner.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  base = await eventually(
    () => {
      const m = /listening on (http:\/\/[^ ]+) /.exec(stderr);
      if (!m) throw new Error(`runner did not start listening; stderr so far:\n${stderr}`);
      return Promise.resolve(m[1]!);
    },
    { timeoutMs: 30_000 },
  );
});

afterAll(async () => {
  if (runner && runner.exitCode === null) runner.kill('SIGKILL');
  await server?.stop();
  await repo?.cleanup();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** A GitHub push event for the test repository, as GitHub sends it. */
function githubPush(url: string, ref: string): Buffer {
  return Buffer.from(
    JSON.stringify({
      ref,
      before: '0'.repeat(40),
      after: '1'.repeat(40),
      repository: { full_name: 'test/webhook-project', clone_url: url, default_branch: 'main' },
    }),
  );
}

async function post(body: Buffer, headers: Record<string, string>, provider = 'github') {
  const res = await fetch(`${base}/webhook/${provider}`, { method: 'POST', body, headers });
  return { status: res.status, body: (await res.json()) as { message: string; enqueued?: number } };
}

function signed(body: Buffer): Record<string, string> {
  return {
    'content-type': 'application/json',
    'x-github-event': 'push',
    'x-hub-signature-256': signWebhook('github', Buffer.from(secret), body),
  };
}

async function reconciles(): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
  return [...text.matchAll(/^kluctl_serverless_reconciles_total\{[^}]*\} (\d+)$/gm)].reduce(
    (n, m) => n + Number(m[1]),
    0,
  );
}

async function configMapData(name: string): Promise<Record<string, string> | undefined> {
  const r = await kubectlTest(['get', 'configmap', name, '-n', ns, '-o', 'json']);
  return r.code === 0 ? (JSON.parse(r.stdout) as { data?: Record<string, string> }).data : undefined;
}

/** A ConfigMap `pushed` in the deployment's namespace, with `via: <via>`. */
const configMap = (via: string) =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: pushed\n  namespace: "{{ args.namespace }}"\ndata:\n  via: ${via}\n`;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('kubectl apply is picked up by the watch, and a signed push webhook deploys the new commit', async () => {
  const kd = {
    apiVersion: 'gitops.kluctl.io/v1beta1',
    kind: 'KluctlDeployment',
    metadata: { name: 'app', namespace: ns },
    spec: { interval: '1h', source: { git: { url: repo.url } }, target: 'prod', args: { namespace: ns } },
  };
  expect((await kubectlTest(['apply', '-f', '-'], { input: JSON.stringify(kd) })).code).toBe(0);
  await eventually(async () => expect((await configMapData('app-config'))?.env).toBe('prod'), {
    timeoutMs: 30_000,
  });
  await eventually(async () => expect(await reconciles()).toBe(1));

  // A new commit: nothing happens until something says so (interval 1h, tick 5m).
  await repo.commit(
    {
      'config/extra.yaml': configMap('webhook'),
    },
    'add a ConfigMap',
  );
  const ok = githubPush(repo.url, 'refs/heads/main');
  const res = await post(ok, signed(ok));
  expect(res).toEqual({ status: 202, body: { message: '1 reconcile enqueued', enqueued: 1 } });
  await eventually(async () => expect(await configMapData('pushed')).toEqual({ via: 'webhook' }), {
    timeoutMs: 30_000,
  });
  const status = await kubectlJson<{ status?: { lastDeployResult?: { commandInfo?: unknown } } }>([
    'get',
    'kluctldeployment',
    'app',
    '-n',
    ns,
    '-o',
    'json',
  ]);
  expect(status.status?.lastDeployResult).toBeDefined();
});

test('bad or missing signatures, oversized bodies and unknown repositories run nothing', async () => {
  await eventually(async () => expect(await reconciles()).toBe(2));
  await repo.commit(
    {
      'config/extra.yaml': configMap('bad'),
    },
    'change the ConfigMap',
  );
  const body = githubPush(repo.url, 'refs/heads/main');
  const wrong = { ...signed(body), 'x-hub-signature-256': signWebhook('github', Buffer.from('nope'), body) };
  expect(await post(body, wrong)).toEqual({
    status: 401,
    body: { message: 'mismatch x-hub-signature-256' },
  });
  const { 'x-hub-signature-256': _omit, ...unsigned } = signed(body);
  expect((await post(body, unsigned)).status).toBe(401);
  const truncated = {
    ...signed(body),
    'x-hub-signature-256': signed(body)['x-hub-signature-256']!.slice(0, -2),
  };
  expect(await post(body, truncated)).toEqual({
    status: 401,
    body: { message: 'malformed x-hub-signature-256' },
  });

  const big = Buffer.alloc(1024 * 1024 + 1, 0x20);
  expect((await post(big, signed(big))).status).toBe(413);

  const unknown = githubPush('https://git.example.com/someone/else.git', 'refs/heads/main');
  expect(await post(unknown, signed(unknown))).toEqual({
    status: 202,
    body: { message: 'no deployment follows git.example.com/someone/else at refs/heads/main', enqueued: 0 },
  });
  const otherBranch = githubPush(repo.url, 'refs/heads/feature');
  expect((await post(otherBranch, signed(otherBranch))).body.enqueued).toBe(0);

  // Nothing ran: no reconcile, and the cluster still has the old data.
  await sleep(3000);
  expect(await reconciles()).toBe(2);
  expect(await configMapData('pushed')).toEqual({ via: 'webhook' });

  // The commit was there all along: the next correctly signed push deploys it.
  expect((await post(body, signed(body))).status).toBe(202);
  await eventually(async () => expect(await configMapData('pushed')).toEqual({ via: 'bad' }), {
    timeoutMs: 30_000,
  });
  // The objects are applied before the reconcile ends (validate and drift detection follow).
  await eventually(async () => expect(await reconciles()).toBe(3), { timeoutMs: 30_000 });
});

test('/healthz and /metrics answer; unknown paths and providers do not', async () => {
  const health = await fetch(`${base}/healthz`);
  expect(health.status).toBe(200);
  expect(await health.json()).toMatchObject({ ok: true, watching: true, synced: true, deployments: 1 });

  const metrics = await (await fetch(`${base}/metrics`)).text();
  expect(metrics).toContain('# TYPE kluctl_serverless_reconciles_total counter');
  expect(metrics).toMatch(/^kluctl_serverless_reconciles_total\{outcome="succeeded"\} 3$/m);
  expect(metrics).toMatch(/^kluctl_serverless_reconcile_duration_seconds_count 3$/m);
  expect(metrics).toMatch(/^kluctl_serverless_queue_depth 0$/m);
  expect(metrics).toMatch(/^kluctl_serverless_last_tick_timestamp_seconds \d+(\.\d+)?$/m);
  expect(metrics).toMatch(/^kluctl_serverless_webhook_requests_total\{provider="github",status="401"\} 3$/m);
  // Kluctl's controller metrics follow the runner's own.
  expect(metrics).toMatch(/^kluctldeployments_deployment_interval_seconds\{[^}]*\} \d+/m);

  expect((await fetch(`${base}/nope`)).status).toBe(404);
  expect((await post(Buffer.from('{}'), {}, 'svn')).status).toBe(404);
  expect((await fetch(`${base}/webhook/github`)).status).toBe(405);
  // The secret and the signatures never reach the log.
  expect(stderr).not.toContain(secret);
  expect(stderr).not.toMatch(/sha256=[0-9a-f]{64}/);
});

test('SIGTERM stops the runner gracefully', async () => {
  const exited = new Promise<number | null>((resolve) => runner.once('exit', (code) => resolve(code)));
  runner.kill('SIGTERM');
  expect(await exited).toBe(0);
  expect(stderr).toContain('SIGTERM: stopping');
  expect(stderr).toContain('stopped\n');
});
