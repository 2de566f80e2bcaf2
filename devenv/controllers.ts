/**
 * The controllers that make the test cluster behave like a small real one (docs:
 * reference/test-infra.md §4): kube-controller-manager (ReplicaSets, Jobs, StatefulSets, DaemonSets,
 * namespace deletion, garbage collection, ServiceAccounts), kube-scheduler, and kwok, which plays the
 * kubelet of one fake Node so Pods become Running and Ready (and Job Pods Succeeded) without
 * containers. Started once per run after the API server, in parallel with LocalStack.
 */
import { request as httpsRequest } from 'node:https';
import { dirname, join } from 'node:path';
import { toolPath } from './tools.js';
import { httpsOk, readAdminTls, type AdminTls } from './admin-https.js';
import { freePort, sleep, startProcess, tailFile, type ManagedProcess } from './processes.js';

/** Name of the one fake Node kwok manages. */
export const FAKE_NODE_NAME = 'kwok-node-0';
/** The annotation kwok selects its Nodes by (`--manage-nodes-with-annotation-selector`). */
export const FAKE_NODE_ANNOTATION = 'kwok.x-k8s.io/node';

/** Where the controllers find the cluster and write their logs. */
export interface ControllersOptions {
  /** Admin kubeconfig (group system:masters); all three components use it. */
  readonly kubeconfigPath: string;
  /** The API server, `https://127.0.0.1:<port>`. */
  readonly server: string;
  /** CA of the cluster: published into every namespace as `kube-root-ca.crt`. */
  readonly caCertPath: string;
  /** Admin client certificate and key, for the readiness checks of this module. */
  readonly adminCertPath: string;
  readonly adminKeyPath: string;
  /** Private half of the service-account key pair the API server verifies tokens with. */
  readonly saPrivateKeyPath: string;
  /** `kube-controller-manager.log`, `kube-scheduler.log` and `kwok.log` go here. */
  readonly logsDir: string;
  /** Give up waiting for readiness after this long; default 60 s. */
  readonly timeoutMs?: number;
}

/** The running controllers. */
export interface Controllers {
  /** Milliseconds from the call until the fake Node was Ready and schedulable. */
  readonly startupMs: number;
  stop(): Promise<void>;
}

/**
 * Starts kube-controller-manager, kube-scheduler and kwok, registers the fake Node, and waits until
 * the Node is Ready without taints, the scheduler is healthy and the `default` ServiceAccount exists.
 */
