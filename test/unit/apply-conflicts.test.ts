import {
  matchJsonPath,
  parseConflictRules,
  resolveConflicts,
} from '../../lib/deploy/apply/conflict-resolution.js';
import type { ConflictCause } from '../../lib/deploy/apply/conflict-resolution.js';
import {
  fieldOwners,
  fieldPathString,
  fieldsV1Paths,
  keyPathString,
  removeAtKeys,
  resolveFieldPath,
} from '../../lib/deploy/apply/managed-fields.js';
import { fixObjectForApply } from '../../lib/deploy/apply/fix-object-for-apply.js';
import type { KubeObject } from '../../lib/ports.js';
import { TokenBucket } from '../../lib/util/token-bucket.js';

/** managedFields as the API server stored them in a real conflict (kubectl -v=8 on 1.34). */
const KLUCTL_FIELDS = {
  'f:spec': {
    'f:template': {
      'f:spec': {
        'f:containers': {
          'k:{"name":"c1"}': {
            '.': {},
            'f:name': {},
            'f:ports': { 'k:{"containerPort":80,"protocol":"TCP"}': { '.': {}, 'f:containerPort': {} } },
          },
        },
      },
    },
  },
};
const OTHER_FIELDS = {
  'f:metadata': { 'f:labels': { 'f:a': {}, 'f:x.y/z': {} } },
  'f:spec': {
    'f:replicas': {},
    'f:template': {
      'f:spec': {
        'f:containers': {
          'k:{"name":"c1"}': {
            '.': {},
            'f:env': { 'k:{"name":"A"}': { '.': {}, 'f:name': {}, 'f:value': {} } },
            'f:image': {},
            'f:name': {},
          },
        },
      },
    },
  },
};

function deployment(
  labels: Record<string, string>,
  replicas: number,
  image: string,
  env: string,
  annotations = {},
) {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'd1', namespace: 'default', labels, annotations },
    spec: {
      replicas,
      template: {
        spec: {
          containers: [
            { name: 'c0', image: 'busybox' },
            { name: 'c1', image, env: [{ name: 'A', value: env }], ports: [{ containerPort: 80 }] },
          ],
        },
      },
    },
  } as KubeObject;
}

const remote = (manager = 'other'): KubeObject => {
  const r = deployment({ a: '9', 'x.y/z': '3' }, 3, 'nginx:2', '2');
  r.metadata.managedFields = [
    { manager: 'kluctl', operation: 'Apply', fieldsV1: KLUCTL_FIELDS },
    { manager, operation: 'Apply', fieldsV1: OTHER_FIELDS },
  ];
  return r;
};

const CAUSES: ConflictCause[] = [
  '.metadata.labels.a',
  '.metadata.labels.x.y/z',
  '.spec.replicas',
  '.spec.template.spec.containers[name="c1"].image',
  '.spec.template.spec.containers[name="c1"].env[name="A"].value',
].map((field) => ({ reason: 'FieldManagerConflict', message: 'conflict with "other"', field }));

describe('managed fields', () => {
  it('prints paths as the API server does in conflict causes', () => {
    const paths = fieldsV1Paths(OTHER_FIELDS).map(fieldPathString);
    expect(paths).toEqual(
      expect.arrayContaining([
        '.metadata.labels.x.y/z',
        '.spec.template.spec.containers[name="c1"]',
        '.spec.template.spec.containers[name="c1"].env[name="A"].value',
      ]),
    );
    expect(fieldsV1Paths(KLUCTL_FIELDS).map(fieldPathString)).toContain(
      '.spec.template.spec.containers[name="c1"].ports[containerPort=80,protocol="TCP"]',
    );
  });

  it('resolves list items by key to indexes and removes several items of one list precisely', () => {
    const obj = { spec: { list: [{ name: 'a' }, { name: 'b' }, { name: 'c' }] } };
    const owners = fieldOwners({
      apiVersion: 'v1',
      kind: 'X',
      metadata: {
        name: 'x',
        managedFields: [
          {
            manager: 'm',
            fieldsV1: { 'f:spec': { 'f:list': { 'k:{"name":"a"}': {}, 'k:{"name":"c"}': {} } } },
          },
        ],
      },
    });
    const keys = [...owners.values()].map((o) => resolveFieldPath(obj, o.paths[0]!)!);
    expect(keys.map(keyPathString)).toEqual(['spec.list[0]', 'spec.list[2]']);
    removeAtKeys(obj, keys);
    expect(obj.spec.list).toEqual([{ name: 'b' }]);
  });
});

