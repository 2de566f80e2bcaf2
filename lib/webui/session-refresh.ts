/**
 * The request's session, with an OIDC identity kept current: once a session's refresh time has come,
 * its refresh token is spent at the provider for a new ID token and the session renewed (new role
 * included); a session without a refresh token has already ended with its ID token (sessions.ts).
 * A refresh that fails leaves the session as it was until its identity expires, and ends it after.
 */
import { errorMessage } from '../errors.js';
import type { OidcGrant } from './oidc.js';
import { SESSION_COOKIE, readCookie } from './sessions.js';
import type { WebuiSession } from './sessions.js';
import { sessionCookieOf } from './webui-auth.js';
import type { ApiContext } from './webui-context.js';

/**
 * Refreshes under way, by refresh token: the page sends several requests at once, and a provider that
 * rotates refresh tokens accepts each only once.
 */
const inFlight = new Map<string, Promise<OidcGrant>>();

/** The live session of the request (renewed and its cookie set again when due), if any. */
export async function currentSession(c: ApiContext): Promise<WebuiSession | undefined> {
  const s = c.sessions.get(readCookie(c.req.headers.cookie, SESSION_COOKIE));
  const now = c.opts.clock.now().getTime();
  if (!s || s.refreshAt === undefined || now < s.refreshAt) return s;
  // refreshAt comes a little before the ID token's expiry; the identity holds until then.
  const identityExpired = now >= (s.identityExpiresAt ?? s.refreshAt);
  if (!s.refreshToken || !c.oidc) return identityExpired ? undefined : s;
  const token = s.refreshToken;
  let refreshing = inFlight.get(token);
  if (!refreshing) {
    refreshing = c.oidc.refresh(token, s.identity);
    inFlight.set(token, refreshing);
    void refreshing.then(
      () => setTimeout(() => inFlight.delete(token), 5000).unref(),
      () => inFlight.delete(token),
    );
  }
  try {
    const grant = await refreshing;
    const renewed = c.sessions.renew(s, grant.identity, grant);
    c.res.setHeader('set-cookie', sessionCookieOf(c, renewed));
    c.log.info('web UI session refreshed', { user: grant.identity.name, role: grant.identity.role });
    return renewed;
  } catch (err) {
    c.log.warn('web UI session refresh failed', {
      user: s.identity.name,
      error: errorMessage(err),
      ended: identityExpired,
    });
    if (!identityExpired) return s;
    c.sessions.delete(s.id);
    return undefined;
  }
}