export async function startControllers(opts: ControllersOptions): Promise<Controllers> {
  const started = Date.now();
  const deadline = started + (opts.timeoutMs ?? 60_000);
  const tls = await readAdminTls({
    caCert: opts.caCertPath,
    adminCert: opts.adminCertPath,
    adminKey: opts.adminKeyPath,
  });
  const api = (method: string, path: string, body?: unknown): Promise<ApiResponse> =>
    apiRequest(opts.server, tls, method, path, body);
  const schedulerPort = await freePort();
  const procs = [startControllerManager(opts), startScheduler(opts, schedulerPort), startKwok(opts)];
  const stop = async (): Promise<void> => {
    await Promise.all(procs.map((p) => p.stop()));
  };
  try {
    await registerFakeNode(api);
    const schedulerHealthy = (): Promise<boolean> =>
      httpsOk(`https://127.0.0.1:${schedulerPort}/healthz`, { ...tls, rejectUnauthorized: false });
    await Promise.all([
      waitUntil(procs, deadline, 'the fake Node to be Ready and untainted', () => nodeSchedulable(api)),
      waitUntil(procs, deadline, 'kube-scheduler /healthz', schedulerHealthy),
      // The ServiceAccount controller of kube-controller-manager creates it; Pods need it (admission).
      waitUntil(procs, deadline, 'the default ServiceAccount', async () => {
        return (await api('GET', '/api/v1/namespaces/default/serviceaccounts/default')).status === 200;
      }),
    ]);
    return { startupMs: Date.now() - started, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** The flags of every component that talks to the API server as the admin. */
function clientFlags(opts: ControllersOptions): string[] {
  return [
    `--kubeconfig=${opts.kubeconfigPath}`,
    `--authentication-kubeconfig=${opts.kubeconfigPath}`,
    `--authorization-kubeconfig=${opts.kubeconfigPath}`,
  ];
}

function startControllerManager(opts: ControllersOptions): ManagedProcess {
  return startProcess({
    name: 'kube-controller-manager',
    command: toolPath('kube-controller-manager'),
    args: [
      ...clientFlags(opts),
      '--bind-address=127.0.0.1',
      // No health endpoint needed: readiness shows in the objects it creates.
      '--secure-port=0',
      '--leader-elect=false',
      '--controllers=*',
      `--root-ca-file=${opts.caCertPath}`,
      `--service-account-private-key-file=${opts.saPrivateKeyPath}`,
      // Every controller acts as the admin; per-controller ServiceAccounts would only add start-up work.
      '--use-service-account-credentials=false',
      // The client-side rate limit (default 20 qps) would make Deployments of the benchmark crawl.
      '--kube-api-qps=5000',
      '--kube-api-burst=10000',
      '--profiling=false',
    ],
    logsDir: opts.logsDir,
  });
}

function startScheduler(opts: ControllersOptions, port: number): ManagedProcess {
  return startProcess({
    name: 'kube-scheduler',
    command: toolPath('kube-scheduler'),
    args: [
      ...clientFlags(opts),
      '--bind-address=127.0.0.1',
      `--secure-port=${port}`,
      '--leader-elect=false',
      '--kube-api-qps=5000',
      '--kube-api-burst=10000',
      '--profiling=false',
    ],
    logsDir: opts.logsDir,
  });
}

function startKwok(opts: ControllersOptions): ManagedProcess {
  const kwok = toolPath('kwok');
  // scripts/ensure-tools.sh copies kwok's Stage files next to bin/; "fast" is kwokctl's default set:
  // Nodes become Ready (with a lease heartbeat), Pods Ready, Job Pods Succeeded, deleted Pods go away.
  const stages = join(dirname(dirname(kwok)), 'stages', 'fast');
  return startProcess({
    name: 'kwok',
    command: kwok,
    args: [
      `--kubeconfig=${opts.kubeconfigPath}`,
      `--config=${stages}`,
      '--manage-all-nodes=false',
      `--manage-nodes-with-annotation-selector=${FAKE_NODE_ANNOTATION}=fake`,
      '--node-lease-duration-seconds=40',
      // Pod IPs; apart from the Service range 10.0.0.0/24 of the API server.
      '--cidr=10.244.0.0/16',
      '--node-ip=10.244.0.1',
    ],
    logsDir: opts.logsDir,
  });
}

/** Plenty of room: tests and the benchmark schedule hundreds of Pods. */
const NODE_RESOURCES = { cpu: '1000', memory: '1Ti', pods: '10000' };

/** Creates the fake Node (no taint, so workloads under test need no toleration). */
async function registerFakeNode(api: Api): Promise<void> {
  const node = {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: FAKE_NODE_NAME,
      annotations: { [FAKE_NODE_ANNOTATION]: 'fake', 'node.alpha.kubernetes.io/ttl': '0' },
      labels: {
        'kubernetes.io/hostname': FAKE_NODE_NAME,
        'kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
        type: 'kwok',
      },
    },
    status: { capacity: NODE_RESOURCES, allocatable: NODE_RESOURCES },
  };
  const res = await api('POST', '/api/v1/nodes', node);
  // 409: the Node survives from an earlier start against the same etcd; kwok takes it over again.
  if (res.status !== 201 && res.status !== 409) {
    throw new Error(`could not create the fake Node ${FAKE_NODE_NAME}: HTTP ${res.status} ${res.body}`);
  }
}

interface NodeView {
  spec?: { taints?: unknown[] };
  status?: { conditions?: { type: string; status: string }[] };
}

/** Ready, and the not-ready taint the node lifecycle controller sets at registration is gone. */
async function nodeSchedulable(api: Api): Promise<boolean> {
  const res = await api('GET', `/api/v1/nodes/${FAKE_NODE_NAME}`);
  if (res.status !== 200) return false;
  const node = JSON.parse(res.body) as NodeView;
  const ready = node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
  return ready && (node.spec?.taints ?? []).length === 0;
}

/** Polls `check` until true; fails early, with the end of its log, when one of `procs` exits. */
async function waitUntil(
  procs: readonly ManagedProcess[],
  deadline: number,
  what: string,
  check: () => Promise<boolean>,
): Promise<void> {
  for (;;) {
    const dead = procs.find((p) => p.hasExited());
    if (dead) {
      throw new Error(
        `${dead.name} exited with ${await dead.exited} while waiting for ${what}; ${dead.logFile}:\n${tailFile(dead.logFile)}`,
      );
    }
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) {
      const logs = procs.map((p) => p.logFile).join(', ');
      throw new Error(`gave up waiting for ${what}; see the logs ${logs}`);
    }
    await sleep(100);
  }
}

interface ApiResponse {
  readonly status: number;
  readonly body: string;
}

type Api = (method: string, path: string, body?: unknown) => Promise<ApiResponse>;

/** One JSON request to the API server as the admin (cheaper than a kubectl process per poll). */
function apiRequest(
  server: string,
  tls: AdminTls,
  method: string,
  path: string,
  body?: unknown,
): Promise<ApiResponse> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const headers = payload ? { 'content-type': 'application/json' } : undefined;
    const req = httpsRequest(`${server}${path}`, { ...tls, method, headers, timeout: 5000 }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.once('timeout', () => req.destroy(new Error(`timeout: ${method} ${path}`)));
    req.once('error', reject);
    req.end(payload);
  });
}
