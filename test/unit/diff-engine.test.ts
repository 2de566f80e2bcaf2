/**
 * The diff engine without a cluster (kluctl-semantics §5.4, §7.7): normalisation, ignore rules and
 * annotations, canonical paths, unified diff text, diff-name grouping (TestDiffName's change records)
 * and Secret obfuscation (TestObfuscateSecrets' markers).
 */
import { computeChanges } from '../../lib/deploy/changes.js';
import type { ResultObject } from '../../lib/deploy/command-result.js';
import { collectResultObjects } from '../../lib/deploy/diff/collect-objects.js';
import { parseIgnoreForDiff, rulesForFlags } from '../../lib/deploy/diff/ignore-rules.js';
import { formatKeyPath } from '../../lib/deploy/diff/key-path.js';
import { obfuscateChanges, obfuscateObject } from '../../lib/deploy/diff/obfuscate.js';
import { refOf } from '../../lib/deploy/object-ref.js';
import { findObjectsForDelete } from '../../lib/deploy/delete-objects.js';
import { formatCommandResultText, parseOutputFlags } from '../../lib/deploy/result-output.js';
import type { KubeObject } from '../../lib/ports.js';

const cm = (
  name: string,
  data: Record<string, string>,
  annotations: Record<string, string> = {},
): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace: 'ns', annotations },
  data,
});

describe('canonical paths', () => {
  it.each([
    [['aa', 'bb', 0, 'cc'], 'aa.bb[0].cc'],
    [['a', 'bb'], '$["a"].bb'],
    [['data', 'key.with.dots'], 'data["key.with.dots"]'],

    [['mm', 'say "hi"'], `mm['say "hi"']`],
  ] as const)('%j → %s', (keys, want) => expect(formatKeyPath(keys)).toBe(want));
});

describe('computeChanges', () => {
  it('drops server metadata and status, keeps real changes with unified diffs', () => {
    const before = { ...cm('a', { kk: 'old' }), status: { x: 1 } };
    before.metadata = { ...before.metadata, resourceVersion: '1', uid: 'u', managedFields: [] };
    const changes = computeChanges(before, cm('a', { kk: 'new', added: 'v' }));
    expect(changes).toEqual([
      { type: 'insert', jsonPath: 'data.added', newValue: 'v', unifiedDiff: '+v' },
      { type: 'update', jsonPath: 'data.kk', oldValue: 'old', newValue: 'new', unifiedDiff: '-old\n+new' },
    ]);
  });

  it('shows multi-line values as a line diff with a hunk header', () => {
    const [c] = computeChanges(cm('a', { f: 'l1\nl2\nl3\n' }), cm('a', { f: 'l1\nL2\nl3\n' }));
    expect(c!.unifiedDiff).toBe('@@ -1,3 +1,3 @@\n l1\n-l2\n+L2\n l3');
  });

  it('treats env lists of workloads as maps by name (reordering is no change)', () => {
    const dep = (env: unknown[]): KubeObject => ({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'd' },
      spec: { template: { spec: { containers: [{ name: 'c', env }] } } },
    });
    const a = { name: 'AA', value: '1' };
    const b = { name: 'BB', value: '2' };
    expect(computeChanges(dep([a, b]), dep([b, a]))).toEqual([]);
    expect(computeChanges(dep([a]), dep([a, b])).map((c) => c.jsonPath)).toEqual([
      'spec.template.spec.containers[0].env.BB',
    ]);
  });

  it.each([
    ['kluctl.io/ignore-diff', 'true', []],
    ['kluctl.io/ignore-diff-field', 'data.kk', ['data.other']],
    ['kluctl.io/ignore-diff-field-2', 'data.*', []],
    ['kluctl.io/ignore-diff-field-regex', String.raw`data\.o.*`, ['data.kk']],
  ])('annotation %s=%s leaves %j', (key, value, paths) => {
    const local = cm('a', { kk: 'new', other: 'y' }, { [key]: value });
    const changes = computeChanges(cm('a', { kk: 'old', other: 'x' }, { [key]: value }), local, { local });
    expect(changes.map((c) => c.jsonPath)).toEqual(paths);
  });

  it('applies project rules only to matching objects; flags add Kluctl rules', () => {
    const rules = parseIgnoreForDiff([{ fieldPath: 'data.k', kind: 'ConfigMap', name: 'a' }]);
    expect(computeChanges(cm('a', { k: '1' }), cm('a', { k: '2' }), { rules })).toEqual([]);
    expect(computeChanges(cm('b', { k: '1' }), cm('b', { k: '2' }), { rules })).toHaveLength(1);
    const tagged = (v: string): KubeObject => ({
      ...cm('a', {}),
      metadata: { name: 'a', labels: { 'kluctl.io/tag-0': v } },
    });
    expect(computeChanges(tagged('x'), tagged('y'), { rules: rulesForFlags({ ignoreTags: true }) })).toEqual(
      [],
    );
    expect(() => parseIgnoreForDiff([{ kind: 'ConfigMap' }])).toThrow(
      /at least one of fieldPath or fieldPathRegex/,
    );
  });
});

