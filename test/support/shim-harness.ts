/**
 * What the shim tests run against besides the API server: a small real ingest server that checks
 * every push's signature with verifyPush and replays the pushes into a mirror as ingest would, a TCP
 * proxy in front of the API server that can drop every connection and refuse new ones for a while,
 * and the shim's identity from deploy/shim (its ServiceAccount, ClusterRole and binding) with a token.
 */
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { connect, createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import type { KubeObject } from '../../lib/ports.js';
import {
  MAX_PUSH_BYTES,
  type MirroredDeployment,
  SHIM_HEADERS,
  type ShimPush,
  type SignatureVerdict,
  verifyPush,
} from '../../lib/serverless/protocol.js';
import { KUBECTL_LAST_APPLIED } from '../../lib/shim/mirror.js';
import { shimManifests } from './shim-manifests.js';
import { installCrds, kubectlJson, kubectlTest, testEnv } from './test-env.js';

/** Namespace and ServiceAccount of the shim in deploy/shim. */
export const SHIM_NAMESPACE = 'kluctl-serverless-system';
export const SHIM_SERVICE_ACCOUNT = 'kluctl-serverless-shim';

/** One push the ingest server accepted. */
export interface ReceivedPush {
  /** Date.now() when it arrived. */
  readonly at: number;
  readonly push: ShimPush;
  readonly bytes: number;
}

/** A loopback server that can be closed (cutting its connections) and opened again on the same port. */
abstract class ReopenableServer {
  protected port = 0;
  private server: NetServer | undefined;
  private readonly sockets = new Set<Socket>();

  /** A new, not yet listening server. */
  protected abstract create(): NetServer;

  /** Starts listening (on the previous port after a close). */
  protected async listen(): Promise<void> {
    const server = this.create();
    server.on('connection', (s: Socket) => this.track(s));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', resolve);
    });
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  /** Closes the port and destroys every tracked connection. */
  protected async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  }

  /** Tracks a socket so that {@link close} cuts it. */
  protected track(s: Socket): void {
    this.sockets.add(s);
    s.once('close', () => this.sockets.delete(s));
    s.on('error', () => undefined);
  }
}

/** A real HTTP ingest endpoint for tests; `down()` closes its port, `up()` opens the same port again. */
export class TestIngestServer extends ReopenableServer {
  readonly received: ReceivedPush[] = [];
  /** Pushes refused, with the reason (a signature verdict or `too-large`). */
  readonly refused: (SignatureVerdict | 'too-large')[] = [];
  /** `namespace/name` → mirror, replayed from the accepted pushes as ingest keeps it. */
  readonly mirror = new Map<string, MirroredDeployment>();
  constructor(private readonly key: Uint8Array) {
    super();
  }

  /** The URL to push to. */
  get url(): string {
    return `http://127.0.0.1:${this.port}/shim`;
  }

  /** Starts listening (on the previous port after a `down()`). */
  up(): Promise<void> {
    return this.listen();
  }

  /** Stops answering: the port is closed and open connections are cut. */
  down(): Promise<void> {
    return this.close();
  }

  protected create(): HttpServer {
    return createHttpServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => res.writeHead(this.accept(req.headers, Buffer.concat(chunks))).end());
    });
  }

  /** The accepted pushes that carry an object of `namespace`, with only those objects. */
  pushesFor(namespace: string): ReceivedPush[] {
    return this.received
      .map((r) => ({
        ...r,
        push: { ...r.push, objects: r.push.objects.filter((o) => o.metadata.namespace === namespace) },
      }))
      .filter((r) => r.push.objects.length > 0);
  }

  private accept(headers: Record<string, string | string[] | undefined>, body: Buffer): number {
    if (body.length > MAX_PUSH_BYTES) {
      this.refused.push('too-large');
      return 413;
    }
    const h = (name: string): string | undefined => {
      const v = headers[name];
      return Array.isArray(v) ? v[0] : v;
    };
    const text = body.toString('utf8');
    const verdict = verifyPush(
      this.key,
      {
        clusterId: h(SHIM_HEADERS.cluster),
        timestamp: h(SHIM_HEADERS.timestamp),
        signature: h(SHIM_HEADERS.signature),
      },
      text,
      Date.now(),
    );
    if (verdict !== 'ok') {
      this.refused.push(verdict);
      return 401;
    }
    const push = JSON.parse(text) as ShimPush;
    this.received.push({ at: Date.now(), push, bytes: body.length });
    if (push.kind === 'resync') this.mirror.clear();
    for (const o of push.objects) {
      const key = `${o.metadata.namespace}/${o.metadata.name}`;
      if (push.kind === 'delete') this.mirror.delete(key);
      else this.mirror.set(key, o);
    }
    return 202;
  }
}

/** A TCP proxy to `target` (host:port) that can cut every connection and refuse new ones. */
export class TcpProxy extends ReopenableServer {
  constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {
    super();
  }

