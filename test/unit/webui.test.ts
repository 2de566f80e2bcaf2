/**
 * The web UI's pure parts: password hashes and the users file, sessions and CSRF tokens, the
 * actions as patches (Kluctl's request annotation, spec.suspend, spec.manualObjectsHash), and the
 * list row of a deployment.
 */
import { REQUEST_ANNOTATIONS } from '../../lib/api/constants.js';
import type { KluctlDeployment } from '../../lib/api/types.js';
import type { Clock } from '../../lib/ports.js';
import { deploymentDetail, redactUrl, summarizeDeployment } from '../../lib/webui/deployment-view.js';
import { SessionStore, csrfMatches, readCookie, sessionCookie } from '../../lib/webui/sessions.js';
import { authenticate, hashPassword, parseWebuiUsers, verifyPassword } from '../../lib/webui/users.js';
import { actionPatch } from '../../lib/webui/webui-actions.js';

function kd(
  over: { spec?: object; status?: object; annotations?: Record<string, string> } = {},
): KluctlDeployment {
  return {
    apiVersion: 'gitops.kluctl.io/v1beta1',
    kind: 'KluctlDeployment',
    metadata: {
      name: 'app',
      namespace: 'ns',
      ...(over.annotations ? { annotations: over.annotations } : {}),
    },
    spec: {
      interval: '5m',
      source: { git: { url: 'https://example.com/repo.git', path: 'sub' } },
      ...over.spec,
    },
    ...(over.status ? { status: over.status } : {}),
  } as KluctlDeployment;
}

describe('users', () => {
  it('hashes with a fresh salt and verifies only the right password', async () => {
    const a = await hashPassword('pw');
    const b = await hashPassword('pw');
    expect(a).toMatch(/^scrypt\$32768\$8\$1\$/);
    expect(a).not.toBe(b);
    expect(await verifyPassword('pw', a)).toBe(true);
    expect(await verifyPassword('pw2', a)).toBe(false);
  });

  it('authenticates a listed user and nobody else', async () => {
    const users = [{ name: 'alice', role: 'admin' as const, passwordHash: await hashPassword('pw') }];
    expect(await authenticate(users, 'alice', 'pw')).toEqual({ name: 'alice', role: 'admin' });
    expect(await authenticate(users, 'alice', 'nope')).toBeUndefined();
    expect(await authenticate(users, 'mallory', 'pw')).toBeUndefined();
  });

  const hash = 'scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=';
  it.each([
    ['users: {}', /expected a 'users' list/],
    [`users: [{role: admin, passwordHash: '${hash}'}]`, /users\[0\]: name is missing/],
    [
      `users: [{name: a, role: root, passwordHash: '${hash}'}]`,
      /role must be 'admin' or 'viewer', not 'root'/,
    ],
    ['users: [{name: a, role: admin, passwordHash: plain}]', /not an scrypt hash.*hash-password/],
    [
      `users: [{name: a, role: admin, passwordHash: '${hash}'}, {name: a, role: viewer, passwordHash: '${hash}'}]`,
      /users\[1\]: user 'a' is listed twice/,
    ],
  ])('refuses %s', (text, message) => {
    expect(() => parseWebuiUsers(text, 'users.yaml')).toThrow(message);
  });

  it('reads a valid file', () => {
    expect(
      parseWebuiUsers(`users:\n  - name: v\n    role: viewer\n    passwordHash: '${hash}'\n`, 'f'),
    ).toEqual([{ name: 'v', role: 'viewer', passwordHash: hash }]);
  });
});

describe('sessions', () => {
  it('expire after their lifetime and carry a CSRF token', () => {
    let now = 1_000_000;
    const clock: Clock = { now: () => new Date(now) };
    const store = new SessionStore(clock, 60_000);
    const s = store.create({ name: 'alice', role: 'admin' });
    expect(store.get(s.id)?.identity.name).toBe('alice');
    expect(csrfMatches(s, s.csrfToken)).toBe(true);
    expect(csrfMatches(s, `${s.csrfToken.slice(1)}x`)).toBe(false);
    expect(csrfMatches(s, undefined)).toBe(false);
    now += 60_000;
    expect(store.get(s.id)).toBeUndefined();
  });

  it('end on logout', () => {
    const store = new SessionStore({ now: () => new Date() });
    const s = store.create({ name: 'v', role: 'viewer' });
    store.delete(s.id);
    expect(store.get(s.id)).toBeUndefined();
  });

  it('set an HttpOnly SameSite=Strict cookie and read it back', () => {
    expect(sessionCookie('abc', { maxAgeS: 60, secure: true })).toBe(
      'ks_session=abc; Path=/; HttpOnly; SameSite=Strict; Max-Age=60; Secure',
    );
    expect(readCookie('a=1; ks_session=abc; b=2', 'ks_session')).toBe('abc');
    expect(readCookie('a=1', 'ks_session')).toBeUndefined();
  });
});

