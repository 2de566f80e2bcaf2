/**
 * KubeClient over the Kubernetes REST API. `@kubernetes/client-node` loads the kubeconfig and supplies
 * TLS material and credentials; requests go through one keep-alive HTTPS agent so that content types
 * (apply-patch, merge-patch), dry runs and subresources are explicit, and every call is counted (the
 * no-op reconcile benchmark reports API calls).
 */
import { KubeConfig } from '@kubernetes/client-node';
import http from 'node:http';
import https from 'node:https';
import { KubeApiError } from '../errors.js';
import type { ApplyOptions, KubeClient, KubeObject, ObjectRef, ResourceInfo } from '../ports.js';
import { Semaphore } from '../util/semaphore.js';
import { TokenBucket } from '../util/token-bucket.js';
import { DiscoveryCache } from './kube-discovery.js';

/** Options of {@link HttpKubeClient.fromKubeconfig}. */
export interface KubeconfigSource {
  /** Path of a kubeconfig file; default: $KUBECONFIG or ~/.kube/config as client-node resolves it. */
  readonly kubeconfigPath?: string;
  /** Kubeconfig content (e.g. from a Secret); wins over the path. */
  readonly kubeconfigYaml?: string;
  /** Context to use; default: the kubeconfig's current context. */
  readonly context?: string;
  /** Maximum concurrent requests (default 16). */
  readonly maxInFlight?: number;
  /** Client-side rate limit in requests per second (default 500; 0 disables it). */
  readonly qps?: number;
  /** Requests allowed at once above `qps` after an idle period (default 1000). */
  readonly burst?: number;
  /**
   * Retries of a request answered 429 (honouring Retry-After), or, for idempotent requests (GET, PUT,
   * DELETE, server-side apply), answered 5xx or cut off by a connection reset. Default 4.
   */
  readonly maxRetries?: number;
  /**
   * User to act as (`Impersonate-User`), e.g. `system:serviceaccount:<ns>:<name>`; wins over an `as:`
   * in the kubeconfig. Default: the kubeconfig's own identity.
   */
  readonly impersonateUser?: string;
}

interface RawResponse {
  readonly status: number;
  readonly body: unknown;
  /** Seconds from a Retry-After header, when present. */
  readonly retryAfterS?: number;
}

/** Connection errors after which an idempotent request is sent again. */
const TRANSIENT_NET_ERRORS = new Set(['ECONNRESET', 'EPIPE', 'ECONNREFUSED', 'ETIMEDOUT', 'EAI_AGAIN']);

/** Counters of API requests by verb, for benchmarks and tests. */
export interface RequestStats {
  total: number;
  byVerb: Record<string, number>;
}

/** Connection, limits and discovery of one kubeconfig, shared by the clients that impersonate over it. */
interface Connection {
  readonly server: URL;
  readonly tls: https.RequestOptions;
  readonly agent: http.Agent;
  readonly limiter: Semaphore;
  readonly bucket: TokenBucket;
  readonly limits: { qps: number; burst: number; maxRetries: number };
  /** Discovery documents are the same for every authenticated identity, so they are shared too. */
  discovery?: DiscoveryCache;
}

/** Request headers that carry impersonation; dropped from a kubeconfig's own when a user is forced. */
const IMPERSONATION_HEADER = /^impersonate-/i;

/** The KubeClient used by the CLI, the runner and the functions. */
export class HttpKubeClient implements KubeClient {
  readonly stats: RequestStats = { total: 0, byVerb: {} };
  private readonly discovery: DiscoveryCache;
  private readonly headers: Readonly<Record<string, string | number | string[]>>;
  private clusterIdCache: string | undefined;
  private serverVersionCache: Promise<string> | undefined;

