// Stateless web UI sessions (lib/webui/signed-sessions.ts): a cookie another instance with the same key
// accepts, that no one can alter, and that expires; its CSRF token is per session.
import { SignedSessions } from '../../lib/webui/signed-sessions.js';
import { csrfMatches, sessionTimes } from '../../lib/webui/sessions.js';

const key = Buffer.alloc(32, 7);
let now = new Date('2026-12-06T00:00:00Z');
const clock = { now: () => now };

describe('SignedSessions', () => {
  it('is accepted by another instance with the same key, with the identity and CSRF token it started with', () => {
    const s = new SignedSessions(key, clock, 60_000).create({ name: 'alice', role: 'admin' });
    const got = new SignedSessions(Buffer.from(key), clock, 60_000).get(s.id);
    expect(got).toEqual(s);
    expect(csrfMatches(got!, s.csrfToken)).toBe(true);
  });

  it('gives each session its own CSRF token', () => {
    const store = new SignedSessions(key, clock);
    const a = store.create({ name: 'alice', role: 'admin' });
    const b = store.create({ name: 'alice', role: 'admin' });
    expect(a.csrfToken).not.toBe(b.csrfToken);
    expect(csrfMatches(store.get(b.id)!, a.csrfToken)).toBe(false);
  });

  it.each([
    ['another key', (id: string) => ({ id, key: Buffer.alloc(32, 8) })],
    ['a changed payload', (id: string) => ({ id: `x${id}`, key })],
    [
      'a changed signature',
      (id: string) => ({ id: `${id.slice(0, -1)}${id.endsWith('A') ? 'B' : 'A'}`, key }),
    ],
    ['no signature', (id: string) => ({ id: id.split('.')[0]!, key })],
    ['garbage', () => ({ id: 'not-a-session', key })],
  ])('refuses a cookie with %s', (_what, mutate) => {
    const s = new SignedSessions(key, clock).create({ name: 'victor', role: 'viewer' });
    const m = mutate(s.id);
    expect(new SignedSessions(m.key, clock).get(m.id)).toBeUndefined();
  });

  it('expires after its lifetime', () => {
    const store = new SignedSessions(key, clock, 60_000);
    const s = store.create({ name: 'alice', role: 'admin' });
    now = new Date(now.getTime() + 59_999);
    expect(store.get(s.id)).toBeDefined();
    now = new Date(now.getTime() + 1);
    expect(store.get(s.id)).toBeUndefined();
  });

  it('refuses a key shorter than 32 bytes, naming the fix', () => {
    expect(() => new SignedSessions(Buffer.alloc(16), clock)).toThrow(/at least 32 random bytes/);
  });
});

describe('OIDC session times (sessionTimes)', () => {
  const t0 = Date.parse('2026-12-06T00:00:00Z');
  it.each([
    ['a password login', undefined, { expiresAt: t0 + 3600_000 }],
    ['an ID token without refresh token', { identityExpiresAt: t0 + 300_000 }, { expiresAt: t0 + 300_000 }],
    [
      'an ID token with a refresh token: renewed a minute early',
      { identityExpiresAt: t0 + 300_000, refreshToken: 'r' },
      { expiresAt: t0 + 3600_000, refreshAt: t0 + 240_000, identityExpiresAt: t0 + 300_000 },
    ],
    [
      'a short ID token: renewed a quarter of its life early',
      { identityExpiresAt: t0 + 4000, refreshToken: 'r' },
      { expiresAt: t0 + 3600_000, refreshAt: t0 + 3000, identityExpiresAt: t0 + 4000 },
    ],
  ])('%s', (_, grant, want) => {
    expect(sessionTimes(t0, 3600_000, grant)).toEqual(want);
  });
});

describe('SignedSessions with OIDC refresh', () => {
  it('carries the refresh token encrypted and renews the identity with the same CSRF token', () => {
    const store = new SignedSessions(key, clock, 3600_000);
    const grant = { identityExpiresAt: now.getTime() + 300_000, refreshToken: 'refresh-secret-1' };
    const s = store.create({ name: 'ada', role: 'admin' }, grant);
    expect(Buffer.from(s.id.split('.')[0]!, 'base64url').toString()).not.toContain('refresh-secret-1');
    expect(store.get(s.id)).toMatchObject({
      refreshToken: 'refresh-secret-1',
      refreshAt: grant.identityExpiresAt - 60_000,
    });
    const renewed = store.renew(
      s,
      { name: 'ada', role: 'viewer' },
      { ...grant, refreshToken: 'refresh-secret-2' },
    );
    expect(renewed.id).not.toBe(s.id);
    expect(store.get(renewed.id)).toMatchObject({
      identity: { name: 'ada', role: 'viewer' },
      csrfToken: s.csrfToken,
      expiresAt: s.expiresAt,
      refreshToken: 'refresh-secret-2',
    });
    // Another key can neither accept the cookie nor read the token.
    expect(new SignedSessions(Buffer.alloc(32, 8), clock).get(renewed.id)).toBeUndefined();
  });
});
