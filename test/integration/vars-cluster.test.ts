// Ports of Kluctl's pkg/vars/vars_loader_test.go cluster cases (TestClusterConfigMap,
// TestClusterSecret, TestK8sObjectLabels, TestClusterObject) against the real test API server.
import { HttpKubeClient } from '../../lib/adapters/http-kube-client.js';
import type { VarsSource } from '../../lib/project/deployment-config.js';
import type { Dict } from '../../lib/project/merge.js';
import { VarsRuntime } from '../../lib/project/vars/vars-runtime.js';
import { createTestNamespace, kubectlTest, testEnv } from '../support/test-env.js';
import { varsContext, varsLoader } from '../support/vars.js';

let kube: HttpKubeClient;
let ns: string;

beforeAll(async () => {
  kube = await HttpKubeClient.fromKubeconfig({ kubeconfigPath: testEnv().kubeconfigPath });
  ns = await createTestNamespace('vars-cluster');
  const objects = [
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'cm', namespace: ns },
      data: {
        vars: '{"test1": {"test2": 42}}',
        value: '42',
        multidoc: '{"test1": {"test2": 42}}\n---\n{"test1": {"test2": 43}}\n',
      },
    },
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 's', namespace: ns },
      data: { vars: Buffer.from('{"test1": {"test2": 42}}').toString('base64') },
    },
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: 'cm1',
        namespace: ns,
        labels: { label1: 'lv1', label2: '42', label3: 'x' },
        annotations: { yaml: '{"x": 45}', render: '{{ my.target.a }}' },
      },
      data: { vars: '{"test1": {"test2": 42}}' },
    },
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: 'cm2',
        namespace: ns,
        labels: { label1: 'lv2', label2: '44', label3: 'x' },
        annotations: { a1: 'v1', a2: '{{ my.target.a }}' },
      },
      data: { vars: '{"test3": {"test4": 43}}' },
    },
  ];
  const res = await kubectlTest(['apply', '-f', '-'], {
    input: objects.map((o) => JSON.stringify(o)).join('\n'),
  });
  if (res.code !== 0) throw new Error(res.stderr);
});
afterAll(() => kube?.close());

const ctx = (withCluster = true) => varsContext(new VarsRuntime(withCluster ? { cluster: kube } : {}));

const { load, loadError } = varsLoader(() => ctx());

