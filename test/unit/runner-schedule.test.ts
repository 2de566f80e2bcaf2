import type { KluctlDeployment } from '../../lib/api/types.js';
import { dueReason, entryAfterReconcile } from '../../lib/runner/schedule.js';
import { parseReconcileMessage } from '../../lib/serverless/reconcile-message.js';
import { parseArgs } from '../../bin/commands/common.js';
import { kluctlDeployment } from '../support/kluctl-deployment.js';

const now = new Date('2026-11-25T12:00:00Z');
const kd = (generation: number, annotations: Record<string, string> = {}): KluctlDeployment =>
  kluctlDeployment('n', 'a', { interval: '5m', source: {} }, { generation, annotations }) as KluctlDeployment;

describe('dueReason', () => {
  const entry = entryAfterReconcile(
    kd(1, { 'kluctl.io/request-reconcile': 'r1' }),
    new Date(now.getTime() + 60_000),
    300_000,
    now,
  );
  it.each<[string, KluctlDeployment, Date, string | undefined]>([
    ['not due', kd(1, { 'kluctl.io/request-reconcile': 'r1' }), now, undefined],
    ['generation changed', kd(2, { 'kluctl.io/request-reconcile': 'r1' }), now, 'generation changed to 2'],
    ['new request value', kd(1, { 'kluctl.io/request-reconcile': 'r2' }), now, 'reconcile requested'],
    [
      'a deploy request',
      kd(1, { 'kluctl.io/request-reconcile': 'r1', 'kluctl.io/request-deploy': '{"requestValue":"d"}' }),
      now,
      'deploy requested',
    ],
    ['a request removed (served)', kd(1), now, undefined],
    [
      'interval elapsed',
      kd(1, { 'kluctl.io/request-reconcile': 'r1' }),
      new Date(now.getTime() + 60_000),
      'interval elapsed',
    ],
  ])('%s', (_n, obj, at, reason) => expect(dueReason(obj, entry, at)).toBe(reason));
  it('is due when first seen', () => expect(dueReason(kd(1), undefined, now)).toBe('first seen'));

  // Kluctl's ReconcileRequestedPredicate: any request annotation that appears or changes triggers a
  // reconcile, a removed one does not (the controller removes them itself while processing).
  it.each(['diff', 'deploy', 'prune', 'validate', 'reconcile'])(
    'kluctl.io/request-%s appearing or changing triggers, its removal does not',
    (kind) => {
      const key = `kluctl.io/request-${kind}`;
      const seen = entryAfterReconcile(
        kd(1, { [key]: 'v1' }),
        new Date(now.getTime() + 60_000),
        300_000,
        now,
      );
      expect(dueReason(kd(1, { [key]: 'v2' }), seen, now)).toBe(`${kind} requested`);
      expect(dueReason(kd(1, { [key]: 'v1' }), seen, now)).toBeUndefined();
      expect(dueReason(kd(1), seen, now)).toBeUndefined();
      const none = entryAfterReconcile(kd(1), new Date(now.getTime() + 60_000), 300_000, now);
      expect(dueReason(kd(1, { [key]: 'v1' }), none, now)).toBe(`${kind} requested`);
    },
  );

  it('is due once when the deletion starts', () => {
    const deleting = { ...kd(2), metadata: { ...kd(2).metadata, deletionTimestamp: now.toISOString() } };
    const before = entryAfterReconcile(kd(2), new Date(now.getTime() + 60_000), 300_000, now);
    expect(dueReason(deleting, before, now)).toBe('being deleted');
    const after = entryAfterReconcile(deleting, new Date(now.getTime() + 60_000), 300_000, now);
    expect(dueReason(deleting, after, now)).toBeUndefined();
  });
});

describe('parseReconcileMessage', () => {
  const ok = {
    clusterId: '0b8a5b1e-2c4f-4f7e-9a51-3f0d2b6c7e11',
    namespace: 'ns',
    name: 'app',
    reason: 'schedule',
  };
  const body = (over: Record<string, unknown>) => JSON.stringify({ ...ok, ...over });
  it.each([
    ['a complete message', JSON.stringify(ok), ok],
    ['not json', 'not json', undefined],
    ['null', 'null', undefined],
    ['no cluster id (the one-cluster message of old)', '{"namespace":"ns","name":"app"}', undefined],
    ['a cluster id that is no key segment', body({ clusterId: '../other' }), undefined],
    ['a namespace that is no DNS name', body({ namespace: '../etc' }), undefined],
    ['no name', body({ name: undefined }), undefined],
    ['an unknown reason', body({ reason: 'because' }), undefined],
    ['a reason inherited from Object', body({ reason: 'toString' }), undefined],
  ])('%s', (_n, text, want) => expect(parseReconcileMessage(text)).toEqual(want));
  it('drops fields beyond the contract', () =>
    expect(parseReconcileMessage(body({ extra: 'x' }))).toEqual(ok));
});

describe('parseArgs (Kluctl -a syntax)', () => {
  it('parses values as YAML and dotted names as paths', () => {
    expect(parseArgs(['env=prod', 'replicas=3', 'flag=true', "quoted='true'", 'a.b.c=x', 'a.b.d=z'])).toEqual(
      {
        env: 'prod',
        replicas: 3,
        flag: true,
        quoted: 'true',
        a: { b: { c: 'x', d: 'z' } },
      },
    );
  });
  // Checked with Kluctl v2.28.2: `-a y=y -a e= -a o=0755` renders `{{ args.y }}` as True, e as None, o as 493.
  it('reads values as Kluctl does (YAML 1.1)', () =>
    expect(parseArgs(['y=y', 'e=', 'o=0755'])).toEqual({ y: true, e: null, o: 493 }));
  it('rejects malformed args', () => expect(() => parseArgs(['novalue'])).toThrow("invalid --arg 'novalue'"));
});
