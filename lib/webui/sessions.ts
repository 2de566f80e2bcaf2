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
}

/**
 * Where sessions live: the runner keeps them in memory ({@link SessionStore}); the Lambda function,
 * whose instances share nothing, signs them into the cookie (signed-sessions.ts).
 */
export interface WebuiSessions {
  /** Starts a session for `identity`; its `id` is the cookie value. */
  create(identity: WebuiIdentity): WebuiSession;
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
  create(identity: WebuiIdentity): WebuiSession {
    this.sweep();
    const s: WebuiSession = {
      id: token(),
      identity,
      csrfToken: token(),
      expiresAt: this.clock.now().getTime() + this.ttlMs,
    };
    this.sessions.set(s.id, s);
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