  private constructor(
    private readonly conn: Connection,
    private readonly ownsConnection: boolean,
    impersonateUser: string | undefined,
  ) {
    conn.discovery ??= new DiscoveryCache((path) => this.getJson(path));
    this.discovery = conn.discovery;
    const base = (conn.tls.headers ?? {}) as Record<string, string | number | string[]>;
    this.headers =
      impersonateUser === undefined
        ? base
        : {
            ...Object.fromEntries(Object.entries(base).filter(([k]) => !IMPERSONATION_HEADER.test(k))),
            'Impersonate-User': impersonateUser,
          };
  }

  /** Builds a client from a kubeconfig; throws KubeApiError when the context does not exist. */
  static async fromKubeconfig(src: KubeconfigSource = {}): Promise<HttpKubeClient> {
    const kc = new KubeConfig();
    if (src.kubeconfigYaml !== undefined) kc.loadFromString(src.kubeconfigYaml);
    else if (src.kubeconfigPath !== undefined) kc.loadFromFile(src.kubeconfigPath);
    else kc.loadFromDefault();
    if (src.context) {
      if (!kc.getContextObject(src.context)) {
        throw new KubeApiError('KubeApi', `context "${src.context}" does not exist in the kubeconfig`);
      }
      kc.setCurrentContext(src.context);
    }
    const cluster = kc.getCurrentCluster();
    if (!cluster) throw new KubeApiError('KubeApi', 'the kubeconfig has no current cluster');
    const tls: https.RequestOptions = {};
    await kc.applyToHTTPSOptions(tls);
    const server = new URL(cluster.server);
    const maxInFlight = src.maxInFlight ?? 16;
    const agent =
      server.protocol === 'https:'
        ? new https.Agent({ keepAlive: true, maxSockets: maxInFlight })
        : new http.Agent({ keepAlive: true, maxSockets: maxInFlight });
    const limits = { qps: src.qps ?? 500, burst: src.burst ?? 1000, maxRetries: src.maxRetries ?? 4 };
    return new HttpKubeClient(
      {
        server,
        tls,
        agent,
        limiter: new Semaphore(maxInFlight),
        bucket: new TokenBucket({ qps: limits.qps, burst: limits.burst }),
        limits,
      },
      true,
      src.impersonateUser,
    );
  }

  /**
   * A client over this client's connection, rate limits and discovery that acts as `impersonateUser`
   * (Kluctl's controller copies its REST config and sets `Impersonate.UserName` the same way; the API
   * server adds a service account's groups itself), or, without it, as this client's kubeconfig user.
   * {@link close} of the new client leaves the shared connection open.
   */
  withIdentity(impersonateUser?: string): HttpKubeClient {
    return new HttpKubeClient(this.conn, false, impersonateUser);
  }

  /** Closes idle connections so the process can exit (a no-op for a {@link withIdentity} client). */
  close(): void {
    if (this.ownsConnection) this.conn.agent.destroy();
  }

  async apply(obj: KubeObject, opts: ApplyOptions): Promise<KubeObject> {
    const info = await this.requireResource(obj.apiVersion, obj.kind);
    const q = new URLSearchParams({ fieldManager: opts.fieldManager });
    if (opts.force) q.set('force', 'true');
    if (opts.dryRun) q.set('dryRun', 'All');
    q.set('fieldValidation', 'Strict');
    const path = objectPath(info, obj.metadata.name, obj.metadata.namespace);
    return (await this.call(
      'PATCH',
      `${path}?${q}`,
      obj,
      'application/apply-patch+yaml',
      describe(obj),
    )) as KubeObject;
  }

  async update(obj: KubeObject, opts: { fieldManager: string; dryRun?: boolean }): Promise<KubeObject> {
    const info = await this.requireResource(obj.apiVersion, obj.kind);
    const q = new URLSearchParams({ fieldManager: opts.fieldManager });
    if (opts.dryRun) q.set('dryRun', 'All');
    const path = objectPath(info, obj.metadata.name, obj.metadata.namespace);
    return (await this.call('PUT', `${path}?${q}`, obj, 'application/json', describe(obj))) as KubeObject;
  }

