/**
 * OIDC login for the web UI, as Kluctl's Webui offers it: the authorization code flow with PKCE
 * (S256) against the issuer's discovered endpoints; the ID token's signature (RS256 or ES256, key from
 * the issuer's JWKS), issuer, audience, expiry and nonce are checked, and the role comes from the
 * groups claim (`adminsGroup` → admin, `viewersGroup` → viewer, anything else is refused). The flow's
 * state is kept server-side for ten minutes and bound to the browser by a cookie, so a login started
 * elsewhere cannot be completed here. A login yields the identity until the ID token's expiry; with a
 * refresh token from the provider, {@link OidcLogin.refresh} renews it (and its role) from a new ID
 * token.
 */
import { createHash, createHmac, createPublicKey, randomBytes, verify } from 'node:crypto';
import type { JsonWebKey, KeyObject } from 'node:crypto';
import { KsError, errorMessage } from '../errors.js';
import type { Clock } from '../ports.js';
import type { WebuiIdentity } from './users.js';

/** What the operator configures (Kluctl's `--auth-oidc-*` flags). */
export interface OidcConfig {
  readonly issuerUrl: string;
  readonly clientId: string;
  /** Absent for a public client (PKCE alone). */
  readonly clientSecret?: string;
  /** This UI's callback: `<base>/api/auth/oidc/callback`. */
  readonly redirectUrl: string;
  /** Default `openid profile email groups`. */
  readonly scopes?: readonly string[];
  /** Default `groups`. */
  readonly groupsClaim?: string;
  /** The claim shown as the user's name; default `email`, then `sub`. */
  readonly nameClaim?: string;
  readonly adminsGroup: string;
  readonly viewersGroup?: string;
}

interface Discovery {
  readonly issuer: string;
  readonly authorization_endpoint: string;
  readonly token_endpoint: string;
  readonly jwks_uri: string;
}

interface Pending {
  readonly verifier: string;
  readonly nonce: string;
  readonly expiresAt: number;
}

/** What a login or a refresh yields. */
export interface OidcGrant {
  readonly identity: WebuiIdentity;
  /** When the ID token expires (ms since the epoch): the identity holds until then. */
  readonly identityExpiresAt: number;
  /** The provider's refresh token, when it gave one. */
  readonly refreshToken?: string;
}

/** The ID token signatures accepted, with how node:crypto checks each and the key type it needs. */
const ALGORITHMS = {
  RS256: {
    kty: 'RSA',
    crv: undefined,
    verify: (data: Buffer, key: KeyObject, sig: Buffer) => verify('RSA-SHA256', data, key, sig),
  },
  // JWS carries ECDSA signatures as r||s (IEEE P1363), not DER.
  ES256: {
    kty: 'EC',
    crv: 'P-256',
    verify: (data: Buffer, key: KeyObject, sig: Buffer) =>
      verify('sha256', data, { key, dsaEncoding: 'ieee-p1363' }, sig),
  },
} as const;

/** How long a started login may take. */
const PENDING_MS = 10 * 60_000;

/** The OIDC client of one web UI. */
export class OidcLogin {
  private discovery: Promise<Discovery> | undefined;
  private readonly pending = new Map<string, Pending>();

  /**
   * With `stateKey`, a started login is kept nowhere: its expiry rides in the state, and the PKCE
   * verifier and nonce are HMACs of the state under the key, so any instance holding the key finishes
   * it (the Lambda function, whose instances share no memory). The provider's one-time codes then
   * guard against a replayed callback. Without it, pending logins live in this object's memory.
   */
  constructor(
    private readonly config: OidcConfig,
    private readonly clock: Clock,
    private readonly stateKey?: Uint8Array,
  ) {}

