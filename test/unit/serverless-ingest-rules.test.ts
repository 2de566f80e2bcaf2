// The pure rules of ingest: which pushed changes rewrite the mirror and which enqueue a reconcile
// (mirror-change.ts), and how a push body is checked at the trust boundary (parse-push.ts).
import { describe, expect, it } from '@jest/globals';
import { KsError } from '../../lib/errors.js';
import { mirrorChange } from '../../lib/serverless/mirror-change.js';
import { namesOnly, parseShimPush } from '../../lib/serverless/parse-push.js';
import type { MirroredDeployment } from '../../lib/serverless/protocol.js';
import {
  scheduleShardKey,
  scheduleShardKeyAt,
  parseScheduleShardKey,
  SCHEDULE_SHARDS,
} from '../../lib/state/layout.js';

const base: MirroredDeployment = {
  metadata: {
    name: 'app',
    namespace: 'team-a',
    uid: 'uid-1',
    generation: 1,
    resourceVersion: '100',
    annotations: { note: 'x' },
  },
  spec: { interval: '5m', source: { git: { url: 'https://example.com/r.git' } } },
};

function edit(f: (m: Record<string, unknown>, spec: Record<string, unknown>) => void): MirroredDeployment {
  const copy = structuredClone(base) as unknown as {
    metadata: Record<string, unknown>;
    spec: Record<string, unknown>;
  };
  f(copy.metadata, copy.spec);
  return copy as unknown as MirroredDeployment;
}

describe('mirrorChange', () => {
  it.each<
    [
      string,
      MirroredDeployment | undefined,
      MirroredDeployment,
      { write: boolean; reason?: string; stale?: boolean },
    ]
  >([
    ['a new object', undefined, base, { write: true, reason: 'created' }],
    [
      'the same name with another UID (recreated)',
      base,
      edit((m) => (m.uid = 'uid-2')),
      { write: true, reason: 'created' },
    ],
    [
      'a status-only change (resourceVersion moved)',
      base,
      edit((m) => (m.resourceVersion = '101')),
      { write: false },
    ],
    [
      'a new generation',
      base,
      edit((m, s) => ((m.generation = 2), (s.interval = '1m'))),
      { write: true, reason: 'generation' },
    ],
    [
      'a new kluctl.io/request-reconcile value',
      base,
      edit((m) => (m.annotations = { note: 'x', 'kluctl.io/request-reconcile': '1' })),
      { write: true, reason: 'request' },
    ],
    [
      'a changed kluctl.io/request-deploy value',
      edit((m) => (m.annotations = { 'kluctl.io/request-deploy': '1' })),
      edit((m) => (m.annotations = { 'kluctl.io/request-deploy': '2' })),
      { write: true, reason: 'request' },
    ],
    [
      'a removed request annotation',
      edit((m) => (m.annotations = { 'kluctl.io/request-diff': '1' })),
      edit((m) => (m.annotations = {})),
      { write: true },
    ],
    ['another annotation', base, edit((m) => (m.annotations = { note: 'y' })), { write: true }],
    ['a label', base, edit((m) => (m.labels = { a: 'b' })), { write: true }],
    [
      'a deletion timestamp that appeared',
      base,
      edit((m) => ((m.deletionTimestamp = '2026-12-06T12:00:00Z'), (m.resourceVersion = '102'))),
      { write: true, reason: 'deletion' },
    ],
    [
      'finalizers removed while deleting',
      edit((m) => ((m.deletionTimestamp = '2026-12-06T12:00:00Z'), (m.finalizers = ['f']))),
      edit((m) => (m.deletionTimestamp = '2026-12-06T12:00:00Z')),
      { write: true },
    ],
    [
      'an older generation of the same object (late retry)',
      edit((m) => (m.generation = 3)),
      base,
      { write: false, stale: true },
    ],
  ])('%s', (_name, previous, next, want) => {
    expect(mirrorChange(previous, next)).toEqual(want);
  });
});

