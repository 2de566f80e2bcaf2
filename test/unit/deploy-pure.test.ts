import { computeChanges } from '../../lib/deploy/changes.js';
import { obfuscateSecrets } from '../../lib/deploy/command-result.js';
import type { CommandResult } from '../../lib/deploy/command-result.js';
import { splitAtBarriers } from '../../lib/deploy/deploy-project.js';
import { findOrphans, isManagedByKluctl } from '../../lib/deploy/delete-objects.js';
import type { KubeObject } from '../../lib/ports.js';

const cm = (
  name: string,
  data: Record<string, string>,
  meta: Partial<KubeObject['metadata']> = {},
): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace: 'ns', ...meta },
  data,
});

describe('computeChanges', () => {
  it('ignores server-owned metadata and reports canonical paths', () => {
    const before = cm(
      'a',
      { color: 'blue', 'key.with.dots': 'x' },
      { resourceVersion: '1', uid: 'u', managedFields: [{ manager: 'kluctl' }] },
    );
    const after = cm(
      'a',
      { color: 'green', 'key.with.dots': 'y', n: '1' },
      { resourceVersion: '2', uid: 'u', labels: { app: 'b' } },
    );
    expect(computeChanges(before, after).map((c) => [c.type, c.jsonPath])).toEqual([
      ['update', 'data.color'],
      ['update', 'data["key.with.dots"]'],
      ['insert', 'data["n"]'],
      ['insert', 'metadata.labels.app'],
    ]);
  });
  it('finds nothing between equal objects', () => {
    expect(
      computeChanges(
        cm('a', { x: '1' }, { resourceVersion: '1' }),
        cm('a', { x: '1' }, { resourceVersion: '9' }),
      ),
    ).toEqual([]);
  });
});

describe('splitAtBarriers', () => {
  it('ends a group after each barrier item', () => {
    const items = [
      { n: 1, barrier: false },
      { n: 2, barrier: true },
      { n: 3, barrier: false },
      { n: 4, barrier: true },
    ];
    expect(splitAtBarriers(items).map((g) => g.map((i) => i.n))).toEqual([
      [1, 2],
      [3, 4],
    ]);
  });
});

describe('orphans', () => {
  const kluctl = [{ manager: 'kluctl', operation: 'Apply' }];
  it.each<[string, KubeObject, boolean]>([
    ['applied by kluctl', cm('x', {}, { managedFields: kluctl }), true],
    ['applied by someone else', cm('x', {}, { managedFields: [{ manager: 'kubectl' }] }), false],
    ['owned by another object', cm('x', {}, { managedFields: kluctl, ownerReferences: [{}] }), false],
    ['force-managed', cm('x', {}, { annotations: { 'kluctl.io/force-managed': 'true' } }), true],
  ])('%s', (_n, o, managed) => expect(isManagedByKluctl(o)).toBe(managed));

  it('skips rendered and protected objects', () => {
    const remote = [
      cm('rendered', {}, { managedFields: kluctl }),
      cm('orphan', {}, { managedFields: kluctl }),
      cm('kept', {}, { managedFields: kluctl, annotations: { 'kluctl.io/skip-delete': 'true' } }),
      cm('helm-kept', {}, { managedFields: kluctl, annotations: { 'helm.sh/resource-policy': 'keep' } }),
    ];
    expect(findOrphans(remote, [cm('rendered', {})]).map((o) => o.metadata.name)).toEqual(['orphan']);
  });
});

describe('obfuscateSecrets', () => {
  it('hides Secret data in bodies and changes, and leaves other kinds alone', () => {
    const secret: KubeObject = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 's', namespace: 'ns' },
      data: { password: 'c2VjcmV0' },
    };
    const result = {
      objects: [
        {
          ref: { group: '', version: 'v1', kind: 'Secret', name: 's', namespace: 'ns' },
          rendered: secret,
          applied: secret,
          changes: [{ type: 'update', jsonPath: 'data.password', oldValue: 'YQ==', newValue: 'c2VjcmV0' }],
        },
        {
          ref: { group: '', version: 'v1', kind: 'ConfigMap', name: 'c', namespace: 'ns' },
          rendered: cm('c', { k: 'visible' }),
        },
      ],
    } as unknown as CommandResult;
    const text = JSON.stringify(obfuscateSecrets(result));
    expect(text).not.toContain('c2VjcmV0');
    expect(text).not.toContain('YQ==');
    expect(text).toContain('***** (obfuscated)');
    expect(text).toContain('visible');
    expect(JSON.stringify(result)).toContain('c2VjcmV0');
  });
});