  /** Starts a login: the URL to send the browser to, and the state to bind to it by cookie. */
  async start(): Promise<{ url: string; state: string }> {
    const d = await this.discover();
    const now = this.clock.now().getTime();
    for (const [k, p] of this.pending) if (p.expiresAt <= now) this.pending.delete(k);
    let state = token();
    let verifier = token();
    let nonce = token();
    if (this.stateKey) {
      state = `${state}.${(now + PENDING_MS).toString(36)}`;
      ({ verifier, nonce } = this.derived(state));
    } else {
      this.pending.set(state, { verifier, nonce, expiresAt: now + PENDING_MS });
    }
    const url = new URL(d.authorization_endpoint);
    const q = url.searchParams;
    q.set('response_type', 'code');
    q.set('client_id', this.config.clientId);
    q.set('redirect_uri', this.config.redirectUrl);
    q.set('scope', (this.config.scopes ?? ['openid', 'profile', 'email', 'groups']).join(' '));
    q.set('state', state);
    q.set('nonce', nonce);
    q.set('code_challenge', s256(verifier));
    q.set('code_challenge_method', 'S256');
    return { url: url.toString(), state };
  }

  /**
   * Completes a login from the callback's `code` and `state` (and the state the browser's cookie
   * holds); returns who logged in. Throws KsError InvalidInput for anything that does not check out.
   */
  async finish(code: string, state: string, cookieState: string | undefined): Promise<OidcGrant> {
    const p = this.stateKey ? this.statelessPending(state) : this.pending.get(state);
    this.pending.delete(state);
    if (!p || p.expiresAt <= this.clock.now().getTime() || cookieState !== state) {
      throw new KsError(
        'InvalidInput',
        'OIDC login state unknown, expired or from another browser; log in again',
      );
    }
    return this.tokenGrant(
      {
        grant_type: 'authorization_code',
        code,
        redirect_uri: this.config.redirectUrl,
        code_verifier: p.verifier,
      },
      p.nonce,
    );
  }

  /**
   * Renews a login with the provider's refresh token: a new ID token, checked as at login (but for
   * the nonce, which belongs to the login), for the same user; the role is read again from its groups,
   * so a user moved out of the admins group loses the role at the next refresh. Throws KsError
   * InvalidInput when the provider refuses or answers without an ID token.
   */
  async refresh(refreshToken: string, previous: WebuiIdentity): Promise<OidcGrant> {
    const grant = await this.tokenGrant({ grant_type: 'refresh_token', refresh_token: refreshToken });
    if (grant.identity.name !== previous.name) {
      throw new KsError('InvalidInput', `OIDC refresh returned ${grant.identity.name}, not ${previous.name}`);
    }
    // Providers that do not rotate refresh tokens answer without one: the old one stays good.
    return grant.refreshToken ? grant : { ...grant, refreshToken };
  }

