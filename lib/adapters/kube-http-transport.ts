/**
 * The HTTP side of HttpKubeClient: `@kubernetes/client-node` loads the kubeconfig and supplies TLS
 * material and credentials; requests go through one keep-alive agent per kubeconfig, a client-side rate
 * limit and an in-flight bound shared by every identity over it, are retried when throttled or cut off,
 * counted, and answered statuses outside 2xx become KubeApiError.
 */
import http from 'node:http';
import https from 'node:https';
import { KubeApiError } from '../errors.js';
import { Semaphore } from '../util/semaphore.js';
import { TokenBucket } from '../util/token-bucket.js';
import { lazyImport } from '../util/lazy-import.js';

const loadClientNode = lazyImport(() => import('./sdk-kube-config.js'));

/** Where the kubeconfig comes from, and the limits of the connection (HttpKubeClient.fromKubeconfig). */
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

/** One response, its body parsed as JSON (or `{message}` holding the start of a non-JSON body). */
export interface RawResponse {
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

/** Connection and limits of one kubeconfig, shared by the transports that impersonate over it. */
export interface KubeConnection {
  readonly server: URL;
  readonly tls: https.RequestOptions;
  readonly agent: http.Agent;
  readonly limiter: Semaphore;
  readonly bucket: TokenBucket;
  readonly limits: { qps: number; burst: number; maxRetries: number };
}

/** Opens the connection of a kubeconfig; throws KubeApiError when the context does not exist. */
export async function openKubeConnection(src: KubeconfigSource = {}): Promise<KubeConnection> {
  // Loaded on first use: client-node (with undici) is the largest module of the bundles.
  const { KubeConfig } = await loadClientNode();
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
  return {
    server,
    tls,
    agent,
    limiter: new Semaphore(maxInFlight),
    bucket: new TokenBucket({ qps: limits.qps, burst: limits.burst }),
    limits,
  };
}

/**
 * The User-Agent of every request, in client-go's form (`<program> (<os>/<arch>) <runtime>`), so that
 * the API server's audit log and its operators can tell the reconciler's requests from others'.
 */
export const KUBE_USER_AGENT = `kluctl-serverless (${process.platform}/${process.arch}) node/${process.version}`;

/** Request headers that carry impersonation; dropped from a kubeconfig's own when a user is forced. */
const IMPERSONATION_HEADER = /^impersonate-/i;

/** One request as {@link KubeTransport.raw} sends it. */
interface OutgoingRequest {
  readonly method: string;
  readonly path: string;
  readonly body: unknown;
  readonly contentType: string;
  readonly accept: string;
}

/** Requests as one identity over a {@link KubeConnection}, counted in {@link KubeTransport.stats}. */
export class KubeTransport {
  readonly stats: RequestStats = { total: 0, byVerb: {} };
  private readonly headers: Readonly<Record<string, string | number | string[]>>;

  /** `impersonateUser` wins over an impersonation of the kubeconfig itself; default: its own identity. */
  constructor(
    private readonly conn: KubeConnection,
    impersonateUser: string | undefined,
  ) {
    const base = {
      'user-agent': KUBE_USER_AGENT,
      ...(conn.tls.headers as Record<string, string | number | string[]> | undefined),
    };
    this.headers =
      impersonateUser === undefined
        ? base
        : {
            ...Object.fromEntries(Object.entries(base).filter(([k]) => !IMPERSONATION_HEADER.test(k))),
            'Impersonate-User': impersonateUser,
          };
  }

  /**
   * Opens a long-lived GET (a watch) with this identity, outside the in-flight bound and the keep-alive
   * pool, which a stream would hold for minutes. Resolves with the response once its headers arrived;
   * `signal` destroys the request.
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
      req.on('socket', (sock) => sock.setKeepAlive(true, 15_000));
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

  /** Sends a request and returns the body of a 2xx answer; other answers throw (see {@link check}). */
  async call(
    method: string,
    path: string,
    body: unknown,
    contentType: string | undefined,
    what: string,
  ): Promise<unknown> {
    return this.check(await this.raw(method, path, body, contentType), method, what);
  }

  /** The body of a 2xx answer; else a KubeApiError `<method> <what>: <the API's message>`. */
  check(res: RawResponse, method: string, what: string): unknown {
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
  async raw(
    method: string,
    path: string,
    body?: unknown,
    contentType = 'application/json',
    accept = 'application/json',
  ): Promise<RawResponse> {
    // Server-side apply is idempotent; merge patches (possibly conditional) are not retried.
    const idempotent = method !== 'PATCH' || contentType === 'application/apply-patch+yaml';
    for (let attempt = 0; ; attempt++) {
      const last = attempt >= this.conn.limits.maxRetries;
      let res: RawResponse;
      try {
        res = await this.sendLimited({ method, path, body, contentType, accept });
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

  private async sendLimited(r: OutgoingRequest): Promise<RawResponse> {
    await this.conn.bucket.take();
    await this.conn.limiter.acquire();
    this.stats.total++;
    this.stats.byVerb[r.method] = (this.stats.byVerb[r.method] ?? 0) + 1;
    try {
      return await this.send(r);
    } finally {
      this.conn.limiter.release();
    }
  }

  private send({ method, path, body, contentType, accept }: OutgoingRequest): Promise<RawResponse> {
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
            accept,
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
