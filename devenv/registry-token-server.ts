/**
 * A token service for the test registry's bearer auth (Distribution's `auth.token`, the Docker token
 * protocol): it signs RS256 JWTs with a key made at start, whose public half Distribution reads from a
 * JWKS file. It hands out tokens for basic auth with the one user (GET, as docker and crane do) and for
 * the one identity token (POST `grant_type=refresh_token`, OAuth2 as crane does with `identityToken`),
 * and mints tokens for tests that pass a ready `token`.
 */
import { createSign, generateKeyPairSync, randomUUID } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Who may get tokens. */
export interface TokenServerOptions {
  readonly username: string;
  readonly password: string;
  /** The refresh token `identityToken` credentials exchange. */
  readonly identityToken: string;
}

/** A running token service. */
export interface RegistryTokenServer {
  /** `http://localhost:<port>/token`. */
  readonly realm: string;
  readonly service: string;
  readonly issuer: string;
  /** The JWKS document of the signing key. */
  readonly jwks: string;
  /** A token granting pull (and push) on `repositories`, valid for an hour. */
  mint(repositories: readonly string[]): string;
  close(): Promise<void>;
}

const SERVICE = 'test-registry';
const ISSUER = 'test-token-issuer';
const KID = 'test-key';

const b64url = (data: Buffer | string): string => Buffer.from(data).toString('base64url');

function signJwt(key: KeyObject, claims: Record<string, unknown>): string {
  const header = b64url(JSON.stringify({ alg: 'RS256', typ: 'JWT', kid: KID }));
  const payload = b64url(JSON.stringify(claims));
  const signature = createSign('RSA-SHA256').update(`${header}.${payload}`).sign(key);
  return `${header}.${payload}.${b64url(signature)}`;
}

/** The repositories a `scope` parameter asks for (`repository:<name>:<actions>`, space separated). */
function scopedRepositories(scope: string | null): string[] {
  return (scope ?? '')
    .split(' ')
    .map((s) => /^repository:(.+):[^:]+$/.exec(s)?.[1])
    .filter((x): x is string => !!x);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req as AsyncIterable<Buffer>) chunks.push(c);
  return Buffer.concat(chunks).toString('utf8');
}

/** Starts the token service on a free port of 127.0.0.1. */
export async function startRegistryTokenServer(opts: TokenServerOptions): Promise<RegistryTokenServer> {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = publicKey.export({ format: 'jwk' });
  const jwks = JSON.stringify({ keys: [{ ...jwk, kid: KID, alg: 'RS256', use: 'sig' }] });
  const mint = (repositories: readonly string[]): string => {
    const now = Math.floor(Date.now() / 1000);
    return signJwt(privateKey, {
      iss: ISSUER,
      sub: opts.username,
      aud: SERVICE,
      iat: now,
      nbf: now - 10,
      exp: now + 3600,
      jti: randomUUID(),
      access: repositories.map((name) => ({ type: 'repository', name, actions: ['pull', 'push'] })),
    });
  };
  const basic = `Basic ${Buffer.from(`${opts.username}:${opts.password}`).toString('base64')}`;
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const reply = (status: number, body: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (url.pathname !== '/token') return reply(404, { error: 'not found' });
    if (req.method === 'GET') {
      if (req.headers.authorization !== basic) return reply(401, { error: 'invalid credentials' });
      const token = mint(scopedRepositories(url.searchParams.get('scope')));
      return reply(200, { token, access_token: token });
    }
    if (req.method === 'POST') {
      const form = new URLSearchParams(await readBody(req));
      if (form.get('grant_type') !== 'refresh_token' || form.get('refresh_token') !== opts.identityToken)
        return reply(401, { error: 'invalid_grant' });
      return reply(200, { access_token: mint(scopedRepositories(form.get('scope'))) });
    }
    reply(405, { error: 'method not allowed' });
  };
  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      res.writeHead(500);
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    // A name, not the IP: Kluctl's client refuses realms at private IP literals other than the registry's.
    realm: `http://localhost:${port}/token`,
    service: SERVICE,
    issuer: ISSUER,
    jwks,
    mint,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
