/**
 * Logging in: static users (`POST /api/login`), OIDC (`GET /api/auth/oidc/login` and its callback),
 * and `GET /api/auth/info`, which tells the login page which of them are on.
 */
import { readCookie, sessionCookie } from './sessions.js';
import type { SessionGrant, WebuiSession } from './sessions.js';
import { authenticate } from './users.js';
import type { WebuiIdentity } from './users.js';
import { readJson, requirePost, requireSameOrigin, send } from './http-util.js';
import type { ApiContext } from './webui-context.js';

/** The cookie binding an OIDC login to the browser that started it. */
const OIDC_STATE_COOKIE = 'ks_oidc_state';

/** Serves the auth routes. */
export async function routeAuth(c: ApiContext, path: string): Promise<void> {
  if (path === '/api/login') return login(c);
  if (path === '/api/auth/info') {
    return send(c.res, 200, { staticUsers: c.opts.users.length > 0, oidc: c.oidc !== undefined });
  }
  if (!c.oidc) return send(c.res, 404, { message: 'OIDC login is not configured' });
  const secure = c.opts.secureCookies ? '; Secure' : '';
  if (path === '/api/auth/oidc/login') {
    const { url, state } = await c.oidc.start();
    // Lax, not Strict: the provider's redirect back is a cross-site navigation that must carry it.
    // Path=/: the callback may be configured below /api/ (runner) or /ui/api/ (AWS).
    c.res.setHeader(
      'set-cookie',
      `${OIDC_STATE_COOKIE}=${state}; Path=/; HttpOnly; SameSite=Lax; Max-Age=600${secure}`,
    );
    c.res.writeHead(302, { location: url }).end();
    return;
  }
  if (path === '/api/auth/oidc/callback') {
    const q = new URL(c.req.url ?? '/', 'http://localhost').searchParams;
    const grant = await c.oidc.finish(
      q.get('code') ?? '',
      q.get('state') ?? '',
      readCookie(c.req.headers.cookie, OIDC_STATE_COOKIE),
    );
    const session = startSession(c, grant.identity, 'oidc', grant);
    c.res.setHeader('set-cookie', [
      sessionCookieOf(c, session),
      `${OIDC_STATE_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0${secure}`,
    ]);
    c.res.writeHead(302, { location: '/ui/' }).end();
    return;
  }
  return send(c.res, 404, { message: `no API ${path}` });
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
  const session = startSession(c, identity, 'password');
  c.res.setHeader('set-cookie', sessionCookieOf(c, session));
  send(c.res, 200, me(session));
}

/** What `/api/me` and a login answer: the user, the role and the CSRF token. */
export function me(s: WebuiSession): Record<string, unknown> {
  return { user: s.identity.name, role: s.identity.role, csrfToken: s.csrfToken };
}

function startSession(
  c: ApiContext,
  identity: WebuiIdentity,
  method: string,
  grant?: SessionGrant,
): WebuiSession {
  const session = c.sessions.create(identity, grant);
  c.log.info('web UI login', {
    user: identity.name,
    role: identity.role,
    method,
    ...(grant ? { refreshable: grant.refreshToken !== undefined } : {}),
  });
  return session;
}

/** The Set-Cookie value that carries `session` for the rest of its life. */
export function sessionCookieOf(c: ApiContext, session: WebuiSession): string {
  return sessionCookie(session.id, {
    maxAgeS: Math.floor((session.expiresAt - c.opts.clock.now().getTime()) / 1000),
    secure: c.opts.secureCookies ?? false,
  });
}
