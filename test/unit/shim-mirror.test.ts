// What the shim mirrors of a KluctlDeployment, which changes count, and how mirrors are cut into
// pushes that fit the ingest endpoint's size limit.
import { describe, expect, it } from '@jest/globals';
import type { KubeObject } from '../../lib/ports.js';
import { MAX_PUSH_BYTES, type MirroredDeployment, type ShimPush } from '../../lib/serverless/protocol.js';
import { KUBECTL_LAST_APPLIED, mirrorOf, sameMirror } from '../../lib/shim/mirror.js';
import { splitPushes } from '../../lib/shim/push-batches.js';

function kd(patch: Partial<KubeObject['metadata']> = {}, extra: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'gitops.kluctl.io/v1beta1',
    kind: 'KluctlDeployment',
    metadata: {
      name: 'app',
      namespace: 'team',
      uid: 'u-1',
      generation: 1,
      resourceVersion: '100',
      annotations: { [KUBECTL_LAST_APPLIED]: '{"big":"copy"}', 'kluctl.io/request-deploy': 'a' },
      managedFields: [{ manager: 'kubectl' }],
      creationTimestamp: '2026-12-06T00:00:00Z',
      ...patch,
    },
    spec: { interval: '5m', target: 'prod', source: { git: { url: 'https://example.com/r.git' } } },
    status: { observedGeneration: 1 },
    ...extra,
  };
}

describe('mirrorOf', () => {
  it('keeps what the reconciler decides on and drops status, managedFields and kubectl bookkeeping', () => {
    const m = mirrorOf(kd({ finalizers: ['finalizers.gitops.kluctl.io'], labels: { a: 'b' } }));
    expect(m).toEqual({
      metadata: {
        name: 'app',
        namespace: 'team',
        uid: 'u-1',
        generation: 1,
        resourceVersion: '100',
        labels: { a: 'b' },
        annotations: { 'kluctl.io/request-deploy': 'a' },
        finalizers: ['finalizers.gitops.kluctl.io'],
      },
      spec: { interval: '5m', target: 'prod', source: { git: { url: 'https://example.com/r.git' } } },
    });
    expect(
      mirrorOf(kd({ annotations: { [KUBECTL_LAST_APPLIED]: '{}' } })).metadata.annotations,
    ).toBeUndefined();
  });
});

describe('sameMirror', () => {
  const base = mirrorOf(kd());
  it.each<[string, boolean, KubeObject]>([
    [
      'a status-only write (resourceVersion, status, managedFields)',
      true,
      kd({ resourceVersion: '101', managedFields: [] }, { status: { x: 1 } }),
    ],
    [
      'a new last-applied annotation only',
      true,
      kd({ annotations: { [KUBECTL_LAST_APPLIED]: 'other', 'kluctl.io/request-deploy': 'a' } }),
    ],
    ['a generation change', false, kd({ generation: 2 })],
    ['a request annotation', false, kd({ annotations: { 'kluctl.io/request-deploy': 'b' } })],
    ['a label', false, kd({ labels: { x: 'y' } })],
    ['a deletionTimestamp', false, kd({ deletionTimestamp: '2026-12-06T01:00:00Z' })],
    ['a finalizer', false, kd({ finalizers: ['f'] })],
    ['a new object under the same name (uid)', false, kd({ uid: 'u-2' })],
    ['a spec change', false, kd({}, { spec: { interval: '1m' } })],
  ])('%s → same: %s', (_what, same, next) => {
    expect(sameMirror(base, mirrorOf(next))).toBe(same);
  });
});

describe('splitPushes', () => {
  const objects: MirroredDeployment[] = Array.from({ length: 50 }, (_, i) =>
    mirrorOf(kd({ name: `app-${i}`, annotations: { note: 'ü'.repeat(i * 10) } })),
  );

  it('packs everything into one push when it fits, as JSON.stringify would write it', () => {
    const { pushes, tooLarge } = splitPushes('c1', 'resync', objects);
    expect(tooLarge).toEqual([]);
    expect(pushes).toHaveLength(1);
    const want: ShimPush = { clusterId: 'c1', kind: 'resync', objects };
    expect(pushes[0]!.body).toBe(JSON.stringify(want));
  });

  it('cuts into pushes of at most the limit in UTF-8 bytes, keeping every object once and in order', () => {
    const max = 1200;
    const { pushes, tooLarge } = splitPushes('c1', 'upsert', objects, max);
    const frame = Buffer.byteLength('{"clusterId":"c1","kind":"upsert","objects":[]}');
    expect(pushes.length).toBeGreaterThan(3);
    for (const p of pushes) {
      expect(Buffer.byteLength(p.body)).toBeLessThanOrEqual(max);
      expect(JSON.parse(p.body)).toEqual({ clusterId: 'c1', kind: 'upsert', objects: p.objects });
    }
    expect(pushes.flatMap((p) => p.objects)).toEqual(objects.filter((o) => !tooLarge.includes(o)));
    expect(tooLarge).toEqual(objects.filter((o) => frame + Buffer.byteLength(JSON.stringify(o)) > max));
    expect(tooLarge.length).toBeGreaterThan(0);
  });

  it('gives one empty push for an empty list (a resync of a cluster without deployments)', () => {
    const { pushes } = splitPushes('c1', 'resync', []);
    expect(pushes.map((p) => p.body)).toEqual(['{"clusterId":"c1","kind":"resync","objects":[]}']);
  });

  it('uses the protocol limit by default', () => {
    const big = mirrorOf(kd({ annotations: { blob: 'x'.repeat(MAX_PUSH_BYTES) } }));
    expect(splitPushes('c1', 'upsert', [big]).tooLarge).toEqual([big]);
  });
});
