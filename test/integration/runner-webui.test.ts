/**
 * `kluctl-serverless run --listen` with web UI users, as an operator starts it: the password hash made
 * by `kluctl-serverless webui hash-password`, the users file in a Secret (`--webui-users-secret`, as
 * Kluctl's Webui reads its `webui-secret`). The page, login and the API answer beside /healthz, and
 * SIGTERM still stops the runner while a browser holds the live update stream open.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI_BIN } from '../support/cli.js';
import { createTestNamespace, eventually, installCrds, kubectlTest, testEnv } from '../support/test-env.js';

let dir: string;
let ns: string;
let runner: ChildProcess;
let base: string;
let stderr = '';

/** Runs `webui hash-password` with `password` on stdin. */
function hashWithCli(password: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [CLI_BIN, 'webui', 'hash-password'], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    p.stdout.on('data', (c: Buffer) => (out += c.toString()));
    p.stderr.on('data', (c: Buffer) => (err += c.toString()));
    p.on('close', (code) =>
      code === 0 ? resolve(out.trim()) : reject(new Error(`hash-password failed: ${err}`)),
    );
    p.stdin.end(`${password}\n`);
  });
}

beforeAll(async () => {
  await installCrds();
  dir = await mkdtemp(join(tmpdir(), 'ks-runner-webui-'));
  ns = await createTestNamespace('rwui');
  const hash = await hashWithCli('s3cret pw');
  expect(hash).toMatch(/^scrypt\$/);
  const users = `users:\n  - name: ops\n    role: admin\n    passwordHash: '${hash}'\n`;
  await writeFile(join(dir, 'users.yaml'), users);
  const r = await kubectlTest([
    'create',
    'secret',
    'generic',
    'webui-users',
    '-n',
    ns,
    `--from-file=users.yaml=${join(dir, 'users.yaml')}`,
  ]);
  expect(r.stderr).toBe('');
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
      '--listen',
      '127.0.0.1:0',
      '--webui-users-secret',
      `${ns}/webui-users`,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  runner.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  base = await eventually(
    () => {
      const m = /listening on (http:\/\/[^ ]+) .*web UI at \/ui\//.exec(stderr);
      if (!m) throw new Error(`runner did not start the web UI; stderr so far:\n${stderr}`);
      return Promise.resolve(m[1]!);
    },
    { timeoutMs: 60_000 },
  );
}, 120_000);

afterAll(async () => {
  if (runner && runner.exitCode === null) runner.kill('SIGKILL');
  if (dir) await rm(dir, { recursive: true, force: true });
});

it('serves the web UI with the users of the Secret, and stops on SIGTERM with a live stream open', async () => {
  expect((await fetch(`${base}/ui/`)).status).toBe(200);
  expect((await fetch(`${base}/healthz`)).status).toBe(200);
  expect((await fetch(`${base}/api/deployments`)).status).toBe(401);
  const login = await fetch(`${base}/api/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'ops', password: 's3cret pw' }),
  });
  expect(login.status).toBe(200);
  const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
  const list = await fetch(`${base}/api/deployments`, { headers: { cookie } });
  expect(await list.json()).toEqual({ deployments: [], stream: true });

  const stream = await fetch(`${base}/api/events`, { headers: { cookie } });
  expect(stream.status).toBe(200);
  const exited = new Promise<number | null>((resolve) => runner.on('exit', (code) => resolve(code)));
  runner.kill('SIGTERM');
  expect(await exited).toBe(0);
  expect(stderr).toContain('stopped');
}, 120_000);