describe('actions', () => {
  const now = new Date('2026-12-06T03:00:00.123Z');
  it.each(['reconcile', 'deploy', 'diff', 'prune', 'validate'] as const)(
    '%s sets its request annotation as kluctl gitops does',
    (action) => {
      const p = actionPatch(action, kd(), { now });
      expect(p).toEqual({
        requestValue: now.toISOString(),
        patch: {
          metadata: {
            annotations: {
              [REQUEST_ANNOTATIONS[action]]: JSON.stringify({ requestValue: now.toISOString() }),
            },
          },
        },
      });
    },
  );

  it('suspend and resume set spec.suspend', () => {
    expect(actionPatch('suspend', kd(), { now }).patch).toEqual({ spec: { suspend: true } });
    expect(actionPatch('resume', kd(), { now }).patch).toEqual({ spec: { suspend: false } });
  });

  it('approve sets the hash shown, and only while it is the rendered one', () => {
    const waiting = kd({ spec: { manual: true }, status: { lastObjectsHash: 'h2' } });
    expect(actionPatch('approve', waiting, { now, hash: 'h2' }).patch).toEqual({
      spec: { manualObjectsHash: 'h2' },
    });
    expect(() => actionPatch('approve', waiting, { now, hash: 'h1' })).toThrow(/now waits for h2, not h1/);
    expect(() => actionPatch('approve', waiting, { now })).toThrow(/needs the objects hash/);
  });
});

describe('list row', () => {
  it('shows approval pending only for a manual deployment whose rendered hash is not approved', () => {
    const row = summarizeDeployment(
      kd({
        spec: { manual: true, manualObjectsHash: 'h1', target: 'prod' },
        status: {
          lastObjectsHash: 'h2',
          lastDriftDetectionResultMessage: '1 chg',
          conditions: [
            { type: 'Ready', status: 'False', reason: 'PrepareFailed', message: 'm', lastTransitionTime: '' },
          ],
        },
        annotations: { [REQUEST_ANNOTATIONS.deploy]: '{"requestValue":"x"}' },
      }),
      'c1',
    );
    const taken = (endTime?: string) =>
      summarizeDeployment(
        kd({
          status: {
            diffRequestResult: {
              request: { requestValue: 'v1' },
              startTime: '2026-01-01T00:00:00Z',
              reconcileId: 'r',
              ...(endTime ? { endTime } : {}),
            },
          },
        }),
        'c1',
      ).takenRequests;
    // A request's end changes the row, so pages watching the list reload.
    expect(taken()).toEqual([{ kind: 'diff', requestValue: 'v1', failed: false }]);
    expect(taken('2026-01-01T00:00:01Z')).toEqual([
      { kind: 'diff', requestValue: 'v1', endTime: '2026-01-01T00:00:01Z', failed: false },
    ]);
    expect(row).toMatchObject({
      clusterId: 'c1',
      project: 'https://example.com/repo.git//sub',
      target: 'prod',
      approvalPending: 'h2',
      drift: '1 chg',
      ready: { status: 'False', reason: 'PrepareFailed' },
      pendingRequests: ['deploy'],
    });
    expect(
      summarizeDeployment(
        kd({ spec: { manual: true, manualObjectsHash: 'h2' }, status: { lastObjectsHash: 'h2' } }),
        'c1',
      ).approvalPending,
    ).toBeUndefined();
    expect(
      summarizeDeployment(kd({ status: { lastObjectsHash: 'h2' } }), 'c1').approvalPending,
    ).toBeUndefined();
  });
});

describe('credentials in URLs', () => {
  it.each([
    ['https://bot:ghp_token@github.com/o/r.git', 'https://bot:***@github.com/o/r.git'],
    ['https://github.com/o/r.git', 'https://github.com/o/r.git'],
    ['ssh://git@github.com/o/r.git', 'ssh://git@github.com/o/r.git'],
    ['git@github.com:o/r.git', 'git@github.com:o/r.git'],
  ])('%s is shown as %s', (url, shown) => {
    expect(redactUrl(url)).toBe(shown);
  });

  it('never reach the list row or the detail spec', () => {
    const k = kd({ spec: { source: { git: { url: 'https://bot:s3cr3t@example.com/r.git' } } } });
    expect(JSON.stringify(summarizeDeployment(k, 'c'))).not.toContain('s3cr3t');
    expect(JSON.stringify(deploymentDetail(k, 'c'))).not.toContain('s3cr3t');
  });
});
