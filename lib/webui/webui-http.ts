/**
 * The web UI over HTTP: the page under `/ui/`, a JSON API under `/api/`, live updates at
 * `/api/events`. Reads need a session (any role); actions need the admin role, the session's CSRF
 * token in `X-CSRF-Token`, and a same-origin request. Every action is logged with who did it. The
 * runner's endpoint (lib/runner/runner-http.ts) hands every request to {@link Webui.handle} first.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  SECURITY_HEADERS,
  dec,
  headerOf,
  readJson,
  requirePost,
  requireSameOrigin,
  send,
  sendError,
} from './http-util.js';
import { OidcLogin } from './oidc.js';
import { currentSession } from './session-refresh.js';
import { me, routeAuth } from './webui-auth.js';
import type { ApiContext, WebuiOptions } from './webui-context.js';
import { loadAssets } from './webui-assets.js';
import type { AssetMap } from './webui-assets.js';
import { WebuiApi } from './webui-api.js';
import { DeploymentEvents } from './webui-events.js';
import {
  CSRF_HEADER,
  SESSION_COOKIE,
  SessionStore,
  csrfMatches,
  readCookie,
  sessionCookie,
} from './sessions.js';

export type { WebuiOptions } from './webui-context.js';

/** The web UI of one runner. */
export interface Webui {
  /** Serves `req` if it is the UI's (true), else leaves it to the caller (false). */
  handle(req: IncomingMessage, res: ServerResponse): Promise<boolean>;
  /** Ends the live update streams. */
  close(): void;
}

/** Builds the web UI (reads its files once; throws if one is missing). */
export async function createWebui(opts: WebuiOptions): Promise<Webui> {
  const assets = await loadAssets(opts.assetsDir);
  const sessions = opts.sessions ?? new SessionStore(opts.clock);
  const api = new WebuiApi(opts.clusters, opts.clock);
  const events = new DeploymentEvents({
    list: () => api.summaries(),
    logger: opts.logger,
    ...(opts.pollMs ? { pollMs: opts.pollMs } : {}),
  });
  const log = opts.logger.child({ component: 'webui' });
  const oidc = opts.oidc ? new OidcLogin(opts.oidc, opts.clock, opts.oidcStateKey) : undefined;
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    // The page calls the API below /ui/api/, so a host that routes only /ui/* (the HTTP API on AWS)
    // serves all of it; /api/ stays as the runner's original path.
    const path = url.pathname.startsWith('/ui/api/') ? url.pathname.slice('/ui'.length) : url.pathname;
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
      await routeApi({ req, res, path, sessions, api, events, log, opts, oidc });
    } catch (err) {
      sendError(res, err, log, path);
    }
    return true;
  };
  return { handle, close: () => events.close() };
}

/** Routes `/api/*` (auth first, then everything that needs a session). */
async function routeApi(c: ApiContext): Promise<void> {
  const { req, res, path } = c;
  if (path.startsWith('/api/auth/') || path === '/api/login') return routeAuth(c, path);
  if (path === '/api/logout') {
    requirePost(req);
    requireSameOrigin(req);
    c.sessions.delete(c.sessions.get(readCookie(req.headers.cookie, SESSION_COOKIE))?.id);
    res.setHeader('set-cookie', sessionCookie('', { maxAgeS: 0, secure: c.opts.secureCookies ?? false }));
    return send(res, 200, { ok: true });
  }
  const session = await currentSession(c);
  if (!session) return send(res, 401, { message: 'log in first' });
  if (path === '/api/me') return send(res, 200, me(session));
  if (path === '/api/events') {
    if (c.opts.stream === false)
      return send(res, 404, { message: 'no event stream here; poll /api/deployments' });
    // The stream ends when the session needs a look (refresh or expiry): the browser reconnects,
    // and the new request renews the session or is refused.
    c.events.subscribe(res, session.refreshAt ?? session.expiresAt);
    return;
  }
  if (path === '/api/deployments') {
    const live =
      c.opts.stream === false ? { stream: false, pollMs: c.opts.pollMs ?? 5000 } : { stream: true };
    return send(res, 200, { deployments: await c.api.summaries(), ...live });
  }
  const m =
    /^\/api\/deployments\/([^/]+)\/([^/]+)\/([^/]+)(?:\/(logs)|\/(results|actions)\/([^/]+)(?:\/([^/]+))?)?$/.exec(
      path,
    );
  if (!m) return send(res, 404, { message: `no API ${path}` });
  const key = { clusterId: dec(m[1]!), namespace: dec(m[2]!), name: dec(m[3]!) };
  if (m[4]) return send(res, 200, { logs: await c.api.logs(key) });
  if (!m[5]) return send(res, 200, await c.api.detail(key));
  if (m[5] === 'results') {
    return send(res, 200, await c.api.result(key, dec(m[6]!), dec(m[7] ?? '')));
  }
  requirePost(req);
  requireSameOrigin(req);
  if (session.identity.role !== 'admin') {
    c.log.warn('web UI action refused', { user: session.identity.name, action: m[6], ...key });
    return send(res, 403, {
      message: `user ${session.identity.name} is a viewer; actions need the admin role`,
    });
  }
  if (!csrfMatches(session, headerOf(req, CSRF_HEADER))) {
    return send(res, 403, { message: 'missing or wrong CSRF token; reload the page' });
  }
  const body = (await readJson(req)) as { hash?: unknown };
  const action = dec(m[6]!);
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
