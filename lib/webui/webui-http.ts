/**
 * The web UI over HTTP: the page under `/ui/`, a JSON API under `/api/`, live updates at
 * `/api/events`. Reads need a session (any role); actions need the admin role, the session's CSRF
 * token in `X-CSRF-Token`, and a same-origin request. Every action is logged with who did it. The
 * runner's endpoint (lib/runner/runner-http.ts) hands every request to {@link Webui.handle} first.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { KsError, errorMessage } from '../errors.js';
import type { Clock, Logger } from '../ports.js';
import { loadAssets } from './webui-assets.js';
import type { AssetMap } from './webui-assets.js';
import { WebuiApi } from './webui-api.js';
import type { WebuiCluster } from './webui-cluster.js';
import { DeploymentEvents } from './webui-events.js';
import {
  CSRF_HEADER,
  SESSION_COOKIE,
  SessionStore,
  csrfMatches,
  readCookie,
  sessionCookie,
} from './sessions.js';
import type { WebuiSession } from './sessions.js';
import { authenticate } from './users.js';
import type { WebuiUser } from './users.js';

/** Options of {@link createWebui}. */
export interface WebuiOptions {
  readonly clusters: readonly WebuiCluster[];
  readonly users: readonly WebuiUser[];
  readonly clock: Clock;
  readonly logger: Logger;
  /** Folder of the page's files; default the package's `webui/`. */
  readonly assetsDir?: string;
  /** Set `Secure` on the cookie (serve behind HTTPS); default false, as the runner listens on HTTP. */
  readonly secureCookies?: boolean;
  /** Live update interval; default 2000 ms. */
  readonly pollMs?: number;
}

/** The web UI of one runner. */
export interface Webui {
  /** Serves `req` if it is the UI's (true), else leaves it to the caller (false). */
  handle(req: IncomingMessage, res: ServerResponse): Promise<boolean>;
  /** Ends the live update streams. */
  close(): void;
}

/** Page security: nothing but our own files, no framing, no inline script. */
const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
} as const;

/** Largest JSON body the API reads. */
const MAX_BODY = 64 * 1024;

/** Builds the web UI (reads its files once; throws if one is missing). */
export async function createWebui(opts: WebuiOptions): Promise<Webui> {
  const assets = await loadAssets(opts.assetsDir);
  const sessions = new SessionStore(opts.clock);
  const api = new WebuiApi(opts.clusters, opts.clock);
  const events = new DeploymentEvents({
    list: () => api.summaries(),
    logger: opts.logger,
    ...(opts.pollMs ? { pollMs: opts.pollMs } : {}),
  });
  const log = opts.logger.child({ component: 'webui' });
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = url.pathname;
    if (path === '/' && req.method === 'GET') {
      res.writeHead(302, { location: '/ui/' }).end();
      return true;
    }
    if (path === '/ui' || path.startsWith('/ui/')) {
      serveAsset(req, res, assets, path);
      return true;
    }
    if (!path.startsWith('/api/')) return false;
    try {
      await routeApi({ req, res, path, sessions, api, events, log, opts });
    } catch (err) {
      sendError(res, err, log, path);
    }
    return true;
  };
  return { handle, close: () => events.close() };
}

interface ApiContext {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly path: string;
  readonly sessions: SessionStore;
  readonly api: WebuiApi;
  readonly events: DeploymentEvents;
  readonly log: Logger;
  readonly opts: WebuiOptions;
}

async function routeApi(c: ApiContext): Promise<void> {
  const { req, res, path } = c;
  if (path === '/api/login') return login(c);
  const session = c.sessions.get(readCookie(req.headers.cookie, SESSION_COOKIE));
  if (path === '/api/logout') {
    requirePost(req);
    requireSameOrigin(req);
    c.sessions.delete(session?.id);
    res.setHeader('set-cookie', sessionCookie('', { maxAgeS: 0, secure: c.opts.secureCookies ?? false }));
    return send(res, 200, { ok: true });
  }
  if (!session) return send(res, 401, { message: 'log in first' });
  if (path === '/api/me') return send(res, 200, me(session));
  if (path === '/api/events') {
    c.events.subscribe(res);
    return;
  }
  if (path === '/api/deployments') return send(res, 200, { deployments: await c.api.summaries() });
  const m =
    /^\/api\/deployments\/([^/]+)\/([^/]+)\/([^/]+)(?:\/(results|actions)\/([^/]+)(?:\/([^/]+))?)?$/.exec(
      path,
    );
  if (!m) return send(res, 404, { message: `no API ${path}` });
  const key = { clusterId: dec(m[1]!), namespace: dec(m[2]!), name: dec(m[3]!) };
  if (!m[4]) return send(res, 200, await c.api.detail(key));
  if (m[4] === 'results') {
    return send(res, 200, await c.api.result(key, dec(m[5]!), dec(m[6] ?? '')));
  }
  requirePost(req);
  requireSameOrigin(req);
  if (session.identity.role !== 'admin') {
    c.log.warn('web UI action refused', { user: session.identity.name, action: m[5], ...key });
    return send(res, 403, {
      message: `user ${session.identity.name} is a viewer; actions need the admin role`,
    });
  }
  if (!csrfMatches(session, headerOf(req, CSRF_HEADER))) {
    return send(res, 403, { message: 'missing or wrong CSRF token; reload the page' });
  }
  const body = (await readJson(req)) as { hash?: unknown };
  const action = dec(m[5]!);
  const done = await c.api.act(key, action, typeof body.hash === 'string' ? body.hash : undefined);
  c.log.info('web UI action', {
    user: session.identity.name,
    role: session.identity.role,
    action,
    ...key,
    ...(done.requestValue ? { requestValue: done.requestValue } : {}),
    ...(typeof body.hash === 'string' ? { hash: body.hash } : {}),
  });
  void c.events.poke();
  return send(res, 202, done);
}

