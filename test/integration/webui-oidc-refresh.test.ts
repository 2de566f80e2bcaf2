/**
 * OIDC sessions of the web UI follow the ID token, against the in-process provider of
 * devenv/oidc-provider.ts: without a refresh token the session ends when the ID token expires; with
 * one, the identity is renewed at the provider before it expires (the role read again from the
 * groups), in memory (runner) and in a signed cookie (Lambda) alike, and the session ends once the
 * provider refuses the refresh and the ID token has expired. ES256-signed ID tokens are accepted as
 * RS256 ones are.
 */
import { systemClock, silentLogger } from '../../lib/ports.js';
import type { WebuiSessions } from '../../lib/webui/sessions.js';
import { SignedSessions } from '../../lib/webui/signed-sessions.js';
import { createWebui } from '../../lib/webui/webui-http.js';
import { startOidcProvider } from '../../devenv/oidc-provider.js';
import type { OidcProvider, OidcProviderOptions } from '../../devenv/oidc-provider.js';
import { listenForWebui } from './webui-scenario.js';

const ADMIN = { sub: 'u1', email: 'ada@example.com', groups: ['kluctl-admins'] };
const stops: (() => Promise<void>)[] = [];

afterAll(async () => {
  for (const stop of stops.reverse()) await stop();
});

interface Served {
  readonly base: string;
  readonly provider: OidcProvider;
}

/** A provider with `opts` and a web UI logging in through it. */
async function serve(opts: Partial<OidcProviderOptions>, sessions?: WebuiSessions): Promise<Served> {
  const provider = await startOidcProvider({ clientId: 'kluctl-webui', user: ADMIN, ...opts });
  const http = await listenForWebui();
  const base = http.base;
  const webui = await createWebui({
    clusters: [],
    users: [],
    oidc: {
      issuerUrl: provider.issuer,
      clientId: 'kluctl-webui',
      redirectUrl: `${base}/api/auth/oidc/callback`,
      adminsGroup: 'kluctl-admins',
      viewersGroup: 'kluctl-viewers',
    },
    clock: systemClock,
    logger: silentLogger,
    ...(sessions ? { sessions } : {}),
  });
  http.serve(webui);
  stops.push(async () => {
    await http.close();
    await provider.stop();
  });
  return { base, provider };
}

function cookieOf(res: Response): string | undefined {
  return res.headers
    .getSetCookie()
    .map((c) => c.split(';')[0]!)
    .find((c) => c.startsWith('ks_session=') && c !== 'ks_session=');
}

/** The browser's login round trip; returns the session cookie. */
async function logIn(s: Served): Promise<string> {
  const start = await fetch(`${s.base}/api/auth/oidc/login`, { redirect: 'manual' });
  const state = start.headers.getSetCookie()[0]!.split(';')[0]!;
  const back = await fetch(start.headers.get('location')!, { redirect: 'manual' });
  const done = await fetch(back.headers.get('location')!, { redirect: 'manual', headers: { cookie: state } });
  expect(done.status).toBe(302);
  return cookieOf(done)!;
}

/** `/api/me` with `cookie`: the status, the body and the renewed cookie if one was set. */
async function me(
  s: Served,
  cookie: string,
): Promise<{ status: number; body: Record<string, unknown>; cookie?: string }> {
  const res = await fetch(`${s.base}/api/me`, { headers: { cookie } });
  const renewed = cookieOf(res);
  return {
    status: res.status,
    body: (await res.json()) as Record<string, unknown>,
    ...(renewed ? { cookie: renewed } : {}),
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

it('ends a session without refresh token when its ID token expires', async () => {
  const s = await serve({ idTokenTtlS: 2 });
  const cookie = await logIn(s);
  expect((await me(s, cookie)).body).toMatchObject({ user: ADMIN.email, role: 'admin' });
  await sleep(2100);
  expect((await me(s, cookie)).status).toBe(401);
  expect(s.provider.refreshes).toBe(0);
});

it.each([
  ['in memory (runner)', undefined],
  ['in a signed cookie (Lambda)', new SignedSessions(Buffer.alloc(32, 7), systemClock)],
])(
  'refreshes the identity before it expires, %s, and ends the session once refused',
  async (_, sessions) => {
    const s = await serve({ idTokenTtlS: 2, refreshTokens: true }, sessions);
    let cookie = await logIn(s);
    const first = await me(s, cookie);
    expect(first.body).toMatchObject({ user: ADMIN.email, role: 'admin' });
    // The refresh token never travels in clear, not even inside a signed cookie.
    expect(Buffer.from(cookie.split('=')[1]!.split('.')[0]!, 'base64url').toString()).not.toMatch(
      /"rt":"[^.]+"/,
    );

    // Past the ID token's expiry, the session lives on with a new ID token; several requests at once
    // spend the (rotated) refresh token once.
    await sleep(2100);
    const answers = await Promise.all([me(s, cookie), me(s, cookie), me(s, cookie)]);
    for (const a of answers) expect(a).toMatchObject({ status: 200, body: { role: 'admin' } });
    expect(s.provider.refreshes).toBe(1);
    expect(s.provider.refusals).toEqual([]);
    cookie = answers[0]!.cookie!;
    expect(answers[0]!.body.csrfToken).toBe(first.body.csrfToken);

    // The role is read again at the next refresh.
    s.provider.user = { ...ADMIN, groups: ['kluctl-viewers'] };
    await sleep(2100);
    const demoted = await me(s, cookie);
    expect(demoted.body).toMatchObject({ user: ADMIN.email, role: 'viewer' });
    cookie = demoted.cookie!;

    // Refused refresh: the session ends with its ID token.
    s.provider.revokeRefreshTokens();
    await sleep(2100);
    expect((await me(s, cookie)).status).toBe(401);
    expect(s.provider.refusals).toEqual(['unknown, used or revoked refresh token']);
  },
  30_000,
);

it('accepts ES256-signed ID tokens', async () => {
  const s = await serve({ alg: 'ES256' });
  const cookie = await logIn(s);
  expect((await me(s, cookie)).body).toMatchObject({ user: ADMIN.email, role: 'admin' });
  const jwks = (await (await fetch(`${s.provider.issuer}/jwks`)).json()) as {
    keys: { kty: string; alg: string }[];
  };
  expect(jwks.keys[0]).toMatchObject({ kty: 'EC', alg: 'ES256' });
});