  /** host:port to connect to. */
  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** Accepts connections (on the previous port after a `cut()`). */
  open(): Promise<void> {
    return this.listen();
  }

  /** Drops every open connection and closes the port (new connections are refused until `open()`). */
  cut(): Promise<void> {
    return this.close();
  }

  protected create(): NetServer {
    return createNetServer((client) => {
      const upstream = connect(this.targetPort, this.targetHost);
      this.track(upstream);
      client.pipe(upstream).pipe(client);
      client.once('close', () => upstream.destroy());
      upstream.once('close', () => client.destroy());
    });
  }
}

/** Applies the Namespace, ServiceAccount, ClusterRole and ClusterRoleBinding of deploy/shim (and the CRD). */
export async function installShimIdentity(): Promise<void> {
  await installCrds();
  const docs = shimManifests().filter((o) => o.kind !== 'Deployment');
  const r = await kubectlTest(
    ['apply', '--server-side', '--field-manager=kluctl-serverless-test', '-f', '-'],
    {
      input: docs.map((d) => JSON.stringify(d)).join('\n'),
    },
  );
  if (r.code !== 0) throw new Error(`could not apply the shim's identity: ${r.stderr.trim()}`);
}

/**
 * A kubeconfig that authenticates as the shim's ServiceAccount with a token from the TokenRequest API
 * (what the kubelet mounts into the shim's pod), or with `opts.token`, reaching the API server at
 * `opts.server` (default: the test cluster's address). Returns its path.
 */
export async function shimKubeconfig(opts: { server?: string; token?: string } = {}): Promise<string> {
  const { server } = opts;
  let token = opts.token;
  if (token === undefined) {
    const tok = await kubectlTest([
      'create',
      'token',
      SHIM_SERVICE_ACCOUNT,
      '-n',
      SHIM_NAMESPACE,
      '--duration=2h',
    ]);
    if (tok.code !== 0) throw new Error(`kubectl create token failed: ${tok.stderr.trim()}`);
    token = tok.stdout.trim();
  }
  type Kubeconfig = { clusters: { cluster: Record<string, unknown> }[] };
  const admin = parse(await readFile(testEnv().kubeconfigPath, 'utf8')) as Kubeconfig;
  const cluster = { ...admin.clusters[0]!.cluster, ...(server ? { server } : {}) };
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'test', cluster }],
    users: [{ name: 'shim', user: { token } }],
    contexts: [{ name: 'shim', context: { cluster: 'test', user: 'shim' } }],
    'current-context': 'shim',
  };
  const path = join(testEnv().runDir, `shim-${Math.random().toString(36).slice(2)}.kubeconfig.yaml`);
  await writeFile(path, stringify(config), { mode: 0o600 });
  return path;
}

/** The test cluster's API server address as host and port. */
export async function apiServerAddress(): Promise<{ host: string; port: number; url: string }> {
  type Kubeconfig = { clusters: { cluster: { server: string } }[] };
  const admin = parse(await readFile(testEnv().kubeconfigPath, 'utf8')) as Kubeconfig;
  const url = new URL(admin.clusters[0]!.cluster.server);
  return { host: url.hostname, port: Number(url.port || 443), url: url.origin };
}

/** What a mirror must agree on with the cluster, per `name`. */
export type DeploymentFacts = Record<
  string,
  {
    generation?: number;
    annotations?: Record<string, string>;
    deletionTimestamp?: string;
    finalizers?: string[];
  }
>;

/** The facts of a mirror or of objects read from the API. */
export function factsOf(objects: readonly Pick<KubeObject, 'metadata'>[]): DeploymentFacts {
  const out: DeploymentFacts = {};
  for (const { metadata: m } of objects) {
    const annotations = Object.fromEntries(
      Object.entries(m.annotations ?? {}).filter(([k]) => k !== KUBECTL_LAST_APPLIED),
    );
    out[m.name] = {
      ...(m.generation !== undefined ? { generation: m.generation } : {}),
      ...(Object.keys(annotations).length ? { annotations } : {}),
      ...(m.deletionTimestamp ? { deletionTimestamp: m.deletionTimestamp } : {}),
      ...(m.finalizers?.length ? { finalizers: m.finalizers } : {}),
    };
  }
  return out;
}

/** The facts of the KluctlDeployments of `namespace` as the API server has them. */
export async function clusterFacts(namespace: string): Promise<DeploymentFacts> {
  const list = await kubectlJson<{ items: KubeObject[] }>(['get', 'kluctldeployments', '-n', namespace]);
  return factsOf(list.items);
}

/** The facts of the mirrors of `namespace` the ingest server holds. */
export function mirrorFacts(ingest: TestIngestServer, namespace: string): DeploymentFacts {
  return factsOf([...ingest.mirror.values()].filter((m) => m.metadata.namespace === namespace));
}