  private async tokenGrant(form: Record<string, string>, nonce?: string): Promise<OidcGrant> {
    const d = await this.discover();
    const body = new URLSearchParams({
      ...form,
      client_id: this.config.clientId,
      ...(this.config.clientSecret ? { client_secret: this.config.clientSecret } : {}),
    });
    const res = await fetch(d.token_endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body,
    });
    const tokens = (await res.json().catch(() => ({}))) as {
      id_token?: string;
      refresh_token?: string;
      error?: string;
    };
    if (!res.ok || !tokens.id_token) {
      const what = form.grant_type === 'refresh_token' ? 'refresh' : 'token request';
      throw new KsError(
        'InvalidInput',
        `OIDC ${what} failed: ${tokens.error ?? (res.ok ? 'no ID token' : `HTTP ${res.status}`)}`,
      );
    }
    const claims = await this.verifyIdToken(tokens.id_token, d, nonce);
    return {
      identity: this.identity(claims),
      identityExpiresAt: (claims.exp as number) * 1000,
      ...(tokens.refresh_token ? { refreshToken: tokens.refresh_token } : {}),
    };
  }

  private derived(state: string): { verifier: string; nonce: string } {
    const mac = (what: string) =>
      createHmac('sha256', this.stateKey!).update(`oidc-${what}:${state}`).digest('base64url');
    return { verifier: mac('verifier'), nonce: mac('nonce') };
  }

  private statelessPending(state: string): Pending | undefined {
    const expiresAt = parseInt(state.split('.')[1] ?? '', 36);
    return Number.isFinite(expiresAt) ? { ...this.derived(state), expiresAt } : undefined;
  }

  private identity(claims: Record<string, unknown>): WebuiIdentity {
    const groupsClaim = claims[this.config.groupsClaim ?? 'groups'];
    const groups = Array.isArray(groupsClaim) ? groupsClaim.map(String) : [];
    const name = String(claims[this.config.nameClaim ?? 'email'] ?? claims.sub ?? '');
    if (groups.includes(this.config.adminsGroup)) return { name, role: 'admin' };
    if (this.config.viewersGroup && groups.includes(this.config.viewersGroup))
      return { name, role: 'viewer' };
    throw new KsError('InvalidInput', `user ${name} is in neither the admins nor the viewers group`);
  }

  private async verifyIdToken(jwt: string, d: Discovery, nonce?: string): Promise<Record<string, unknown>> {
    const [h, p, sig] = jwt.split('.');
    if (!h || !p || !sig) throw new KsError('InvalidInput', 'OIDC ID token is not a JWT');
    const header = JSON.parse(Buffer.from(h, 'base64url').toString('utf8')) as { alg?: string; kid?: string };
    const alg = Object.hasOwn(ALGORITHMS, header.alg ?? '')
      ? ALGORITHMS[header.alg as keyof typeof ALGORITHMS]
      : undefined;
    if (!alg) {
      throw new KsError('InvalidInput', `OIDC ID token algorithm ${header.alg} is neither RS256 nor ES256`);
    }
    const jwks = (await getJson(d.jwks_uri)) as { keys?: (JsonWebKey & { kid?: string })[] };
    const jwk =
      jwks.keys?.find((k) => k.kid === header.kid) ?? (jwks.keys?.length === 1 ? jwks.keys[0] : undefined);
    if (!jwk) throw new KsError('InvalidInput', `OIDC issuer has no key ${header.kid}`);
    // The key's type must fit the algorithm the token names (no RS256 token checked with an EC key).
    if (jwk.kty !== alg.kty || jwk.crv !== alg.crv) {
      throw new KsError(
        'InvalidInput',
        `OIDC key ${header.kid} is ${[jwk.kty, jwk.crv].filter(Boolean).join(' ')}, which does not fit ${header.alg}`,
      );
    }
    const ok = alg.verify(
      Buffer.from(`${h}.${p}`),
      createPublicKey({ key: jwk, format: 'jwk' }),
      Buffer.from(sig, 'base64url'),
    );
    if (!ok) throw new KsError('InvalidInput', 'OIDC ID token signature does not verify');
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) as Record<string, unknown>;
    const aud = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
    const now = this.clock.now().getTime() / 1000;
    if (claims.iss !== d.issuer)
      throw new KsError('InvalidInput', `OIDC ID token from ${String(claims.iss)}, not ${d.issuer}`);
    if (!aud.includes(this.config.clientId))
      throw new KsError('InvalidInput', 'OIDC ID token is for another client');
    if (typeof claims.exp !== 'number' || claims.exp < now - 60)
      throw new KsError('InvalidInput', 'OIDC ID token expired');
    if (nonce !== undefined && claims.nonce !== nonce)
      throw new KsError('InvalidInput', 'OIDC ID token nonce does not match');
    return claims;
  }

  private discover(): Promise<Discovery> {
    this.discovery ??= (async () => {
      const url = `${this.config.issuerUrl.replace(/\/$/, '')}/.well-known/openid-configuration`;
      const d = (await getJson(url)) as Partial<Discovery>;
      if (!d.authorization_endpoint || !d.token_endpoint || !d.jwks_uri || !d.issuer) {
        throw new KsError(
          'InvalidInput',
          `${url} lacks authorization_endpoint, token_endpoint, jwks_uri or issuer`,
        );
      }
      return d as Discovery;
    })().catch((err: unknown) => {
      this.discovery = undefined;
      throw err;
    });
    return this.discovery;
  }
}

async function getJson(url: string): Promise<unknown> {
  let res: Response;
  try {
    res = await fetch(url, { headers: { accept: 'application/json' } });
  } catch (cause) {
    throw new KsError('InvalidInput', `cannot reach the OIDC issuer at ${url}: ${errorMessage(cause)}`, {
      cause,
    });
  }
  if (!res.ok) throw new KsError('InvalidInput', `OIDC issuer answered ${res.status} for ${url}`);
  return res.json();
}

/** The PKCE S256 challenge of `verifier`. */
export function s256(verifier: string): string {
  return createHash('sha256').update(verifier).digest('base64url');
}

function token(): string {
  return randomBytes(32).toString('base64url');
}
