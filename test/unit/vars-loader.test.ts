// Ports of Kluctl's pkg/vars/vars_loader_test.go (TestVarsLoader) for the sources that need no
// service: values, file, systemEnvVars, multidoc, when, targetPath and the source-type errors.
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { VarsSource } from '../../lib/project/deployment-config.js';
import { filterRefs } from '../../lib/project/vars/git-files-source.js';
import { formatJsonPath, getJsonPath, parseJsonPath, setJsonPathOnEmpty } from '../../lib/util/json-path.js';
import { VarsRuntime } from '../../lib/project/vars/vars-runtime.js';
import type { VarsServices } from '../../lib/project/vars/vars-services.js';
import { varsContext, varsLoader } from '../support/vars.js';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ks-vars-unit-'));
  await writeFile(join(dir, 'test.yaml'), '{"test1": {"test2": 42}}');
  await writeFile(join(dir, 'multidoc.yaml'), '\n{"test1": {"test2": 42}}\n---\n{"test1": {"test2": 43}}\n');
  await writeFile(join(dir, 'docs.yaml'), '---\na: 42\n---\nb: 43\n');
  await writeFile(join(dir, 'templated.yaml'), 'x: "{{ test1.test2 }}"\n');
  await mkdir(join(dir, 'sub'));
  await writeFile(join(dir, 'sub', 'only-in-sub.yaml'), 'sub: true\n');
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const ctx = (services: VarsServices = {}, searchDirs = [dir]) =>
  varsContext(new VarsRuntime(services), { sourceRoot: dir, searchDirs });

const { load, loadError } = varsLoader(() => ctx());

describe('TestVarsLoader (Kluctl pkg/vars/vars_loader_test.go)', () => {
  it('TestValues: values merge into the context', async () => {
    expect(await load([{ values: { test1: { test2: 42 } } }])).toEqual({ test1: { test2: 42 } });
  });

  it('TestValuesNoOverrides: noOverride keeps existing values, adds new ones', async () => {
    const vars = await load([
      { values: { test1: { test2: 42 } } },
      { values: { test1: { test2: 43, test3: 1 } }, noOverride: true },
    ]);
    expect(vars).toEqual({ test1: { test2: 42, test3: 1 } });
  });

  it('TestValuesTargetPath: values are nested at targetPath', async () => {
    expect(await load([{ values: { test1: { test2: 42 } }, targetPath: 'my.target' }])).toEqual({
      my: { target: { test1: { test2: 42 } } },
    });
  });

  it('TestWhen: a source loads only when its condition is true', async () => {
    const vars = await load([{ values: { test1: 'a' } }, { values: { test1: 'b' }, when: 'test1 == "b"' }]);
    expect(vars.test1).toBe('a');
    expect((await load([{ values: { test1: 'b' }, when: 'test1 == "a"' }], ctx(), vars)).test1).toBe('b');
  });

  it('values: strings are rendered with the vars loaded before', async () => {
    const vars = await load([{ values: { a: 1 } }, { values: { b: '{{ a }}' } }]);
    expect(vars.b).toBe('1');
  });

  it('TestFile: file, ignoreMissing on an existing and a missing file, multidoc with targetPath', async () => {
    const c = ctx();
    expect(await load([{ file: 'test.yaml' }], c)).toEqual({ test1: { test2: 42 } });
    expect(c.runtime.sensitive).toEqual([]);
    expect(await load([{ file: 'test.yaml', ignoreMissing: true }])).toEqual({ test1: { test2: 42 } });
    expect(await load([{ file: 'test-missing.yaml', ignoreMissing: true }])).toEqual({});
    expect(await load([{ file: 'multidoc.yaml', multidoc: true, targetPath: 'nested' }])).toEqual({
      nested: [{ test1: { test2: 42 } }, { test1: { test2: 43 } }],
    });
  });

  it('file: a missing file without ignoreMissing names the file', async () => {
    expect(await loadError([{ file: 'test-missing.yaml' }])).toBe(
      'deployment.yml: failed to render vars file test-missing.yaml: template test-missing.yaml not found',
    );
  });

  it('file: rendered with the current vars; found in any search dir', async () => {
    expect((await load([{ values: { test1: { test2: 1 } } }, { file: 'templated.yaml' }])).x).toBe('1');
    expect(await load([{ file: 'only-in-sub.yaml' }], ctx({}, [dir, join(dir, 'sub')]))).toEqual({
      sub: true,
    });
  });

  it('TestMultidoc: without multidoc only the first document loads; multidoc needs targetPath', async () => {
    expect(await load([{ file: 'docs.yaml', multidoc: false }])).toEqual({ a: 42 });
    expect(await loadError([{ file: 'docs.yaml', multidoc: true }])).toContain(
      'multidoc vars sources can only be used when targetPath is also specified',
    );
    expect(await load([{ file: 'docs.yaml', multidoc: true, targetPath: 'nested' }])).toEqual({
      nested: [{ a: 42 }, { b: 43 }],
    });
  });

  it('TestSystemEnv: names, YAML typing, defaults, missing variables and ignoreMissing', async () => {
    const env = { TEST1: '42', TEST2: "'43'", TEST4: '44' };
    const c = ctx({ env });
    const vars = await load(
      [
        {
          systemEnvVars: {
            test1: 'TEST1',
            test2: 'TEST2',
            test3: { test4: 'TEST4' },
            test5: 'TEST5:def',
            test6: 'TEST1:def',
            test7: "TEST5:''",
            test8: 'TEST5:',
          },
        },
      ],
      c,
    );
    expect(vars).toEqual({
      test1: 42,
      test2: '43',
      test3: { test4: 44 },
      test5: 'def',
      test6: 42,
      test7: '',
      test8: '',
    });
    expect(c.runtime.sensitive[0]).toMatchObject({ type: 'systemEnvVars', file: 'deployment.yml' });
    expect(c.runtime.sensitive[0]!.values).toEqual(['43', 'def']);
    expect(await loadError([{ systemEnvVars: { test5: 'TEST5' } }], ctx({ env }))).toBe(
      'deployment.yml: environment variable TEST5 not found for test5',
    );
    expect(
      await load([{ systemEnvVars: { test1: 'TEST-MISSING' }, ignoreMissing: true }], ctx({ env })),
    ).toEqual({});
  });

  it('systemEnvVars: the environment is only what the caller injects (none by default)', async () => {
    expect(await loadError([{ systemEnvVars: { home: 'HOME' } }])).toContain(
      'environment variable HOME not found',
    );
  });

  it('sensitive: overrides the automatic flag in both directions', async () => {
    const c = ctx({ env: { A: 'secret-a' } });
    await load(
      [
        { values: { v: 'shown-as-secret' }, sensitive: true },
        { systemEnvVars: { a: 'A' }, sensitive: false },
      ],
      c,
    );
    expect(c.runtime.sensitive).toEqual([
      { file: 'deployment.yml', type: 'values', paths: ['v'], values: ['shown-as-secret'] },
    ]);
  });

  it.each([
    [{}, 'unknown vars source type'],
    [{ values: {}, file: 'x.yaml' }, 'more then one vars source type'],
    [{ clusterConfigMap: { name: 'cm', namespace: 'n', key: 'k' } }, 'loading vars from cluster is disabled'],
    [{ clusterSecret: { name: 's', namespace: 'n', key: 'k' } }, 'loading vars from cluster is disabled'],
    [{ clusterObject: { kind: 'ConfigMap', name: 'x', path: '$' } }, 'loading vars from cluster is disabled'],
    [{ awsSecretsManager: { secretName: 'secret' } }, 'no AWS client factory provided'],
    [{ git: { url: 'http://127.0.0.1:1/x.git', path: 'x.yaml' } }, 'loading vars from git is disabled'],
  ] as [VarsSource, string][])('error: %j fails with "%s"', async (src, message) => {
    expect(await loadError([src])).toContain(message);
  });

  it("targetPath: a non-dict value needs one ('targetPath' is required for this variable source)", async () => {
    await writeFile(join(dir, 'scalar.yaml'), '- 1\n- 2\n');
    expect(await loadError([{ file: 'docs.yaml', multidoc: true, targetPath: '' }])).toContain(
      'multidoc vars sources can only be used when targetPath is also specified',
    );
    const c = ctx({ env: { L: '[1, 2]' } });
    expect(await load([{ systemEnvVars: { l: 'L' } }], c)).toEqual({ l: [1, 2] });
  });

  it('TestClusterObject targetPath errors: wildcard and index cannot be created', () => {
    expect(() => setJsonPathOnEmpty(parseJsonPath('list[*].x.y'), 1)).toThrow(
      "can not deduce what element to add at 'list'",
    );
    expect(() => setJsonPathOnEmpty(parseJsonPath('list[0].x.y'), 1)).toThrow(
      "can not follow a <nil> at 'list[0]'",
    );
  });
});

