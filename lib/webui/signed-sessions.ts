/**
 * Stateless web UI sessions for hosts whose instances share no memory (the Lambda function behind the
 * HTTP API): the cookie value is the session itself, `<payload>.<HMAC-SHA256>`, with the user, role,
 * a random id and the expiry. Any instance holding the key checks it without a store. The CSRF token is
 * an HMAC of the session id under the same key, so it needs no storage either and only the page that
 * read `/api/me` knows it (the cookie is HttpOnly). Logging out clears the cookie; a copied cookie stays
 * valid until it expires, which is why the lifetime is bounded (docs/adr/0013-web-ui.md). An OIDC
 * session also carries when to refresh and the provider's refresh token, encrypted (AES-256-GCM under
 * a key derived from the same key), as the cookie's payload is only signed.
 */
import { createCipheriv, createDecipheriv, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { KsError } from '../errors.js';
import type { Clock } from '../ports.js';
import { DEFAULT_SESSION_MS, sessionTimes } from './sessions.js';
import type { SessionGrant, WebuiSession, WebuiSessions } from './sessions.js';
import type { WebuiIdentity, WebuiRole } from './users.js';

/** Shortest signing key accepted: 32 bytes, the HMAC-SHA256 block a guess cannot reach. */
export const MIN_SESSION_KEY_BYTES = 32;

interface Payload {
  readonly sid: string;
  readonly name: string;
  readonly role: WebuiRole;
  readonly exp: number;
  /** OIDC: refresh the identity from here on (ms). */
  readonly rfa?: number;
  /** OIDC: the identity's expiry unless refreshed (ms). */
  readonly iexp?: number;
  /** OIDC: the refresh token, encrypted (`<iv>.<tag>.<ciphertext>`, base64url). */
  readonly rt?: string;
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
  create(identity: WebuiIdentity, grant?: SessionGrant): WebuiSession {
    const times = sessionTimes(this.clock.now().getTime(), this.ttlMs, grant);
    return this.sign({
      sid: randomBytes(16).toString('base64url'),
      name: identity.name,
      role: identity.role,
      exp: times.expiresAt,
      ...(times.refreshAt !== undefined ? { rfa: times.refreshAt, iexp: times.identityExpiresAt } : {}),
      ...(grant?.refreshToken ? { rt: this.encrypt(grant.refreshToken) } : {}),
    });
  }

  /** The session signed again with the renewed identity; same id inside, so the same CSRF token. */
  renew(session: WebuiSession, identity: WebuiIdentity, grant: SessionGrant): WebuiSession {
    const p = this.verified(session.id);
    if (!p) throw new KsError('InvalidInput', 'the web UI session to renew is not valid');
    const { refreshAt, identityExpiresAt } = sessionTimes(this.clock.now().getTime(), this.ttlMs, grant);
    return this.sign({
      ...p,
      name: identity.name,
      role: identity.role,
      ...(refreshAt !== undefined ? { rfa: refreshAt, iexp: identityExpiresAt } : {}),
      ...(grant.refreshToken ? { rt: this.encrypt(grant.refreshToken) } : {}),
    });
  }

  /** The session of a cookie value when its signature holds and it has not expired. */
  get(id: string | undefined): WebuiSession | undefined {
    const p = this.verified(id);
    if (!p || p.exp <= this.clock.now().getTime()) return undefined;
    return this.session(id!, p);
  }

  /** Nothing to forget: the caller clears the cookie, and the signed value expires on its own. */
  delete(): void {}

  private sign(p: Payload): WebuiSession {
    const body = Buffer.from(JSON.stringify(p)).toString('base64url');
    return this.session(`${body}.${this.mac(`session:${body}`)}`, p);
  }

  /** The payload of a cookie value whose signature holds (expired or not). */
  private verified(id: string | undefined): Payload | undefined {
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
    return {
      sid: p.sid,
      name: p.name,
      role: p.role,
      exp: p.exp,
      ...(typeof p.rfa === 'number' ? { rfa: p.rfa } : {}),
      ...(typeof p.iexp === 'number' ? { iexp: p.iexp } : {}),
      ...(typeof p.rt === 'string' ? { rt: p.rt } : {}),
    };
  }

  private session(id: string, p: Payload): WebuiSession {
    const refreshToken = p.rt ? this.decrypt(p.rt) : undefined;
    return {
      id,
      identity: { name: p.name, role: p.role },
      csrfToken: this.mac(`csrf:${p.sid}`),
      expiresAt: p.exp,
      ...(p.rfa !== undefined ? { refreshAt: p.rfa } : {}),
      ...(p.iexp !== undefined ? { identityExpiresAt: p.iexp } : {}),
      ...(refreshToken ? { refreshToken } : {}),
    };
  }

  private mac(data: string): string {
    return createHmac('sha256', this.key).update(data).digest('base64url');
  }

  private encryptionKey(): Buffer {
    return createHmac('sha256', this.key).update('refresh-token-encryption').digest();
  }

  private encrypt(text: string): string {
    const iv = randomBytes(12);
    const c = createCipheriv('aes-256-gcm', this.encryptionKey(), iv);
    const data = Buffer.concat([c.update(text, 'utf8'), c.final()]);
    return [iv, c.getAuthTag(), data].map((b) => b.toString('base64url')).join('.');
  }

  /** Undefined when it does not decrypt (another key): the session then cannot refresh. */
  private decrypt(text: string): string | undefined {
    const [iv, tag, data] = text.split('.').map((p) => Buffer.from(p, 'base64url'));
    if (!iv || !tag || !data) return undefined;
    try {
      const d = createDecipheriv('aes-256-gcm', this.encryptionKey(), iv);
      d.setAuthTag(tag);
      return Buffer.concat([d.update(data), d.final()]).toString('utf8');
    } catch {
      return undefined;
    }
  }
}
