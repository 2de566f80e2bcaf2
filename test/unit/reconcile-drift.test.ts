/**
 * The pure parts of drift detection (lib/reconcile/drift.ts): the drift result and message as Kluctl
 * builds them (BuildDriftDetectionResult, BuildShortMessage) and the bookkeeping of the resourceVersions
 * a diff may skip (updateResourceVersions in Kluctl's controller).
 */
import type { CommandResult, ResultObject } from '../../lib/deploy/command-result.js';
import type { KubeObject } from '../../lib/ports.js';
import {
  driftDetectionResult,
  driftMessage,
  resourceVersionsOf,
  versionsBeforeDiff,
} from '../../lib/reconcile/drift.js';

const obj = (name: string, rv?: string, kind = 'ConfigMap'): KubeObject => ({
  apiVersion: 'v1',
  kind,
  metadata: { name, namespace: 'ns', ...(rv ? { resourceVersion: rv } : {}) },
});
const ref = (name: string, kind = 'ConfigMap') => ({ group: '', version: 'v1', kind, name, namespace: 'ns' });
const change = { type: 'update', jsonPath: 'data.x', oldValue: 'a', newValue: 'b', unifiedDiff: '-a\n+b' };

function diffResult(objects: ResultObject[], extra: Partial<CommandResult> = {}): CommandResult {
  return {
    id: 'id-1',
    reconcileId: 'rec-1',
    projectKey: { repoKey: 'git://h/r' },
    targetKey: { targetName: 't', clusterId: 'c', discriminator: 'd' },
    target: { name: 't' },
    command: { command: 'diff', startTime: '2026-01-01T00:00:00Z', endTime: '2026-01-01T00:00:02Z' },
    clusterInfo: { clusterId: 'c' },
    renderedObjectsHash: 'h',
    objects,
    errors: [],
    warnings: [],
    ...extra,
  } as CommandResult;
}

describe('driftDetectionResult', () => {
  test('keeps the header and only drifted objects, with the version the command left', () => {
    const same = obj('same', '5');
    const dr = driftDetectionResult(
      diffResult([
        { ref: ref('same'), rendered: same, remote: same, applied: same },
        { ref: ref('changed'), remote: obj('changed', '7'), applied: obj('changed', '8'), changes: [change] },
        { ref: ref('new'), rendered: obj('new'), applied: obj('new'), new: true },
        { ref: ref('orphan'), remote: obj('orphan', '9'), orphan: true },
      ]),
    );
    expect(dr).toEqual({
      id: 'id-1',
      reconcileId: 'rec-1',
      projectKey: { repoKey: 'git://h/r' },
      targetKey: { targetName: 't', clusterId: 'c', discriminator: 'd' },
      renderedObjectsHash: 'h',
      startTime: '2026-01-01T00:00:00Z',
      endTime: '2026-01-01T00:00:02Z',
      objects: [
        {
          ref: { version: 'v1', kind: 'ConfigMap', name: 'changed', namespace: 'ns' },
          changes: [change],
          lastResourceVersion: '8',
        },
        {
          ref: { version: 'v1', kind: 'ConfigMap', name: 'new', namespace: 'ns' },
          new: true,
          lastResourceVersion: '',
        },
        {
          ref: { version: 'v1', kind: 'ConfigMap', name: 'orphan', namespace: 'ns' },
          orphan: true,
          lastResourceVersion: '9',
        },
      ],
    });
  });

  test('hides Secret values in changes', () => {
    const secretChange = { type: 'update', jsonPath: 'data.password', oldValue: 'YQ==', newValue: 'Yg==' };
    const dr = driftDetectionResult(
      diffResult([{ ref: ref('s', 'Secret'), remote: obj('s', '1', 'Secret'), changes: [secretChange] }]),
    );
    expect(JSON.stringify(dr)).not.toMatch(/YQ==|Yg==/);
    expect(dr.objects?.[0]?.changes?.[0]).toMatchObject({ oldValue: '*****', newValue: '*****' });
  });

  test('lists errors and warnings, and leaves out empty lists', () => {
    const dr = driftDetectionResult(
      diffResult([], { warnings: [{ ref: { kind: '', name: '' }, message: 'no discriminator' }] }),
    );
    expect(dr.warnings).toHaveLength(1);
    expect('errors' in dr).toBe(false);
    expect('objects' in dr).toBe(false);
  });
});

describe('driftMessage', () => {
  const o = (f: Record<string, unknown>) => ({
    ref: { kind: 'ConfigMap', name: 'x' },
    lastResourceVersion: '',
    ...f,
  });
  const e = { ref: { kind: '', name: '' }, message: 'm' };
  it.each([
    ['nothing drifted', {}, 'no drift'],
    ['errors alone are no drift (as in Kluctl)', { errors: [e] }, 'no drift'],
    ['one new', { objects: [o({ new: true })] }, '1 new'],
    [
      'every kind, in Kluctl order',
      {
        objects: [
          o({ deleted: true }),
          o({ orphan: true }),
          o({ changes: [change] }),
          o({ new: true }),
          o({ new: true }),
        ],
        errors: [e],
        warnings: [e, e],
      },
      '2 new/1 chg/1 orp/1 del/1 err/2 wrn',
    ],
  ])('%s', (_name, fields, expected) => {
    const dr = {
      id: '',
      reconcileId: '',
      projectKey: {},
      targetKey: { targetName: '', clusterId: '' },
      startTime: '',
      endTime: '',
      ...fields,
    };
    expect(driftMessage(dr as Parameters<typeof driftMessage>[0])).toBe(expected);
  });
});

describe('resourceVersions', () => {
  const objects: ResultObject[] = [
    { ref: ref('applied'), remote: obj('applied', '1'), applied: obj('applied', '2') },
    { ref: ref('live'), remote: obj('live', '3') },
    { ref: ref('norv'), rendered: obj('norv'), applied: obj('norv') },
  ];

  test('the applied version, else the live one; none without a version', () => {
    expect(resourceVersionsOf(objects)).toEqual({ '/ConfigMap/ns/applied': '2', '/ConfigMap/ns/live': '3' });
  });

  test('drifted objects are left out so that the next diff looks at them', () => {
    const drifted = [
      { ref: { version: 'v1', kind: 'ConfigMap', name: 'live', namespace: 'ns' }, lastResourceVersion: '3' },
    ];
    expect(resourceVersionsOf(objects, drifted)).toEqual({ '/ConfigMap/ns/applied': '2' });
  });

  it.each([
    ['no deploy, same objects: the remembered ones', {}, { '/ConfigMap/ns/old': '1' }],
    ['no deploy, rendered objects changed: none', { objectsHash: 'new' }, {}],
    ['a deploy: its own versions', { deploy: { dryRun: false, objects } }, resourceVersionsOf(objects)],
    ['a dry-run deploy: none', { deploy: { dryRun: true, objects } }, {}],
  ])('before the diff, %s', (_name, change, expected) => {
    const v = {
      remembered: { '/ConfigMap/ns/old': '1' },
      lastObjectsHash: 'h',
      objectsHash: 'h',
      ...change,
    };
    expect(versionsBeforeDiff(v)).toEqual(expected);
  });
});
