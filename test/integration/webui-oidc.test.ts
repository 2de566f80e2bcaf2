/**
 * OIDC login of the web UI (authorization code flow with PKCE, as Kluctl's Webui offers it) against
 * the in-process provider of devenv/oidc-provider.ts: the browser's round trip followed by hand, the
 * role from the groups claim, and the refusals: a callback in another browser (no state cookie), a
 * replayed callback, and a user in neither group.
 */
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { systemClock } from '../../lib/ports.js';
import type { Logger } from '../../lib/ports.js';
import { OidcLogin } from '../../lib/webui/oidc.js';
import { createWebui } from '../../lib/webui/webui-http.js';
import type { Webui } from '../../lib/webui/webui-http.js';
import { startOidcProvider } from '../../devenv/oidc-provider.js';
import type { OidcProvider } from '../../devenv/oidc-provider.js';

let provider: OidcProvider;
let webui: Webui;
let http: Server;
let base: string;
const logins: Record<string, unknown>[] = [];
const logger: Logger = {
  debug() {},
  info: (msg, f) => void (msg === 'web UI login' && f && logins.push(f)),
  warn() {},
  error() {},
  child: () => logger,
};

const ADMIN = { sub: 'u1', email: 'ada@example.com', groups: ['kluctl-admins'] };

beforeAll(async () => {
  provider = await startOidcProvider({
    clientId: 'kluctl-webui',
    clientSecret: 'client-secret',
    user: ADMIN,
  });
  http = createServer((req, res) => {
    void webui.handle(req, res).then((done) => {
      if (!done) res.writeHead(404).end();
    });
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', () => r()));
  base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  webui = await createWebui({
    clusters: [],
    users: [],
    oidc: {
      issuerUrl: provider.issuer,
      clientId: 'kluctl-webui',
      clientSecret: 'client-secret',
      redirectUrl: `${base}/api/auth/oidc/callback`,
      adminsGroup: 'kluctl-admins',
      viewersGroup: 'kluctl-viewers',
    },
    clock: systemClock,
    logger,
  });
});

afterAll(async () => {
  webui?.close();
  http?.closeAllConnections();
  await new Promise<void>((r) => (http ? http.close(() => r()) : r()));
  await provider?.stop();
});

function cookieOf(res: Response, name: string): string | undefined {
  return res.headers
    .getSetCookie()
    .map((c) => c.split(';')[0]!)
    .find((c) => c.startsWith(`${name}=`) && c !== `${name}=`);
}

/** Follows the login round trip as a browser would, up to the callback URL and the state cookie. */
async function startLogin(): Promise<{ callback: string; stateCookie: string }> {
  const start = await fetch(`${base}/api/auth/oidc/login`, { redirect: 'manual' });
  expect(start.status).toBe(302);
  const authorize = new URL(start.headers.get('location')!);
  expect(authorize.origin).toBe(provider.issuer);
  expect(authorize.searchParams.get('code_challenge_method')).toBe('S256');
  expect(authorize.searchParams.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
  const stateCookie = cookieOf(start, 'ks_oidc_state')!;
  expect(start.headers.getSetCookie()[0]).toMatch(/HttpOnly; SameSite=Lax/);
  const back = await fetch(authorize, { redirect: 'manual' });
  expect(back.status).toBe(302);
  return { callback: back.headers.get('location')!, stateCookie };
}

async function me(sessionCookie: string): Promise<Record<string, unknown>> {
  return (await (await fetch(`${base}/api/me`, { headers: { cookie: sessionCookie } })).json()) as Record<
    string,
    unknown
  >;
}

it('offers OIDC and no password form when no static user is configured', async () => {
  expect(await (await fetch(`${base}/api/auth/info`)).json()).toEqual({ staticUsers: false, oidc: true });
});

it('logs in through the provider with PKCE, with the role of the groups claim', async () => {
  const { callback, stateCookie } = await startLogin();
  const done = await fetch(callback, { redirect: 'manual', headers: { cookie: stateCookie } });
  expect(done.status).toBe(302);
  expect(done.headers.get('location')).toBe('/ui/');
  const session = cookieOf(done, 'ks_session')!;
  expect(await me(session)).toMatchObject({ user: ADMIN.email, role: 'admin' });
  expect(logins).toContainEqual({ user: ADMIN.email, role: 'admin', method: 'oidc', refreshable: false });
  expect(provider.refusals).toEqual([]);

  // The same callback again (a replay) finds no login to complete.
  const replay = await fetch(callback, { redirect: 'manual', headers: { cookie: stateCookie } });
  expect(replay.status).toBe(400);
});

it('gives the viewer role to the viewers group', async () => {
  provider.user = { sub: 'u2', email: 'vic@example.com', groups: ['kluctl-viewers'] };
  const { callback, stateCookie } = await startLogin();
  const done = await fetch(callback, { redirect: 'manual', headers: { cookie: stateCookie } });
  expect(await me(cookieOf(done, 'ks_session')!)).toMatchObject({ user: 'vic@example.com', role: 'viewer' });
});

it('refuses a callback in another browser and a user in neither group', async () => {
  provider.user = ADMIN;
  const other = await startLogin();
  const noCookie = await fetch(other.callback, { redirect: 'manual' });
  expect(noCookie.status).toBe(400);
  expect(((await noCookie.json()) as { message: string }).message).toMatch(/another browser/);
  expect(cookieOf(noCookie, 'ks_session')).toBeUndefined();

  provider.user = { sub: 'u3', email: 'eve@example.com', groups: ['staff'] };
  const { callback, stateCookie } = await startLogin();
  const refused = await fetch(callback, { redirect: 'manual', headers: { cookie: stateCookie } });
  expect(refused.status).toBe(400);
  expect(((await refused.json()) as { message: string }).message).toMatch(
    /neither the admins nor the viewers/,
  );
});

it('finishes a login on another instance sharing the state key (the Lambda function), and only there', async () => {
  const config = {
    issuerUrl: provider.issuer,
    clientId: 'kluctl-webui',
    clientSecret: 'client-secret',
    redirectUrl: `${base}/api/auth/oidc/callback`,
    adminsGroup: 'kluctl-admins',
  };
  const key = Buffer.alloc(32, 3);
  provider.user = ADMIN;
  const follow = async (login: OidcLogin) => {
    const { url, state } = await login.start();
    const back = await fetch(url, { redirect: 'manual' });
    const q = new URL(back.headers.get('location')!).searchParams;
    return { code: q.get('code')!, state };
  };
  const first = await follow(new OidcLogin(config, systemClock, key));
  expect(first.state).toMatch(/^[A-Za-z0-9_-]+\.[0-9a-z]+$/);
  await expect(
    new OidcLogin(config, systemClock, key).finish(first.code, first.state, first.state),
  ).resolves.toMatchObject({ identity: { name: ADMIN.email, role: 'admin' } });
  // Another key derives another PKCE verifier: the provider refuses the code.
  const second = await follow(new OidcLogin(config, systemClock, key));
  await expect(
    new OidcLogin(config, systemClock, Buffer.alloc(32, 4)).finish(second.code, second.state, second.state),
  ).rejects.toThrow(/OIDC token request failed/);
  // A state whose expiry was moved is refused before any request, by the same check as a stale one.
  const stale = `${second.state.split('.')[0]}.${(Date.now() - 1000).toString(36)}`;
  await expect(new OidcLogin(config, systemClock, key).finish(second.code, stale, stale)).rejects.toThrow(
    /unknown, expired/,
  );
});