describe('TestVarsLoader cluster sources (Kluctl pkg/vars/vars_loader_test.go)', () => {
  it('TestClusterConfigMap: by name, missing object/key errors, ignoreMissing keeps defaults, targetPath, multidoc', async () => {
    const cm = (key: string, extra: Partial<VarsSource> = {}, name = 'cm'): VarsSource => ({
      clusterConfigMap: { name, namespace: ns, key },
      ...extra,
    });
    expect(await load([cm('vars')])).toEqual({ test1: { test2: 42 } });
    expect(await loadError([cm('vars1', {}, 'cm1x')])).toBe('deployment.yml: configmaps "cm1x" not found');
    expect(await loadError([cm('vars1')])).toBe(
      `deployment.yml: key vars1 not found in ${ns}/ConfigMap/cm on cluster`,
    );
    expect(await load([cm('vars1', { ignoreMissing: true })])).toEqual({});
    // A default from an earlier source survives a skipped ignoreMissing source with targetPath.
    expect(
      await load([
        { values: { deep: { nested: { path: 7 } } } },
        cm('vars1', { ignoreMissing: true, targetPath: 'deep.nested.path' }),
      ]),
    ).toEqual({ deep: { nested: { path: 7 } } });
    expect(await load([cm('vars', { ignoreMissing: true }, 'cm-missing')])).toEqual({});
    expect(await loadError([cm('value')])).toContain("'targetPath' is required for this variable source");
    expect(
      await load([
        { clusterConfigMap: { name: 'cm', namespace: ns, key: 'value', targetPath: 'deep.nested.path' } },
      ]),
    ).toEqual({
      deep: { nested: { path: 42 } },
    });
    expect(await load([cm('multidoc', { multidoc: true, targetPath: 'nested' })])).toEqual({
      nested: [{ test1: { test2: 42 } }, { test1: { test2: 43 } }],
    });
  });

  it('TestClusterSecret: base64-decoded, errors, ignoreMissing; always sensitive', async () => {
    const s = (key: string, extra: Partial<VarsSource> = {}, name = 's'): VarsSource => ({
      clusterSecret: { name, namespace: ns, key },
      ...extra,
    });
    const c = ctx();
    expect(await load([s('vars')], c)).toEqual({ test1: { test2: 42 } });
    expect(c.runtime.sensitive).toEqual([
      { file: 'deployment.yml', type: 'clusterSecret', paths: ['test1.test2'], values: [] },
    ]);
    expect(await loadError([s('vars1', {}, 's1')])).toBe('deployment.yml: secrets "s1" not found');
    expect(await loadError([s('vars1')])).toBe(
      `deployment.yml: key vars1 not found in ${ns}/Secret/s on cluster`,
    );
    expect(await load([s('vars1', { ignoreMissing: true })])).toEqual({});
    const c2 = ctx();
    await load([s('vars', { ignoreMissing: true }, 's-missing')], c2);
    expect(c2.runtime.sensitive).toHaveLength(1);
  });

  it('TestK8sObjectLabels: selection by labels must match exactly one object', async () => {
    const byLabels = (labels: Record<string, string>, extra: Partial<VarsSource> = {}): VarsSource => ({
      clusterConfigMap: { labels, namespace: ns, key: 'vars' },
      ...extra,
    });
    expect(await load([byLabels({ label1: 'lv1' })])).toEqual({ test1: { test2: 42 } });
    expect(await load([byLabels({ label1: 'lv2' })])).toEqual({ test3: { test4: 43 } });
    expect(await load([byLabels({ label2: 'value-missing' }, { ignoreMissing: true })])).toEqual({});
    expect(await loadError([byLabels({ label3: 'x' })])).toContain(
      'found more than one objects with labels map[label3:x]',
    );
    expect(await loadError([byLabels({ label2: 'nope' })])).toContain(
      'no object found with labels map[label2:nope]',
    );
  });

  it('TestClusterObject: path, $, multiple matches, apiVersion, labels with list, render, parseYaml', async () => {
    const obj = (spec: Dict, targetPath?: string): VarsSource => ({
      clusterObject: { kind: 'ConfigMap', namespace: ns, ...spec },
      ...(targetPath ? { targetPath } : {}),
    });
    let vars = await load([
      obj({ name: 'cm1', path: 'metadata.labels["label2"]' }, 'my.target.a'),
      obj({ name: 'cm1', path: '$' }, 'my.target2'),
      obj({ name: 'cm1', apiVersion: 'v1', path: 'metadata.labels["label2"]' }, 'my.target3'),
    ]);
    expect(vars).toMatchObject({ my: { target: { a: '42' }, target2: { apiVersion: 'v1' }, target3: '42' } });
    expect(await loadError([obj({ name: 'cm1', path: 'metadata.labels.*' }, 'x')])).toContain(
      'json path resulted in multiple matches',
    );
    expect(await loadError([obj({ name: 'cm1', path: 'metadata.labels["label2"]' })])).toContain(
      "'targetPath' is required for this variable source",
    );
    expect(
      await loadError([obj({ labels: { label3: 'x' }, path: 'metadata.labels["label2"]' }, 'b')]),
    ).toContain('found more than one object');
    vars = await load(
      [
        obj({ labels: { label1: 'lv2' }, path: 'metadata.labels["label2"]' }, 'my.target.b'),
        obj({ labels: { label3: 'x' }, list: true, path: 'metadata.labels["label2"]' }, 'my.target.c'),
      ],
      ctx(),
      vars,
    );
    expect(vars).toMatchObject({ my: { target: { a: '42', b: '44', c: ['42', '44'] } } });

    vars = await load(
      [
        obj({ name: 'cm1', path: 'metadata.annotations["render"]' }, 'my.target.b'),
        obj({ name: 'cm1', path: 'metadata.annotations["render"]', render: true }, 'my.target.c'),
        obj({ name: 'cm2', path: 'metadata.annotations', render: true }, 'my.target.d'),
        obj({ name: 'cm1', path: 'metadata.annotations["yaml"]', parseYaml: true }, 'my.target.e'),
      ],
      ctx(),
      vars,
    );
    const t = (vars.my as Dict).target as Dict;
    expect(t.b).toBe('{{ my.target.a }}');
    expect(t.c).toBe('42');
    expect(t.d).toMatchObject({ a1: 'v1', a2: '42' });
    expect(t.e).toEqual({ x: 45 });
    expect(await loadError([obj({ name: 'nope', path: '$' }, 'x')])).toContain('no object found');
    // Unlike configmaps/secrets, a skipped clusterObject still merges its empty result (Kluctl).
    expect(await load([{ ...obj({ name: 'nope', path: '$' }, 'x'), ignoreMissing: true }])).toEqual({
      x: {},
    });
  });

  it('cluster sources without a cluster fail with "loading vars from cluster is disabled"', async () => {
    expect(
      await loadError([{ clusterConfigMap: { name: 'cm', namespace: ns, key: 'vars' } }], ctx(false)),
    ).toBe('deployment.yml: loading vars from cluster is disabled');
  });
});
