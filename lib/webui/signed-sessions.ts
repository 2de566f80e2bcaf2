/**
 * Stateless web UI sessions for hosts whose instances share no memory (the Lambda function behind the
 * HTTP API): the cookie value is the session itself, `<payload>.<HMAC-SHA256>`, with the user, role,
 * a random id and the expiry. Any instance holding the key checks it without a store. The CSRF token is
 * an HMAC of the session id under the same key, so it needs no storage either and only the page that
 * read `/api/me` knows it (the cookie is HttpOnly). Logging out clears the cookie; a copied cookie stays
 * valid until it expires, which is why the lifetime is bounded (docs/adr/0013-web-ui.md).
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { KsError } from '../errors.js';
import type { Clock } from '../ports.js';
import { DEFAULT_SESSION_MS } from './sessions.js';
import type { WebuiSession, WebuiSessions } from './sessions.js';
import type { WebuiRole } from './users.js';

/** Shortest signing key accepted: 32 bytes, the HMAC-SHA256 block a guess cannot reach. */
export const MIN_SESSION_KEY_BYTES = 32;

interface Payload {
  readonly sid: string;
  readonly name: string;
  readonly role: WebuiRole;
  readonly exp: number;
}

/** Sessions signed into their cookie. */
export class SignedSessions implements WebuiSessions {
  constructor(
    private readonly key: Uint8Array,
    private readonly clock: Clock,
    private readonly ttlMs = DEFAULT_SESSION_MS,
  ) {
    if (key.length < MIN_SESSION_KEY_BYTES) {
      throw new KsError(
        'InvalidInput',
        `the web UI session key has ${key.length} bytes; use at least ${MIN_SESSION_KEY_BYTES} random bytes`,
      );
    }
  }

  /** Starts a session; its id is the signed cookie value. */
  create(identity: { readonly name: string; readonly role: WebuiRole }): WebuiSession {
    const payload: Payload = {
      sid: randomBytes(16).toString('base64url'),
      name: identity.name,
      role: identity.role,
      exp: this.clock.now().getTime() + this.ttlMs,
    };
    const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
    return this.session(`${body}.${this.mac(`session:${body}`)}`, payload);
  }

  /** The session of a cookie value when its signature holds and it has not expired. */
  get(id: string | undefined): WebuiSession | undefined {
    const dot = id?.lastIndexOf('.') ?? -1;
    if (!id || dot <= 0) return undefined;
    const body = id.slice(0, dot);
    const sent = Buffer.from(id.slice(dot + 1));
    const want = Buffer.from(this.mac(`session:${body}`));
    if (sent.length !== want.length || !timingSafeEqual(sent, want)) return undefined;
    let p: Partial<Payload>;
    try {
      p = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as Partial<Payload>;
    } catch {
      return undefined;
    }
    if (typeof p.sid !== 'string' || typeof p.name !== 'string' || typeof p.exp !== 'number')
      return undefined;
    if (p.role !== 'admin' && p.role !== 'viewer') return undefined;
    if (p.exp <= this.clock.now().getTime()) return undefined;
    return this.session(id, { sid: p.sid, name: p.name, role: p.role, exp: p.exp });
  }

  /** Nothing to forget: the caller clears the cookie, and the signed value expires on its own. */
  delete(): void {}

  private session(id: string, p: Payload): WebuiSession {
    return {
      id,
      identity: { name: p.name, role: p.role },
      csrfToken: this.mac(`csrf:${p.sid}`),
      expiresAt: p.exp,
    };
  }

  private mac(data: string): string {
    return createHmac('sha256', this.key).update(data).digest('base64url');
  }
}