  async get(ref: ObjectRef): Promise<KubeObject | undefined> {
    const info = await this.requireResource(apiVersionOf(ref), ref.kind);
    const res = await this.raw('GET', objectPath(info, ref.name, ref.namespace));
    if (res.status === 404) return undefined;
    return this.check(res, 'GET', refName(ref)) as KubeObject;
  }

  async list(
    resource: ResourceInfo,
    opts: { namespace?: string; labelSelector?: string } = {},
  ): Promise<KubeObject[]> {
    const base = collectionPath(resource, resource.namespaced ? opts.namespace : undefined);
    const items: KubeObject[] = [];
    let cont: string | undefined;
    do {
      const q = new URLSearchParams({ limit: '500' });
      if (opts.labelSelector) q.set('labelSelector', opts.labelSelector);
      if (cont) q.set('continue', cont);
      const body = (await this.call('GET', `${base}?${q}`, undefined, undefined, resource.plural)) as {
        items?: KubeObject[];
        metadata?: { continue?: string };
      };
      const apiVersion = resource.group ? `${resource.group}/${resource.version}` : resource.version;
      // List items come without apiVersion/kind; fill them in so refs can be computed.
      for (const it of body.items ?? []) items.push({ ...it, apiVersion, kind: resource.kind });
      cont = body.metadata?.continue || undefined;
    } while (cont);
    return items;
  }

  async delete(ref: ObjectRef, opts: { dryRun?: boolean } = {}): Promise<void> {
    const info = await this.requireResource(apiVersionOf(ref), ref.kind);
    const q = opts.dryRun ? '?dryRun=All' : '';
    const res = await this.raw('DELETE', `${objectPath(info, ref.name, ref.namespace)}${q}`, {
      apiVersion: 'v1',
      kind: 'DeleteOptions',
      propagationPolicy: 'Background',
    });
    if (res.status === 404) return;
    this.check(res, 'DELETE', refName(ref));
  }

  async mergePatch(
    ref: ObjectRef,
    patch: unknown,
    opts: { fieldManager: string; subresource?: 'status'; resourceVersion?: string },
  ): Promise<KubeObject> {
    const info = await this.requireResource(apiVersionOf(ref), ref.kind);
    let path = objectPath(info, ref.name, ref.namespace);
    if (opts.subresource) path += `/${opts.subresource}`;
    const body =
      opts.resourceVersion === undefined
        ? patch
        : {
            ...(patch as object),
            metadata: {
              ...((patch as { metadata?: object }).metadata ?? {}),
              resourceVersion: opts.resourceVersion,
            },
          };
    const q = new URLSearchParams({ fieldManager: opts.fieldManager });
    return (await this.call(
      'PATCH',
      `${path}?${q}`,
      body,
      'application/merge-patch+json',
      refName(ref),
    )) as KubeObject;
  }

  resolve(apiVersion: string, kind: string): Promise<ResourceInfo | undefined> {
    return this.discovery.resolve(apiVersion, kind);
  }

  listResources(): Promise<readonly ResourceInfo[]> {
    return this.discovery.preferredResources();
  }

  invalidateDiscovery(): void {
    this.discovery.invalidate();
  }

  async clusterId(): Promise<string> {
    this.clusterIdCache ??= await this.readClusterId();
    return this.clusterIdCache;
  }

  /**
   * The kube-system namespace's UID. Like Kluctl, a user who may not GET that namespace but may list
   * namespaces still gets the id; one who may do neither gets the API's error.
   */
  private async readClusterId(): Promise<string> {
    const res = await this.raw('GET', '/api/v1/namespaces/kube-system');
    if (res.status !== 403)
      return (this.check(res, 'GET', 'Namespace kube-system') as KubeObject).metadata.uid ?? '';
    const list = (await this.call('GET', '/api/v1/namespaces', undefined, undefined, 'namespaces')) as {
      items?: KubeObject[];
    };
    const uid = list.items?.find((n) => n.metadata.name === 'kube-system')?.metadata.uid;
    if (!uid) throw new KubeApiError('KubeApi', 'kube-system namespace has no uid');
    return uid;
  }

