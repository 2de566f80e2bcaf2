/**
 * The in-process fast path for resources-only kustomizations must give exactly what the real kustomize
 * gives: the same objects, in the same order, with the same key order (so the same objects hash).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fastPathBuilder, simpleResourceFiles } from '../../lib/project/kustomize-fast.js';
import { binaryBuilder } from '../../lib/project/build-item.js';
import { renderProject } from '../../lib/project/render-project.js';
import { toolPath } from '../../devenv/tools.js';
import { TempDirs } from '../support/files.js';

const PROJECT = fileURLToPath(new URL('../fixtures/projects/microservices', import.meta.url));
const binary = binaryBuilder(toolPath('kustomize'));
const temp = new TempDirs('fast-path-');
const tempDir = (): string => temp.make();
afterAll(() => temp.removeAll());

describe('kustomize fast path', () => {
  it.each(['dev', 'prod'])(
    'gives the objects, order and key order of the real kustomize for every item (%s)',
    async (target) => {
      const stats = { fast: 0, slow: 0 };
      const fast = await renderProject({
        projectDir: PROJECT,
        target,
        renderDir: tempDir(),
        builder: fastPathBuilder(binary, stats),
      });
      const real = await renderProject({
        projectDir: PROJECT,
        target,
        renderDir: tempDir(),
        builder: binary,
      });
      expect(stats).toEqual({ fast: fast.items.filter((i) => i.dir).length, slow: 0 });
      expect(JSON.stringify(fast.objects)).toBe(JSON.stringify(real.objects));
      expect(fast.objectsHash).toBe(real.objectsHash);
      // And item by item against kustomize run on the same prepared dirs.
      for (const item of fast.items.filter((i) => i.renderedDir)) {
        const viaFast = await fastPathBuilder(binary)(item.renderedDir!, item.dir);
        const viaBinary = await binary(item.renderedDir!, item.dir);
        expect(JSON.stringify(viaFast)).toBe(JSON.stringify(viaBinary));
      }
    },
  );

  it('leaves kustomizations with transformers, Lists, duplicates and unknown kinds under namespace to kustomize', async () => {
    const dir = tempDir();
    const cm = (n: string): string => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${n}\n`;
    const cases: Record<string, [string, Record<string, string>]> = {
      labels: [
        'resources: [a.yaml]\nsortOptions: {order: fifo}\ncommonLabels: {x: z}\n',
        { 'a.yaml': cm('a') },
      ],
      legacy: ['resources: [a.yaml]\n', { 'a.yaml': cm('a') }],
      list: [
        'resources: [a.yaml]\nsortOptions: {order: fifo}\n',
        { 'a.yaml': `apiVersion: v1\nkind: List\nitems:\n  - ${cm('x').replace(/\n/g, '\n    ')}` },
      ],
      crb: [
        'namespace: ns\nresources: [a.yaml]\nsortOptions: {order: fifo}\n',
        {
          'a.yaml':
            'apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: rb}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: r}\nsubjects: [{kind: ServiceAccount, name: sa, namespace: other}]\n',
        },
      ],
    };
    for (const [name, [k, files]] of Object.entries(cases)) {
      const d = join(dir, name);
      mkdirSync(d);
      writeFileSync(join(d, 'kustomization.yml'), k);
      for (const [f, t] of Object.entries(files)) writeFileSync(join(d, f), t);
      const stats = { fast: 0, slow: 0 };
      const out = await fastPathBuilder(binary, stats)(d, name);
      expect([name, stats]).toEqual([name, { fast: 0, slow: 1 }]);
      expect(JSON.stringify(out)).toBe(JSON.stringify(await binary(d, name)));
    }
    expect(await simpleResourceFiles(join(dir, 'labels'))).toBeUndefined();
    // Without namespace the fast path applies, and kustomize's sorted key order is reproduced.
    const plain = join(dir, 'plain');
    mkdirSync(plain);
    writeFileSync(join(plain, 'kustomization.yml'), 'resources: [a.yaml]\nsortOptions: {order: fifo}\n');
    writeFileSync(
      join(plain, 'a.yaml'),
      'kind: ConfigMap\napiVersion: v1\nmetadata:\n  name: a\n  labels: {z: "1", a: "2"}\ndata: {b: "1", a: "2"}\n',
    );
    const stats = { fast: 0, slow: 0 };
    const out = await fastPathBuilder(binary, stats)(plain, 'plain');
    expect(stats).toEqual({ fast: 1, slow: 0 });
    expect(JSON.stringify(out)).toBe(JSON.stringify(await binary(plain, 'plain')));
  });

  it('reads resource files as kustomize does: YAML 1.2 scalars, timestamps, annotations as their text', async () => {
    const dir = tempDir();
    const build = async (name: string, yaml: string): Promise<[unknown, { fast: number; slow: number }]> => {
      const d = join(dir, name);
      mkdirSync(d);
      writeFileSync(join(d, 'kustomization.yml'), 'resources: [a.yaml]\nsortOptions: {order: fifo}\n');
      writeFileSync(join(d, 'a.yaml'), `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n${yaml}`);
      const stats = { fast: 0, slow: 0 };
      const out = await fastPathBuilder(binary, stats)(d, name);
      expect([name, JSON.stringify(out)]).toEqual([name, JSON.stringify(await binary(d, name))]);
      return [out, stats];
    };
    const [out, stats] = await build(
      'scalars',
      [
        '  annotations: {kluctl.io/hook-weight: 1, a: yes, b: 0755, c: ~, d: "x", e: 1e3}',
        '  labels: {tier: 1, on: yes}',
        'data:',
        '  v10: yes',
        '  v9: 0755',
        '  v1: 0o755',
        '  "0755": 1_000',
        '  t: 2001-12-14t21:59:43.10-05:00',
        '  d: 2001-12-14',
        '  n: 2001-02-30',
        '  f: 1e3',
        '  h: 0x1F',
        '  s: "yes"',
        '  e: ""',
        '  z: null',
        '',
      ].join('\n'),
    );
    expect(stats).toEqual({ fast: 1, slow: 0 });
    expect(out).toEqual([
      expect.objectContaining({
        metadata: {
          name: 'a',
          annotations: {
            'kluctl.io/hook-weight': '1',
            a: 'yes',
            b: '0755',
            c: '~',
            d: 'x',
            e: '1e3',
          },
          labels: { tier: 1, on: 'yes' },
        },
        data: expect.objectContaining({
          v10: 'yes',
          v9: 493,
          t: '2001-12-14T21:59:43.1-05:00',
          d: '2001-12-14T00:00:00Z',
        }),
      }),
    ]);
    // Empty or null annotations are dropped, as kustomize does.
    expect((await build('empty', '  annotations: {}\n  labels: {}\n'))[1]).toEqual({ fast: 1, slow: 0 });
    expect((await build('null', '  annotations:\n'))[1]).toEqual({ fast: 1, slow: 0 });
    // Anchors, merge keys, tags and non-string keys are left to kustomize.
    for (const [name, yaml] of [
      ['anchor', 'data: {a: &x "1", b: *x}\n'],
      ['merge', 'x: &m {a: "1"}\ndata:\n  <<: *m\n'],
      ['tag', 'data: {a: !!str 1}\n'],
      ['key', 'spec: {1: a}\n'],
    ] as const) {
      const d = join(dir, name);
      mkdirSync(d);
      writeFileSync(join(d, 'kustomization.yml'), 'resources: [a.yaml]\nsortOptions: {order: fifo}\n');
      writeFileSync(join(d, 'a.yaml'), `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n${yaml}`);
      const st = { fast: 0, slow: 0 };
      await fastPathBuilder(binary, st)(d, name).catch(() => undefined);
      expect([name, st]).toEqual([name, { fast: 0, slow: 1 }]);
    }
  });
});
