/**
 * The local runner's HTTP endpoint (`run --listen 127.0.0.1:PORT`): `GET /healthz`, `GET /metrics`
 * (Prometheus text) and `POST /webhook/{github,gitlab,gitea,bitbucket,generic}`, the last through the
 * same code as the webhook function (lib/serverless/webhook.ts). Bodies are read up to the limit only:
 * a larger declared length is refused before reading, a larger stream is discarded past the limit.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KsError, errorMessage } from '../errors.js';
import type { Logger } from '../ports.js';
import { MAX_WEBHOOK_BYTES, handleWebhook, tooLargeAnswer } from '../serverless/webhook.js';
import type { WebhookDeps } from '../serverless/webhook.js';

/** What `/healthz` reports. */
export interface RunnerHealth {
  /** Healthy answers 200, otherwise 503. */
  readonly ok: boolean;
  readonly [detail: string]: unknown;
}

/** Options of {@link startRunnerHttp}. */
export interface RunnerHttpOptions {
  /** `host:port`; port 0 picks a free one. */
  readonly listen: string;
  /** Absent: `/webhook/*` answers 404 (no secret configured). */
  readonly webhook?: WebhookDeps;
  readonly health: () => RunnerHealth;
  readonly metrics: () => string;
  /** Called after each webhook request (for the metrics). */
  readonly onWebhook?: (provider: string, status: number) => void;
  readonly logger: Logger;
}

/** A running endpoint. */
export interface RunnerHttp {
  /** The address it listens on, e.g. `127.0.0.1:41234`. */
  readonly address: string;
  /** Stops accepting connections and closes idle ones; resolves when the server is closed. */
  close(): Promise<void>;
}

/** A body this many times the limit is still read (and discarded) so the client sees the 413. */
const DRAIN_FACTOR = 8;

/** Parses `host:port` (IPv6 in brackets); throws naming the flag and the fix. */
export function parseListen(listen: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(listen);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) {
    throw new KsError(
      'InvalidInput',
      `invalid --listen '${listen}': expected host:port, e.g. 127.0.0.1:8080`,
    );
  }
  return { host: (m[1] ?? m[2])!, port };
}

/** Starts the endpoint. */
export async function startRunnerHttp(opts: RunnerHttpOptions): Promise<RunnerHttp> {
  const { host, port } = parseListen(opts.listen);
  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    route(req, res, opts).catch((err: unknown) => {
      opts.logger.error('http request failed', { path: req.url?.slice(0, 100), error: errorMessage(err) });
      if (!res.headersSent) send(res, 500, { message: 'internal error' });
    });
  };
  const server = createServer(handle);
  // `Expect: 100-continue` (curl does it for large bodies): refuse an oversized body before it is sent.
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
    const limit = opts.webhook?.maxBodyBytes ?? MAX_WEBHOOK_BYTES;
    if (Number(req.headers['content-length']) > limit) {
      res.setHeader('connection', 'close');
      send(res, 413, tooLargeAnswer(limit).body);
      return;
    }
    res.writeContinue();
    handle(req, res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const addr = server.address() as AddressInfo;
  return {
    address: `${addr.family === 'IPv6' ? `[${addr.address}]` : addr.address}:${addr.port}`,
    close: () => closeServer(server),
  };
}

async function route(req: IncomingMessage, res: ServerResponse, opts: RunnerHttpOptions): Promise<void> {
  const path = (req.url ?? '/').split('?')[0]!;
  if (path === '/healthz' || path === '/metrics') {
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, { message: 'use GET' });
    if (path === '/metrics') {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
      res.end(opts.metrics());
      return;
    }
    const health = opts.health();
    return send(res, health.ok ? 200 : 503, health);
  }
  const m = /^\/webhook\/([^/]+)$/.exec(path);
  if (!m) return send(res, 404, { message: 'not found; see /healthz, /metrics and /webhook/<provider>' });
  const provider = decodeURIComponent(m[1]!);
  if (req.method !== 'POST') return send(res, 405, { message: 'webhooks are POSTed' });
  if (!opts.webhook) {
    return send(res, 404, {
      message:
        'webhooks are off: start the runner with --webhook-secret-file or KLUCTL_SERVERLESS_WEBHOOK_SECRET',
    });
  }
  const limit = opts.webhook.maxBodyBytes ?? MAX_WEBHOOK_BYTES;
  // A body far over the limit is not read at all; one somewhat over it is drained, so the client, still
  // sending, reads the 413 instead of a reset connection.
  const declared = Number(req.headers['content-length']);
  const body =
    Number.isFinite(declared) && declared > limit * DRAIN_FACTOR
      ? tooLarge(limit)
      : await readLimited(req, limit);
  const out = await handleWebhook({ provider, headers: flatHeaders(req), body }, opts.webhook);
  opts.onWebhook?.(provider, out.status);
  if (out.status === 413) res.setHeader('connection', 'close');
  send(res, out.status, out.body);
}

/** A stand-in body one byte over the limit: the webhook core then answers 413 without it being read. */
function tooLarge(limit: number): Uint8Array {
  return new Uint8Array(limit + 1);
}

/**
 * Reads at most `limit + 1` bytes (enough to know the body is too large); the rest is discarded, up to
 * {@link DRAIN_FACTOR} times the limit, after which the connection is cut.
 */
function readLimited(req: IncomingMessage, limit: number): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let kept = 0;
    let seen = 0;
    req.on('data', (c: Buffer) => {
      seen += c.length;
      if (kept <= limit) {
        const take = c.subarray(0, limit + 1 - kept);
        chunks.push(take);
        kept += take.length;
      }
      if (seen > limit * DRAIN_FACTOR) {
        req.destroy();
        resolve(Buffer.concat(chunks));
      }
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** Node's headers as one string per lower-case name (repeated headers joined as Node joins them). */
function flatHeaders(req: IncomingMessage): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(req.headers)) out[k] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(`${JSON.stringify(body)}\n`);
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
  });
}