  async serverVersion(): Promise<string> {
    this.serverVersionCache ??= (async () => {
      const v = (await this.call('GET', '/version', undefined, undefined, 'server version')) as {
        gitVersion?: string;
      };
      return v.gitVersion ?? '';
    })();
    return this.serverVersionCache;
  }

  /** GETs an API path (with limits, retries and error mapping) and returns the parsed JSON body. */
  getPath(path: string, what: string): Promise<unknown> {
    return this.call('GET', path, undefined, undefined, what);
  }

  /**
   * Opens a long-lived GET (a watch) with this client's server, credentials and identity, outside the
   * in-flight bound and the keep-alive pool, which a stream would hold for minutes. Resolves with the
   * response once its headers arrived; `signal` destroys the request.
   */
  openStream(path: string, signal: AbortSignal): Promise<http.IncomingMessage> {
    const url = new URL(path, this.conn.server);
    const mod = url.protocol === 'https:' ? https : http;
    return new Promise((resolve, reject) => {
      const req = mod.request(url, {
        ...this.conn.tls,
        method: 'GET',
        agent: false,
        signal,
        headers: { ...this.headers, accept: 'application/json' },
      });
      // A dead peer (a restarted API server behind a load balancer) is noticed without waiting for data.
      req.on('socket', (s) => s.setKeepAlive(true, 15_000));
      req.on('response', resolve);
      req.on('error', (err) =>
        reject(
          new KubeApiError('KubeApi', `watch on ${this.conn.server.origin} failed: ${err.message}`, {
            cause: err,
            retryable: true,
          }),
        ),
      );
      req.end();
    });
  }

  private async requireResource(apiVersion: string, kind: string): Promise<ResourceInfo> {
    const info = await this.discovery.resolve(apiVersion, kind);
    if (!info) {
      throw new KubeApiError('KubeNotFound', `no matches for kind "${kind}" in version "${apiVersion}"`, {
        status: 404,
      });
    }
    return info;
  }

  private async getJson(path: string): Promise<unknown | undefined> {
    const res = await this.raw('GET', path);
    if (res.status === 404) return undefined;
    return this.check(res, 'GET', path);
  }

  private async call(
    method: string,
    path: string,
    body: unknown,
    contentType: string | undefined,
    what: string,
  ): Promise<unknown> {
    return this.check(await this.raw(method, path, body, contentType), method, what);
  }

  private check(res: RawResponse, method: string, what: string): unknown {
    if (res.status >= 200 && res.status < 300) return res.body;
    const st = res.body as { message?: string; details?: { causes?: KubeApiError['causes'] } } | undefined;
    const msg = st?.message ?? `HTTP ${res.status}`;
    const code = res.status === 404 ? 'KubeNotFound' : res.status === 409 ? 'KubeConflict' : 'KubeApi';
    const retryable = res.status === 429 || res.status >= 500;
    throw new KubeApiError(code, `${method} ${what}: ${msg}`, {
      status: res.status,
      causes: st?.details?.causes ?? [],
      retryable,
      ...(st?.message ? { apiMessage: st.message } : {}),
    });
  }

