/**
 * A tiny OIDC provider for tests and the demo: discovery, JWKS, an authorization endpoint that logs in
 * one configured user at once (no login form), and a token endpoint that checks the client, the
 * redirect URI and the PKCE verifier (S256 only) before it returns an ID token (RS256 or ES256) with
 * the user's groups and the request's nonce. Codes are single-use. Optionally it hands out refresh
 * tokens, rotated at each use (the `refresh_token` grant returns a new ID token for the user as the
 * provider knows them then).
 */
import { createHash, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** The user the provider logs in. */
export interface OidcTestUser {
  readonly sub: string;
  readonly email: string;
  readonly groups: readonly string[];
}

/** Options of {@link startOidcProvider}. */
export interface OidcProviderOptions {
  readonly clientId: string;
  readonly clientSecret?: string;
  readonly user: OidcTestUser;
  /** Lifetime of ID tokens; default 300 s. */
  readonly idTokenTtlS?: number;
  /** Hand out refresh tokens; default false. */
  readonly refreshTokens?: boolean;
  /** Signature of ID tokens; default RS256. */
  readonly alg?: 'RS256' | 'ES256';
}

/** A running provider. */
export interface OidcProvider {
  /** The issuer URL, e.g. `http://127.0.0.1:PORT`. */
  readonly issuer: string;
  /** Who the next login is (tests switch users). */
  user: OidcTestUser;
  /** Token requests refused so far, with the reason (for tests). */
  readonly refusals: string[];
  /** Refresh grants answered so far. */
  refreshes: number;
  /** Forgets every refresh token handed out (as an admin revoking the user's sessions would). */
  revokeRefreshTokens(): void;
  stop(): Promise<void>;
}

interface Grant {
  readonly challenge: string;
  readonly redirectUri: string;
  readonly nonce: string;
  readonly user: OidcTestUser;
}

/** Starts the provider on a free port of 127.0.0.1. */
export async function startOidcProvider(opts: OidcProviderOptions): Promise<OidcProvider> {
  const alg = opts.alg ?? 'RS256';
  const { privateKey, publicKey } =
    alg === 'ES256'
      ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
      : generateKeyPairSync('rsa', { modulusLength: 2048 });
  const kid = randomBytes(6).toString('hex');
  const jwk = { ...publicKey.export({ format: 'jwk' }), kid, alg, use: 'sig' };
  const grants = new Map<string, Grant>();
  /** Refresh token → the subject it was issued for. */
  const refreshTokens = new Map<string, string>();
  const provider: OidcProvider = {
    issuer: '',
    user: opts.user,
    refusals: [],
    refreshes: 0,
    revokeRefreshTokens: () => refreshTokens.clear(),
    stop: async () => undefined,
  };

  const idToken = (user: OidcTestUser, nonce?: string): string => {
    const now = Math.floor(Date.now() / 1000);
    const enc = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const body = `${enc({ alg, typ: 'JWT', kid })}.${enc({
      iss: provider.issuer,
      aud: opts.clientId,
      sub: user.sub,
      email: user.email,
      groups: user.groups,
      ...(nonce !== undefined ? { nonce } : {}),
      iat: now,
      exp: now + (opts.idTokenTtlS ?? 300),
    })}`;
    // JWS wants ECDSA signatures as r||s (IEEE P1363), not DER.
    const sig =
      alg === 'ES256'
        ? sign('sha256', Buffer.from(body), { key: privateKey, dsaEncoding: 'ieee-p1363' })
        : sign('RSA-SHA256', Buffer.from(body), privateKey);
    return `${body}.${sig.toString('base64url')}`;
  };

  /** The token answer: an ID token, and a new refresh token when the provider hands them out. */
  const tokens = (user: OidcTestUser, nonce?: string) => {
    const answer: Record<string, string> = {
      access_token: 'unused',
      token_type: 'Bearer',
      id_token: idToken(user, nonce),
    };
    if (opts.refreshTokens) {
      const rt = randomBytes(24).toString('base64url');
      refreshTokens.set(rt, user.sub);
      answer.refresh_token = rt;
    }
    return answer;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', provider.issuer);
    const json = (status: number, body: unknown) =>
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    if (url.pathname === '/.well-known/openid-configuration') {
      return void json(200, {
        issuer: provider.issuer,
        authorization_endpoint: `${provider.issuer}/authorize`,
        token_endpoint: `${provider.issuer}/token`,
        jwks_uri: `${provider.issuer}/jwks`,
        code_challenge_methods_supported: ['S256'],
      });
    }
    if (url.pathname === '/jwks') return void json(200, { keys: [jwk] });
    if (url.pathname === '/authorize') {
      const q = url.searchParams;
      if (
        q.get('client_id') !== opts.clientId ||
        q.get('code_challenge_method') !== 'S256' ||
        !q.get('code_challenge')
      ) {
        return void json(400, { error: 'invalid_request' });
      }
      const code = randomBytes(16).toString('base64url');
      grants.set(code, {
        challenge: q.get('code_challenge')!,
        redirectUri: q.get('redirect_uri') ?? '',
        nonce: q.get('nonce') ?? '',
        user: provider.user,
      });
      const back = new URL(q.get('redirect_uri') ?? '');
      back.searchParams.set('code', code);
      back.searchParams.set('state', q.get('state') ?? '');
      return void res.writeHead(302, { location: back.toString() }).end();
    }
    if (url.pathname === '/token' && req.method === 'POST') {
      let text = '';
      for await (const c of req as AsyncIterable<Buffer>) text += c.toString();
      const f = new URLSearchParams(text);
      const refuse = (why: string) => {
        provider.refusals.push(why);
        json(400, { error: 'invalid_grant', error_description: why });
      };
      if (f.get('client_id') !== opts.clientId) return refuse('wrong client');
      if (opts.clientSecret && f.get('client_secret') !== opts.clientSecret)
        return refuse('wrong client secret');
      if (f.get('grant_type') === 'refresh_token') {
        const rt = f.get('refresh_token') ?? '';
        const sub = refreshTokens.get(rt);
        // Rotation: a refresh token works once.
        refreshTokens.delete(rt);
        if (!sub || sub !== provider.user.sub) return refuse('unknown, used or revoked refresh token');
        provider.refreshes++;
        return void json(200, tokens(provider.user));
      }
      const g = grants.get(f.get('code') ?? '');
      grants.delete(f.get('code') ?? '');
      if (!g) return refuse('unknown or used code');
      if (f.get('redirect_uri') !== g.redirectUri) return refuse('redirect_uri differs');
      const verifier = f.get('code_verifier') ?? '';
      if (createHash('sha256').update(verifier).digest('base64url') !== g.challenge)
        return refuse('PKCE verifier');
      return void json(200, tokens(g.user, g.nonce));
    }
    json(404, { error: 'not_found' });
  };

  const server = createServer((req, res) => void handle(req, res));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  Object.assign(provider, {
    issuer: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    stop: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  });
  return provider;
}