async function login(c: ApiContext): Promise<void> {
  requirePost(c.req);
  requireSameOrigin(c.req);
  const body = (await readJson(c.req)) as { name?: unknown; password?: unknown };
  const name = typeof body.name === 'string' ? body.name : '';
  const password = typeof body.password === 'string' ? body.password : '';
  const identity = name && password ? await authenticate(c.opts.users, name, password) : undefined;
  if (!identity) {
    c.log.warn('web UI login failed', { user: name.slice(0, 100) });
    return send(c.res, 401, { message: 'wrong user name or password' });
  }
  const session = c.sessions.create(identity);
  c.log.info('web UI login', { user: identity.name, role: identity.role });
  c.res.setHeader(
    'set-cookie',
    sessionCookie(session.id, {
      maxAgeS: Math.floor((session.expiresAt - c.opts.clock.now().getTime()) / 1000),
      secure: c.opts.secureCookies ?? false,
    }),
  );
  send(c.res, 200, me(session));
}

function me(s: WebuiSession): Record<string, unknown> {
  return { user: s.identity.name, role: s.identity.role, csrfToken: s.csrfToken };
}

function serveAsset(req: IncomingMessage, res: ServerResponse, assets: AssetMap, path: string): void {
  const name = path === '/ui' || path === '/ui/' ? 'index.html' : path.slice('/ui/'.length);
  // Client-side routes (/ui/d/...) get the page; the page's script reads the path.
  const a = assets.get(name) ?? (name.includes('.') ? undefined : assets.get('index.html'));
  if (!a) {
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
    return;
  }
  const headers = {
    ...SECURITY_HEADERS,
    'content-type': a.contentType,
    etag: a.etag,
    'cache-control': 'no-cache',
  };
  if (req.headers['if-none-match'] === a.etag) {
    res.writeHead(304, headers).end();
    return;
  }
  res.writeHead(200, headers).end(req.method === 'HEAD' ? undefined : a.body);
}

function requirePost(req: IncomingMessage): void {
  if (req.method !== 'POST') throw new HttpError(405, 'use POST');
}

/**
 * Refuses a request whose Origin (sent by browsers on every POST) is not this server: with the
 * SameSite=Strict cookie and the CSRF token, the third guard against cross-site requests.
 */
function requireSameOrigin(req: IncomingMessage): void {
  const origin = headerOf(req, 'origin');
  if (origin === undefined) return;
  let host: string;
  try {
    host = new URL(origin).host;
  } catch {
    throw new HttpError(403, 'bad Origin header');
  }
  if (host !== req.headers.host) throw new HttpError(403, `cross-origin request from ${origin} refused`);
}

function headerOf(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const type = headerOf(req, 'content-type') ?? '';
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) throw new HttpError(413, `body larger than ${MAX_BODY} bytes`);
    chunks.push(chunk);
  }
  if (size === 0) return {};
  // JSON only: a cross-site form cannot send it without a preflight.
  if (!type.startsWith('application/json')) throw new HttpError(415, 'send application/json');
  try {
    const v = JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
    return typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : {};
  } catch {
    throw new HttpError(400, 'body is not JSON');
  }
}

/** An answer with a status code, thrown from deep inside a route. */
export class HttpError extends KsError {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super('InvalidInput', message);
  }
}

function sendError(res: ServerResponse, err: unknown, log: Logger, path: string): void {
  const status =
    err instanceof HttpError
      ? err.status
      : err instanceof KsError
        ? ({ InvalidInput: 400, KubeNotFound: 404, KubeConflict: 409 }[err.code as string] ?? 500)
        : 500;
  if (status === 500) log.error('web UI request failed', { path, error: errorMessage(err) });
  if (res.headersSent) {
    res.end();
    return;
  }
  send(res, status, { message: status === 500 ? 'internal error; see the runner log' : errorMessage(err) });
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, {
    'content-type': 'application/json',
    'cache-control': 'no-store',
    ...SECURITY_HEADERS,
  });
  res.end(`${JSON.stringify(body)}\n`);
}

function dec(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    throw new HttpError(400, `bad path segment ${s}`);
  }
}