describe('resolveConflicts (kluctl-semantics 7.6)', () => {
  const local = deployment({ a: '1', 'x.y/z': '2' }, 1, 'nginx:1', '1');

  it('drops fields of foreign managers with the lost-ownership warning, keeping the rest', () => {
    const r = resolveConflicts(local, remote(), CAUSES, []);
    const o = r.object as ReturnType<typeof deployment>;
    expect(o.metadata.labels).toEqual({});
    expect((o.spec as { replicas?: number }).replicas).toBeUndefined();
    const c1 = (o.spec as { template: { spec: { containers: Record<string, unknown>[] } } }).template.spec
      .containers[1]!;
    expect(c1).toEqual({ name: 'c1', env: [{ name: 'A' }], ports: [{ containerPort: 80 }] });
    expect(r.lostOwnership.map((l) => l.field)).toEqual(CAUSES.map((c) => c.field));
    expect(r.lostOwnership[0]!.message).toBe('conflict with "other"');
  });

  it.each(['kubectl', 'kubectl-edit', 'kluctl-webui', 'k9s', 'rancher'])(
    'overwrites fields of the known editor %s',
    (manager) => {
      const r = resolveConflicts(local, remote(manager), CAUSES, []);
      expect(r.object).toEqual(local);
      expect(r.lostOwnership).toEqual([]);
    },
  );

  it('force-apply annotations and rules keep fields; ignore wins over force-apply', () => {
    const annotated = deployment({ a: '1', 'x.y/z': '2' }, 1, 'nginx:1', '1', {
      'kluctl.io/force-apply': 'true',
      'kluctl.io/ignore-conflicts-field': 'spec.replicas',
    });
    const r = resolveConflicts(annotated, remote(), CAUSES, []);
    expect((r.object.spec as { replicas?: number }).replicas).toBeUndefined();
    expect(r.object.metadata.labels).toEqual({ a: '1', 'x.y/z': '2' });
    expect(r.lostOwnership).toEqual([]);
    const byManager = resolveConflicts(local, remote(), CAUSES, [
      { manager: ['^oth'], action: 'force-apply' },
      { kind: 'Deployment', fieldPathRegex: ['^metadata\\.labels'], action: 'ignore' },
    ]);
    expect(byManager.object.metadata.labels).toEqual({});
    expect((byManager.object.spec as { replicas?: number }).replicas).toBe(1);
    expect(byManager.lostOwnership).toEqual([]);
  });

  it('does not warn when the dropped value equals the live one', () => {
    const same = deployment({ a: '9', 'x.y/z': '3' }, 3, 'nginx:2', '2');
    expect(resolveConflicts(same, remote(), CAUSES, []).lostOwnership).toEqual([]);
  });

  it('fails with Kluctl message when a cause names an unknown field', () => {
    expect(() =>
      resolveConflicts(
        local,
        remote(),
        [{ reason: 'FieldManagerConflict', message: 'conflict with "x"', field: '.nope' }],
        [],
      ),
    ).toThrow(`conflict with "x". Could not find matching field for path '.nope'`);
  });
});

describe('conflictResolution rules', () => {
  it('accepts strings or lists and names a bad entry', () => {
    expect(parseConflictRules([{ fieldPath: 'spec.replicas', action: 'ignore' }])).toEqual([
      { fieldPath: ['spec.replicas'], action: 'ignore' },
    ]);
    expect(() => parseConflictRules([{ fieldPath: 'x', action: 'drop' }])).toThrow(
      `conflictResolution[0]: action must be 'ignore' or 'force-apply', got "drop"`,
    );
    expect(() => parseConflictRules([{ action: 'ignore' }])).toThrow('set at least one of fieldPath');
  });

  it('selects fields by JSONPath with wildcards', () => {
    const obj = { spec: { containers: [{ image: 'a' }, { image: 'b' }] } };
    expect(matchJsonPath(obj, 'spec.containers[*].image').map(keyPathString)).toEqual([
      'spec.containers[0].image',
      'spec.containers[1].image',
    ]);
  });
});

describe('fixObjectForApply', () => {
  it('adds TCP to ports without protocol and turns numeric cpu into strings', () => {
    const d = deployment({}, 1, 'x', '1');
    const c1 = (d.spec as { template: { spec: { containers: Record<string, unknown>[] } } }).template.spec
      .containers[1]!;
    c1.resources = { limits: { cpu: 1, memory: '1Gi' }, requests: { cpu: 0.5 } };
    const fixed = fixObjectForApply(d);
    const f1 = (fixed.spec as { template: { spec: { containers: Record<string, unknown>[] } } }).template.spec
      .containers[1]!;
    expect(f1.ports).toEqual([{ containerPort: 80, protocol: 'TCP' }]);
    expect(f1.resources).toEqual({ limits: { cpu: '1', memory: '1Gi' }, requests: { cpu: '0.5' } });
    expect(c1.ports).toEqual([{ containerPort: 80 }]);
    const svc: KubeObject = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 's' },
      spec: { ports: [{ port: 1 }] },
    };
    expect((fixObjectForApply(svc).spec as { ports: unknown[] }).ports).toEqual([
      { port: 1, protocol: 'TCP' },
    ]);
    const cm: KubeObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' } };
    expect(fixObjectForApply(cm)).toBe(cm);
  });
});

describe('TokenBucket', () => {
  it('lets a burst through, then paces at qps', async () => {
    let now = 0;
    const slept: number[] = [];
    const bucket = new TokenBucket({
      qps: 10,
      burst: 2,
      now: () => now,
      sleep: async (ms) => {
        slept.push(ms);
        now += ms;
      },
    });
    await Promise.all([bucket.take(), bucket.take(), bucket.take(), bucket.take()]);
    expect(slept.map(Math.round)).toEqual([100, 100]);
  });
});
