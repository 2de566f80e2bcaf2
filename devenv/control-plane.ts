/**
 * A real Kubernetes control plane for the tests, the demo and the benchmarks: etcd plus
 * kube-apiserver, started the way controller-runtime's envtest does (docs: reference/test-infra.md §3). Controllers, scheduler and a
 * fake Node come separately (devenv/controllers.ts); without them Pods never start and namespaces
 * never finish terminating. Server-side apply, RBAC, CRDs, admission and watches are the real thing.
 */
import { spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { toolPath } from './tools.js';
import { httpsOk, readAdminTls, type AdminTls } from './admin-https.js';
import { generateControlPlaneCerts, type ControlPlaneCerts } from './certs.js';
import { freePort, sleep, startProcess, tailFile, type ManagedProcess } from './processes.js';

/** A running control plane. */
export interface ControlPlane {
  /** Admin kubeconfig; contexts `default` (current) and `kluctl-serverless-test`. */
  readonly kubeconfigPath: string;
  /** `https://127.0.0.1:<port>` */
  readonly server: string;
  /** PEM of the CA that signed the serving certificate. */
  readonly caPem: string;
  /** Milliseconds from the call until /readyz answered ok. */
  readonly startupMs: number;
  /** The PKI of the cluster (CA, admin client certificate, service-account key pair). */
  readonly certs: ControlPlaneCerts;
  stop(): Promise<void>;
}

/** Where the control plane keeps its files. */
export interface ControlPlaneOptions {
  /** Data, certificates and kubeconfig go here. */
  readonly workDir: string;
  /** `etcd.log` and `kube-apiserver.log` go here. */
  readonly logsDir: string;
  /** Give up waiting for readiness after this long; default 90 s (a cold start on 2 cores takes ~5 s). */
  readonly timeoutMs?: number;
  /**
   * Whether kube-controller-manager will run (devenv/controllers.ts). Only then is the
   * ServiceAccount admission plugin enabled, since it rejects Pods until that controller has created
   * the namespace's `default` ServiceAccount. Default false.
   */
  readonly withControllers?: boolean;
  /**
   * Write an audit log of every request (JSON lines, metadata level, one line per finished request)
   * to this file: who (`user`, `userAgent`) did what (`verb`, `objectRef`) when (`stageTimestamp`).
   * For benchmarks that count one client's requests. Default none.
   */
  readonly auditLogPath?: string;
}

/** The audit policy of {@link ControlPlaneOptions.auditLogPath}: every request once, when it ended. */
const AUDIT_POLICY = JSON.stringify({
  apiVersion: 'audit.k8s.io/v1',
  kind: 'Policy',
  omitStages: ['RequestReceived', 'ResponseStarted'],
  rules: [{ level: 'Metadata' }],
});

/** Context names written into the kubeconfig: Kluctl projects under test use `context: default`. */
export const TEST_CONTEXT = 'kluctl-serverless-test';

/** Starts etcd and kube-apiserver on free loopback ports and waits until the API server is ready. */
export async function startControlPlane(opts: ControlPlaneOptions): Promise<ControlPlane> {
  const started = Date.now();
  const timeoutMs = opts.timeoutMs ?? 90_000;
  const certsDir = join(opts.workDir, 'pki');
  await mkdir(certsDir, { recursive: true, mode: 0o700 });
  await mkdir(opts.logsDir, { recursive: true });
  const [certs, etcd] = await Promise.all([generateControlPlaneCerts(certsDir), startEtcd(opts, timeoutMs)]);
  let apiserver: ManagedProcess | undefined;
  const stop = async (): Promise<void> => {
    await apiserver?.stop();
    await etcd.proc.stop();
  };
  try {
    const port = await freePort();
    const server = `https://127.0.0.1:${port}`;
    if (opts.auditLogPath) await writeFile(join(opts.workDir, 'audit-policy.json'), AUDIT_POLICY);
    apiserver = startApiServer({ ...opts, certs, port, etcdUrl: etcd.url });
    const tls = await readAdminTls(certs);
    await waitFor(apiserver, timeoutMs, () => httpsOk(`${server}/readyz`, tls));
    const kubeconfigPath = join(opts.workDir, 'kubeconfig.yaml');
    await writeKubeconfig(kubeconfigPath, server, tls);
    return { kubeconfigPath, server, caPem: tls.ca, startupMs: Date.now() - started, certs, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Result of one kubectl run. */
export interface KubectlResult {
  readonly stdout: string;
  readonly stderr: string;
  readonly code: number;
}

/** Runs the pinned kubectl against `kubeconfigPath`; never throws for a non-zero exit. */
export function kubectl(
  kubeconfigPath: string,
  args: readonly string[],
  opts: { input?: string } = {},
): Promise<KubectlResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(toolPath('kubectl'), ['--kubeconfig', kubeconfigPath, ...args], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.once('error', reject);
    child.once('close', (code) => {
      resolve({
        stdout: Buffer.concat(out).toString(),
        stderr: Buffer.concat(err).toString(),
        code: code ?? -1,
      });
    });
    child.stdin.end(opts.input ?? '');
  });
}

interface Etcd {
  readonly url: string;
  readonly proc: ManagedProcess;
}

async function startEtcd(opts: ControlPlaneOptions, timeoutMs: number): Promise<Etcd> {
  const dataDir = join(opts.workDir, 'etcd');
  // etcd refuses a data dir that is readable by others.
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const [clientPort, peerPort] = await Promise.all([freePort(), freePort()]);
  const url = `http://127.0.0.1:${clientPort}`;
  const peerUrl = `http://127.0.0.1:${peerPort}`;
  const proc = startProcess({
    name: 'etcd',
    command: toolPath('etcd'),
    args: [
      '--name=ks-test',
      `--data-dir=${dataDir}`,
      `--listen-client-urls=${url}`,
      `--advertise-client-urls=${url}`,
      `--listen-peer-urls=${peerUrl}`,
      `--initial-advertise-peer-urls=${peerUrl}`,
      `--initial-cluster=ks-test=${peerUrl}`,
      // Test data is thrown away; skipping fsync makes every write (and the start) much faster.
      '--unsafe-no-fsync',
      '--log-level=warn',
    ],
    logsDir: opts.logsDir,
  });
  try {
    await waitFor(proc, timeoutMs, async () => /"health":\s*"true"/.test(await httpGet(`${url}/health`)));
  } catch (err) {
    await proc.stop();
    throw err;
  }
  return { url, proc };
}

function startApiServer(
  opts: ControlPlaneOptions & { certs: ControlPlaneCerts; port: number; etcdUrl: string },
): ManagedProcess {
  const { certs, port } = opts;
  return startProcess({
    name: 'kube-apiserver',
    command: toolPath('kube-apiserver'),
    args: [
      `--etcd-servers=${opts.etcdUrl}`,
      `--cert-dir=${join(opts.workDir, 'pki')}`,
      `--tls-cert-file=${certs.servingCert}`,
      `--tls-private-key-file=${certs.servingKey}`,
      `--client-ca-file=${certs.caCert}`,
      `--secure-port=${port}`,
      '--bind-address=127.0.0.1',
      '--advertise-address=127.0.0.1',
      '--authorization-mode=RBAC',
      `--service-account-issuer=https://127.0.0.1:${port}/`,
      `--service-account-key-file=${certs.saPublicKey}`,
      `--service-account-signing-key-file=${certs.saPrivateKey}`,
      '--service-cluster-ip-range=10.0.0.0/24',
      '--allow-privileged=true',
      // Without a controller-manager nothing creates the ServiceAccounts this plugin waits for.
      ...(opts.withControllers ? [] : ['--disable-admission-plugins=ServiceAccount']),
      // Without it the server keeps trying to publish a loopback IP as the `kubernetes` Endpoints.
      '--endpoint-reconciler-type=none',
      '--enable-priority-and-fairness=false',
      '--profiling=false',
      ...(opts.auditLogPath
        ? [
            `--audit-policy-file=${join(opts.workDir, 'audit-policy.json')}`,
            `--audit-log-path=${opts.auditLogPath}`,
            '--audit-log-format=json',
            '--audit-log-mode=blocking',
          ]
        : []),
    ],
    logsDir: opts.logsDir,
  });
}

async function writeKubeconfig(path: string, server: string, tls: AdminTls): Promise<void> {
  const b64 = (s: string): string => Buffer.from(s).toString('base64');
  const user = `${TEST_CONTEXT}-admin`;
  const context = { cluster: TEST_CONTEXT, user };
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: TEST_CONTEXT, cluster: { server, 'certificate-authority-data': b64(tls.ca) } }],
    users: [
      { name: user, user: { 'client-certificate-data': b64(tls.cert), 'client-key-data': b64(tls.key) } },
    ],
    contexts: [
      { name: TEST_CONTEXT, context },
      { name: 'default', context },
    ],
    'current-context': 'default',
  };
  await writeFile(path, stringify(config), { mode: 0o600 });
}

/**
 * Polls `check` until it returns true. Fails early, with the end of the log, when the process exits,
 * and after `timeoutMs`.
 */
async function waitFor(
  proc: ManagedProcess,
  timeoutMs: number,
  check: () => Promise<boolean>,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (proc.hasExited()) {
      throw new Error(
        `${proc.name} exited with ${await proc.exited} before it was ready; ${proc.logFile}:\n${tailFile(proc.logFile)}`,
      );
    }
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) {
      throw new Error(
        `${proc.name} was not ready after ${timeoutMs} ms; ${proc.logFile}:\n${tailFile(proc.logFile)}`,
      );
    }
    await sleep(100);
  }
}

function httpGet(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { timeout: 2000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve(body));
    });
    req.once('timeout', () => req.destroy(new Error('timeout')));
    req.once('error', reject);
    req.end();
  });
}