  /**
   * Sends one request through the rate limiter and the in-flight bound, retrying throttled and
   * transient failures with exponential backoff (client-go retries 429 with Retry-After the same way).
   */
  private async raw(
    method: string,
    path: string,
    body?: unknown,
    contentType = 'application/json',
  ): Promise<RawResponse> {
    // Server-side apply is idempotent; merge patches (possibly conditional) are not retried.
    const idempotent = method !== 'PATCH' || contentType === 'application/apply-patch+yaml';
    for (let attempt = 0; ; attempt++) {
      const last = attempt >= this.conn.limits.maxRetries;
      let res: RawResponse;
      try {
        res = await this.sendLimited(method, path, body, contentType);
      } catch (err) {
        const code = ((err as { cause?: { code?: string } }).cause ?? {}).code;
        if (last || !idempotent || !TRANSIENT_NET_ERRORS.has(code ?? '')) throw err;
        await sleep(backoffMs(attempt));
        continue;
      }
      const retry = res.status === 429 || (res.status >= 500 && idempotent);
      if (!retry || last) return res;
      await sleep(
        Math.min(30_000, res.retryAfterS !== undefined ? res.retryAfterS * 1000 : backoffMs(attempt)),
      );
    }
  }

  private async sendLimited(
    method: string,
    path: string,
    body: unknown,
    contentType: string,
  ): Promise<RawResponse> {
    await this.conn.bucket.take();
    await this.conn.limiter.acquire();
    this.stats.total++;
    this.stats.byVerb[method] = (this.stats.byVerb[method] ?? 0) + 1;
    try {
      return await this.send(method, path, body, contentType);
    } finally {
      this.conn.limiter.release();
    }
  }

  private send(method: string, path: string, body: unknown, contentType: string): Promise<RawResponse> {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const url = new URL(path, this.conn.server);
    const mod = url.protocol === 'https:' ? https : http;
    return new Promise((resolve, reject) => {
      const req = mod.request(
        url,
        {
          ...this.conn.tls,
          method,
          agent: this.conn.agent,
          headers: {
            ...this.headers,
            accept: 'application/json',
            ...(payload ? { 'content-type': contentType, 'content-length': payload.length } : {}),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed: unknown;
            try {
              parsed = text ? JSON.parse(text) : undefined;
            } catch {
              parsed = { message: text.slice(0, 500) };
            }
            const ra = Number(res.headers['retry-after']);
            resolve({
              status: res.statusCode ?? 0,
              body: parsed,
              ...(Number.isFinite(ra) && ra >= 0 ? { retryAfterS: ra } : {}),
            });
          });
          res.on('error', reject);
        },
      );
      req.on('error', (err) =>
        reject(
          new KubeApiError(
            'KubeApi',
            `cannot reach the Kubernetes API at ${this.conn.server.origin}: ${err.message}`,
            { cause: err, retryable: true },
          ),
        ),
      );
      if (payload) req.write(payload);
      req.end();
    });
  }
}

/** Backoff before retry `attempt` (0-based): 100 ms doubling, capped at 5 s, with jitter. */
function backoffMs(attempt: number): number {
  const base = Math.min(5000, 100 * 2 ** attempt);
  return base / 2 + Math.random() * (base / 2);
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function apiVersionOf(ref: ObjectRef): string {
  return ref.group ? `${ref.group}/${ref.version}` : ref.version;
}

function refName(ref: ObjectRef): string {
  return `${ref.kind} ${ref.namespace ? `${ref.namespace}/` : ''}${ref.name}`;
}

function describe(obj: KubeObject): string {
  return `${obj.kind} ${obj.metadata.namespace ? `${obj.metadata.namespace}/` : ''}${obj.metadata.name}`;
}

function groupVersionPath(info: ResourceInfo): string {
  return info.group ? `/apis/${info.group}/${info.version}` : `/api/${info.version}`;
}

/** The path of a resource collection, in `namespace` when given and the resource is namespaced. */
export function collectionPath(info: ResourceInfo, namespace: string | undefined): string {
  const ns = info.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : '';
  return `${groupVersionPath(info)}${ns}/${info.plural}`;
}

function objectPath(info: ResourceInfo, name: string, namespace: string | undefined): string {
  if (info.namespaced && !namespace) {
    throw new KubeApiError('KubeApi', `${info.kind} ${name} is namespaced but has no namespace`);
  }
  return `${collectionPath(info, namespace)}/${encodeURIComponent(name)}`;
}