describe('vars JSONPath dialect', () => {
  const obj = { metadata: { labels: { label2: '42', 'a.b': 'dotted' } }, items: [{ x: 1 }, { x: 2 }] };
  it.each([
    ['$', [obj]],
    ['metadata.labels["label2"]', ['42']],
    ["$.metadata.labels['a.b']", ['dotted']],
    ['items[1].x', [2]],
    ['items[*].x', [1, 2]],
    ['metadata.labels.*', ['42', 'dotted']],
    ['missing.x', []],
  ])('%s', (path, expected) => {
    expect(getJsonPath(obj, parseJsonPath(path))).toEqual(expected);
  });
  it('formats and rejects', () => {
    expect(formatJsonPath(parseJsonPath('a["b.c"][0]'))).toBe('a["b.c"][0]');
    expect(() => parseJsonPath('a[b')).toThrow("invalid JSON path 'a[b'");
  });
});

describe('gitFiles helpers', () => {
  const remote = {
    refs: {
      'refs/heads/main': 'c1',
      'refs/heads/feature-a': 'c2',
      'refs/heads/feature-b': 'c3',
      'refs/tags/v1': 'c1',
    },
    head: 'refs/heads/main',
  };
  it.each([
    [undefined, ['refs/heads/main']],
    [{ branch: 'feature-.*' }, ['refs/heads/feature-a', 'refs/heads/feature-b']],
    [{ tag: 'v.*' }, ['refs/tags/v1']],
    [{ commit: 'c3' }, ['refs/heads/feature-b']],
  ])('refs %j select %j (branch/tag are regexes)', (ref, expected) => {
    expect([...filterRefs(remote, ref).keys()].sort()).toEqual(expected);
  });
  it('unknown commit', () => {
    expect(() => filterRefs(remote, { commit: 'nope' })).toThrow('commit nope not found');
  });
});
