/**
 * Web UI sessions: a random id in an HttpOnly, SameSite=Strict cookie, and per session a CSRF token the
 * page sends back in a header on every action (the cookie alone never authorises a change). Sessions
 * live in the runner's memory: a restart logs everyone out, which is acceptable for one process.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../ports.js';
import type { WebuiIdentity } from './users.js';

/** The session cookie's name. */
export const SESSION_COOKIE = 'ks_session';
/** The header that carries the CSRF token on actions. */
export const CSRF_HEADER = 'x-csrf-token';
/** Default session lifetime: 12 hours (a working day), as Kluctl's Webui session. */
export const DEFAULT_SESSION_MS = 12 * 3600_000;

/** One logged-in session. */
export interface WebuiSession {
  readonly id: string;
  readonly identity: WebuiIdentity;
  readonly csrfToken: string;
  readonly expiresAt: number;
  /** OIDC: when the identity is to be renewed with {@link refreshToken}. */
  readonly refreshAt?: number;
  /** OIDC with a refresh token: when the identity expires unless renewed. */
  readonly identityExpiresAt?: number;
  /** OIDC: the provider's refresh token (never sent to the page). */
  readonly refreshToken?: string;
}

/** How an OIDC login bounds its session: the ID token's expiry, and the refresh token if any. */
export interface SessionGrant {
  /** When the identity expires (the ID token's `exp`, ms). */
  readonly identityExpiresAt: number;
  readonly refreshToken?: string;
}

/**
 * The expiry and refresh time of a session for `grant` at `now`. Without a refresh token the session
 * ends with the ID token; with one, it lasts `ttlMs` and the identity is renewed a little before the
 * ID token expires (a quarter of its remaining life, at most a minute early).
 */
export function sessionTimes(
  now: number,
  ttlMs: number,
  grant: SessionGrant | undefined,
): { expiresAt: number; refreshAt?: number; identityExpiresAt?: number } {
  if (!grant) return { expiresAt: now + ttlMs };
  if (!grant.refreshToken) return { expiresAt: Math.min(now + ttlMs, grant.identityExpiresAt) };
  const early = Math.min(60_000, Math.max(0, grant.identityExpiresAt - now) / 4);
  return {
    expiresAt: now + ttlMs,
    refreshAt: grant.identityExpiresAt - early,
    identityExpiresAt: grant.identityExpiresAt,
  };
}

/**
 * Where sessions live: the runner keeps them in memory ({@link SessionStore}); the Lambda function,
 * whose instances share nothing, signs them into the cookie (signed-sessions.ts).
 */
export interface WebuiSessions {
  /** Starts a session for `identity` (bounded by `grant` for OIDC); its `id` is the cookie value. */
  create(identity: WebuiIdentity, grant?: SessionGrant): WebuiSession;
  /**
   * The session with its identity renewed (an OIDC refresh): same CSRF token and overall expiry; the
   * `id` may change (a signed cookie does), so the caller sets the cookie again.
   */
  renew(session: WebuiSession, identity: WebuiIdentity, grant: SessionGrant): WebuiSession;
  /** The live session of a cookie value, if any. */
  get(id: string | undefined): WebuiSession | undefined;
  /** Ends a session (where the store can). */
  delete(id: string | undefined): void;
}

/** In-memory sessions with expiry. */
export class SessionStore implements WebuiSessions {
  private readonly sessions = new Map<string, WebuiSession>();

  constructor(
    private readonly clock: Clock,
    private readonly ttlMs = DEFAULT_SESSION_MS,
  ) {}

  /** Starts a session for `identity`. */
  create(identity: WebuiIdentity, grant?: SessionGrant): WebuiSession {
    this.sweep();
    const s: WebuiSession = {
      id: token(),
      identity,
      csrfToken: token(),
      ...sessionTimes(this.clock.now().getTime(), this.ttlMs, grant),
      ...(grant?.refreshToken ? { refreshToken: grant.refreshToken } : {}),
    };
    this.sessions.set(s.id, s);
    return s;
  }

  /** Replaces the stored session's identity, refresh time and token; the id stays. */
  renew(session: WebuiSession, identity: WebuiIdentity, grant: SessionGrant): WebuiSession {
    const { refreshAt, identityExpiresAt } = sessionTimes(this.clock.now().getTime(), this.ttlMs, grant);
    const s: WebuiSession = {
      ...session,
      identity,
      ...(refreshAt !== undefined ? { refreshAt, identityExpiresAt } : {}),
      ...(grant.refreshToken ? { refreshToken: grant.refreshToken } : {}),
    };
    if (this.sessions.has(s.id)) this.sessions.set(s.id, s);
    return s;
  }

  /** The live session of `id`, if any. */
  get(id: string | undefined): WebuiSession | undefined {
    if (!id) return undefined;
    const s = this.sessions.get(id);
    if (!s) return undefined;
    if (s.expiresAt <= this.clock.now().getTime()) {
      this.sessions.delete(id);
      return undefined;
    }
    return s;
  }

  /** Ends a session. */
  delete(id: string | undefined): void {
    if (id) this.sessions.delete(id);
  }

  private sweep(): void {
    const now = this.clock.now().getTime();
    for (const [id, s] of this.sessions) if (s.expiresAt <= now) this.sessions.delete(id);
  }
}

/** Whether `sent` is the session's CSRF token (constant-time). */
export function csrfMatches(session: WebuiSession, sent: string | undefined): boolean {
  if (!sent) return false;
  const a = Buffer.from(session.csrfToken);
  const b = Buffer.from(sent);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The cookie header that sets (or, with `maxAgeS` 0, clears) the session cookie. */
export function sessionCookie(
  id: string,
  opts: { readonly maxAgeS: number; readonly secure: boolean },
): string {
  return [
    `${SESSION_COOKIE}=${id}`,
    'Path=/',
    'HttpOnly',
    'SameSite=Strict',
    `Max-Age=${opts.maxAgeS}`,
    ...(opts.secure ? ['Secure'] : []),
  ].join('; ');
}

/** The value of cookie `name` in a `Cookie` header. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) return part.slice(i + 1).trim();
  }
  return undefined;
}

function token(): string {
  return randomBytes(32).toString('base64url');
}