describe('parseShimPush', () => {
  const push = (over: Record<string, unknown> = {}, objects: unknown[] = [base]) =>
    JSON.stringify({ clusterId: 'c1', kind: 'upsert', objects, ...over });

  it('keeps only the mirrored fields', () => {
    const extra = {
      ...base,
      status: { x: 1 },
      metadata: { ...base.metadata, managedFields: [{}], creationTimestamp: 't' },
    };
    const parsed = parseShimPush(push({}, [extra]), 'c1');
    expect(parsed).toEqual({ clusterId: 'c1', kind: 'upsert', objects: [base] });
  });

  it('accepts resync entries with names only next to full ones', () => {
    const parsed = parseShimPush(
      push({ kind: 'resync' }, [base, { metadata: { name: 'b', namespace: 'c' } }]),
      'c1',
    );
    expect(parsed.objects.map(namesOnly)).toEqual([false, true]);
    expect(() => parseShimPush(push({}, [{ metadata: { name: 'b', namespace: 'c' } }]), 'c1')).toThrow(
      'objects[0].metadata.uid',
    );
  });

  it('accepts a delete push with names only', () => {
    const parsed = parseShimPush(
      push({ kind: 'delete' }, [{ metadata: { name: 'a', namespace: 'b' } }]),
      'c1',
    );
    expect(parsed.objects[0]?.metadata).toEqual({ name: 'a', namespace: 'b' });
  });

  it.each<[string, string, string]>([
    ['not JSON', '{', 'body is not JSON'],
    [
      'another cluster in the body',
      push({ clusterId: 'c2' }),
      `clusterId "c2" does not match the signed cluster 'c1'`,
    ],
    ['an unknown kind', push({ kind: 'patch' }), 'kind "patch": expected one of upsert, delete, resync'],
    ['objects not a list', push({ objects: {} }), 'objects: expected an array'],
    [
      'a bad name',
      push({}, [edit((m) => (m.name = 'Bad_Name'))]),
      'objects[0].metadata.name: expected a Kubernetes name',
    ],
    [
      'no namespace',
      push({}, [edit((m) => delete m.namespace)]),
      'objects[0].metadata.namespace: expected a Kubernetes name',
    ],
    ['no uid', push({}, [edit((m) => delete m.uid)]), 'objects[0].metadata.uid: expected the object'],
    [
      'a fractional generation',
      push({}, [edit((m) => (m.generation = 1.5))]),
      'objects[0].metadata.generation: expected a non-negative integer',
    ],
    ['no spec', push({}, [{ metadata: base.metadata }]), 'objects[0].spec: expected an object'],
    [
      'a bad interval',
      push({}, [edit((_m, s) => (s.interval = 'soon'))]),
      'objects[0].spec.interval: expected a duration',
    ],
    [
      'a non-string annotation',
      push({}, [edit((m) => (m.annotations = { a: 1 }))]),
      'objects[0].metadata.annotations.a: expected a string value',
    ],
    [
      'a bad deletion time',
      push({}, [edit((m) => (m.deletionTimestamp = 'later'))]),
      'objects[0].metadata.deletionTimestamp: expected an RFC 3339 time',
    ],
    ['the same deployment twice', push({}, [base, base]), 'objects[1]: team-a/app appears twice'],
  ])('refuses %s', (_name, body, message) => {
    let err: unknown;
    try {
      parseShimPush(body, 'c1');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(KsError);
    expect((err as KsError).code).toBe('InvalidInput');
    expect((err as KsError).message).toContain(`invalid shim push: ${message}`);
  });
});

describe('schedule index keys', () => {
  it('spreads deployments over every shard and parses its own keys back', () => {
    const keys = new Set<string>();
    for (let i = 0; i < 400; i++)
      keys.add(scheduleShardKey({ clusterId: 'c1', namespace: 'ns', name: `d${i}` }));
    expect(keys.size).toBe(SCHEDULE_SHARDS);
    expect(scheduleShardKeyAt('c1', 15)).toBe('schedule/c1/0f.json');
    expect(parseScheduleShardKey('schedule/c1/0f.json')).toEqual({ clusterId: 'c1', shard: 15 });
    expect(parseScheduleShardKey('schedule/c1/x.json')).toBeUndefined();
    expect(() => scheduleShardKeyAt('c1', SCHEDULE_SHARDS)).toThrow('outside');
  });
});