describe('collectResultObjects (TestDiffName)', () => {
  it('reports the change under the diff name and the old object as orphan', () => {
    const ann = { 'kluctl.io/diff-name': 'cm' };
    const old = { ...cm('cm-1', { d1: 'a' }, ann) };
    old.metadata = { ...old.metadata, creationTimestamp: '2026-01-01T00:00:00Z' };
    const rendered = cm('cm-2', { d1: 'b' }, ann);
    const entries: ResultObject[] = [
      { ref: refOf(rendered), rendered, applied: rendered, new: true },
      { ref: refOf(old), remote: old, orphan: true },
    ];
    const out = collectResultObjects(entries);
    expect(out.map((o) => [o.ref.name, o.changes, o.orphan, o.new])).toEqual([
      [
        'cm',
        [
          { type: 'update', jsonPath: 'data.d1', oldValue: 'a', newValue: 'b', unifiedDiff: '-a\n+b' },
          {
            type: 'update',
            jsonPath: 'metadata.name',
            oldValue: 'cm-1',
            newValue: 'cm-2',
            unifiedDiff: '-cm-1\n+cm-2',
          },
        ],
        undefined,
        undefined,
      ],
      ['cm-1', undefined, true, undefined],
    ]);
  });
});

describe('obfuscation (TestObfuscateSecrets)', () => {
  const secret = { group: '', kind: 'Secret' };
  it('hides values of data changes, also for keys with dots and whole maps', () => {
    const changes = obfuscateChanges(secret, [
      {
        type: 'update',
        jsonPath: 'data.secret',
        oldValue: 'YQ==',
        newValue: 'Yg==',
        unifiedDiff: '-YQ==\n+Yg==',
      },
      { type: 'insert', jsonPath: 'data["secret.dot1"]', newValue: 'Yw==', unifiedDiff: '+Yw==' },
      { type: 'insert', jsonPath: 'data', newValue: { secret2: 'eA==' }, unifiedDiff: '+secret2: eA==' },
    ]);
    const text = JSON.stringify(changes);
    expect(text).not.toMatch(/YQ==|Yg==|Yw==|eA==/);
    expect(changes[0]!.unifiedDiff).toBe('-***** (obfuscated)\n+***** (obfuscated)');
    expect(changes[1]!.unifiedDiff).toBe('+***** (obfuscated)');
    expect(changes[2]!.unifiedDiff).toBe("+secret2: '***** (obfuscated)'");
  });

  it('hides Secret bodies and leaves ConfigMaps alone', () => {
    const s: KubeObject = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 's' },
      data: { a: 'c2VjcmV0' },
    };
    expect(obfuscateObject(s).data).toEqual({ a: Buffer.from('*****').toString('base64') });
    expect(
      obfuscateChanges({ group: '', kind: 'ConfigMap' }, [
        { type: 'insert', jsonPath: 'data.a', newValue: 'v' },
      ])[0]!.newValue,
    ).toBe('v');
  });

  it('prints the obfuscated diff table as Kluctl does', () => {
    const changes = obfuscateChanges(secret, [
      { type: 'insert', jsonPath: 'data["secret.dot1"]', newValue: 'x' },
    ]);
    const text = formatCommandResultText({
      objects: [{ ref: { group: '', version: 'v1', kind: 'Secret', name: 's', namespace: 'n' }, changes }],
      errors: [],
      warnings: [],
    } as never);
    expect(text).toContain('data["secret.dot1"] | +***** (obfuscated)');
    expect(text).toContain('Changed objects:\n  n/Secret/s\n');
  });
});

describe('delete candidates', () => {
  const managed = (
    kind: string,
    apiVersion: string,
    name: string,
    extra: Record<string, string> = {},
  ): KubeObject => ({
    apiVersion,
    kind,
    metadata: { name, annotations: extra, managedFields: [{ manager: 'kluctl' }] },
  });
  it('come in Kluctl order and honour skip-delete, keep and skip-delete-if-tags', () => {
    const objs = [
      managed('ConfigMap', 'v1', 'cm'),
      managed('Service', 'v1', 'svc'),
      managed('Certificate', 'cert-manager.io/v1', 'cert'),
      managed('Namespace', 'v1', 'ns'),
      managed('ConfigMap', 'v1', 'skip', { 'kluctl.io/skip-delete': 'true' }),
      managed('ConfigMap', 'v1', 'keep', { 'helm.sh/resource-policy': 'keep' }),
      managed('ConfigMap', 'v1', 'tags', { 'kluctl.io/skip-delete-if-tags': 'true' }),
    ];
    expect(findObjectsForDelete(objs).map((o) => o.metadata.name)).toEqual([
      'ns',
      'cert',
      'svc',
      'cm',
      'tags',
    ]);
    expect(
      findObjectsForDelete(objs, { inclusion: { excludeTags: ['x'] } }).map((o) => o.metadata.name),
    ).toEqual(['ns', 'cert', 'svc', 'cm']);
  });
});

describe('output flags', () => {
  it('parses format[=path] and refuses unknown formats', () => {
    expect(parseOutputFlags([])).toEqual([{ format: 'text' }]);
    expect(parseOutputFlags(['yaml=/tmp/x.yaml', 'json'])).toEqual([
      { format: 'yaml', path: '/tmp/x.yaml' },
      { format: 'json' },
    ]);
    expect(() => parseOutputFlags(['xml'])).toThrow(/invalid output format 'xml'/);
  });
});
