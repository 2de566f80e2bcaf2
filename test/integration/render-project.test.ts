/**
 * Renders the fixture projects with the real pinned kustomize (no cluster needed). Scenarios ported
 * from Kluctl's e2e suite name the test they follow.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { ProjectLoadError, TemplateError, ToolError } from '../../lib/errors.js';
import type { KubeObject } from '../../lib/ports.js';
import { listTargets, renderProject } from '../../lib/project/render-project.js';
import type { RenderOptions, RenderedProject } from '../../lib/project/render-project.js';
import { TempDirs, writeFiles } from '../support/files.js';

const fixtures = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'projects');
const twoTargets = join(fixtures, 'two-targets');
const temp = new TempDirs('render-test-');
const tempDir = (): string => temp.make();

async function render(opts: Partial<RenderOptions> & { projectDir: string }): Promise<RenderedProject> {
  const r = await renderProject({ renderDir: tempDir(), ...opts });
  return r;
}

/** Writes a small project from a map of relative paths to contents. */
const writeProject = (files: Record<string, string>): string => writeFiles(tempDir(), files);

const find = (objs: readonly KubeObject[], kind: string, name: string): KubeObject => {
  const o = objs.find((x) => x.kind === kind && x.metadata.name === name);
  if (!o) throw new Error(`${kind}/${name} not rendered`);
  return o;
};

afterAll(() => temp.removeAll());

describe('renderProject on the two-target fixture', () => {
  let dev: RenderedProject;
  beforeAll(async () => {
    dev = await render({ projectDir: twoTargets, target: 'dev' });
  });

  it('flattens items depth-first with onlyRender, barrier and include-barrier items', () => {
    expect(dev.items.map((i) => [i.dir, i.barrier, i.onlyRender, i.objects.length])).toEqual([
      ['base', false, true, 0],
      ['kustomize-app', false, false, 3],
      ['plain', false, false, 3],
      ['', true, false, 0],
      ['sub/cms', false, false, 1],
      ['', true, false, 0],
    ]);
    expect(dev.items[3]?.message).toBe('wait for the apps');
  });

  it('keeps kustomize input order (no legacy kind sorting) and drops kluctl.io/ignore objects', () => {
    expect(dev.objects.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([
      'Service/demo',
      'Deployment/demo',
      'ClusterRole/demo-reader',
      'ConfigMap/settings',
      'Namespace/demo-dev',
      'ConfigMap/raw',
      'ConfigMap/sub-cm',
    ]);
  });

  it('renders files with target, args and vars from values and file sources', () => {
    expect(find(dev.objects, 'ConfigMap', 'settings').data).toEqual({
      target: 'dev',
      region: 'eu-dev',
      size: 'small',
      itemVar: 'item-1',
      color: 'blue',
      html: '<b>&amp;</b>',
    });
    expect(find(dev.objects, 'ConfigMap', 'raw').data).toEqual({ template: '{{ not rendered }}' });
    expect((find(dev.objects, 'Deployment', 'demo').spec as { replicas: number }).replicas).toBe(1);
    expect(readFileSync(join(dev.renderDir, 'plain', 'notes.txt'), 'utf8')).toBe('Rendered for dev');
  });

  it('generates a kustomization for plain dirs from the sorted YAML files only', () => {
    const k = parse(readFileSync(join(dev.renderDir, 'plain', 'kustomization.yml'), 'utf8')) as Record<
      string,
      unknown
    >;
    expect(k.resources).toEqual(['cm.yaml', 'ignored.yaml', 'ns.yaml', 'raw.yml']);
    expect(k.namespace).toBe('demo-dev');
  });

  it('writes commonLabels (child overrides parent, object labels overridden), discriminator and tags', () => {
    expect(find(dev.objects, 'ConfigMap', 'settings').metadata.labels).toEqual({
      tier: 'root',
      'app.kubernetes.io/part-of': 'demo',
      'kluctl.io/discriminator': 'two-targets-dev',
      'kluctl.io/tag-0': 'root',
      'kluctl.io/tag-1': 'plain',
    });
    expect(find(dev.objects, 'ConfigMap', 'sub-cm').metadata.labels).toEqual({
      tier: 'sub',
      'app.kubernetes.io/part-of': 'demo',
      'kluctl.io/discriminator': 'two-targets-dev',
      'kluctl.io/tag-0': 'sub-tag',
      'kluctl.io/tag-1': 'sub',
      'kluctl.io/tag-2': 'root',
      'kluctl.io/tag-3': 'cms',
    });
  });

  it('writes commonAnnotations, the item dir and skip-delete-if-tags', () => {
    expect(find(dev.objects, 'ConfigMap', 'settings').metadata.annotations).toEqual({
      'example.com/owner': 'team-a',
      'kluctl.io/deployment-item-dir': 'plain',
      'kluctl.io/skip-delete-if-tags': 'true',
    });
    expect(find(dev.objects, 'ConfigMap', 'sub-cm').metadata.annotations).toEqual({
      'example.com/owner': 'team-a',
      'kluctl.io/deployment-item-dir': 'sub/cms',
    });
  });

  it('applies overrideNamespace from the nearest project and fixes namespaces by scope', () => {
    expect(find(dev.objects, 'ConfigMap', 'sub-cm').metadata.namespace).toBe('demo-dev');
    expect(find(dev.objects, 'Deployment', 'demo').metadata.namespace).toBe('demo-dev');
    expect(find(dev.objects, 'ClusterRole', 'demo-reader').metadata.namespace).toBeUndefined();
    expect(find(dev.objects, 'Namespace', 'demo-dev').metadata.namespace).toBeUndefined();
  });

  it('discriminator_test: target inherits top-level discriminator', () => {
    expect(dev.discriminator).toBe('two-targets-dev');
    expect(dev.target).toMatchObject({ name: 'dev', context: 'dev-ctx' });
  });

  it('renders the other target with its own args, discriminator and when-gated item', async () => {
    const prod = await render({ projectDir: twoTargets, target: 'prod' });
    expect(prod.discriminator).toBe('prod-us');
    expect((find(prod.objects, 'Deployment', 'demo').spec as { replicas: number }).replicas).toBe(3);
    expect(prod.items.map((i) => i.dir)).toContain('prod-only');
    // kustomize's namespace transformer replaces explicit namespaces too.
    expect(find(prod.objects, 'ConfigMap', 'prod-only').metadata.namespace).toBe('demo-prod');
    expect(prod.objectsHash).not.toBe(dev.objectsHash);
  });

  it('hash is stable across renders and changes when exactly one object changes', async () => {
    const again = await render({ projectDir: twoTargets, target: 'dev' });
    expect(again.objectsHash).toBe(dev.objectsHash);
    const changed = await render({
      projectDir: twoTargets,
      target: 'dev',
      args: { settings: { color: 'green' } },
    });
    const differing = changed.objects.filter((o, i) => JSON.stringify(o) !== JSON.stringify(dev.objects[i]));
    expect(differing.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual(['ConfigMap/settings']);
    expect(changed.objectsHash).not.toBe(dev.objectsHash);
  });

  it('args_test: external args deep-merge into defaults and win over target args', async () => {
    const r = await render({
      projectDir: twoTargets,
      target: 'prod',
      args: { settings: { color: 'red' }, region: 'ap' },
    });
    expect(find(r.objects, 'ConfigMap', 'settings').data).toMatchObject({
      color: 'red',
      size: 'small',
      region: 'ap-prod',
    });
    expect(r.discriminator).toBe('prod-ap');
  });

  it('no_target_test: -T renames the target, --context overrides the target context', async () => {
    const r = await render({
      projectDir: twoTargets,
      target: 'dev',
      targetNameOverride: 'renamed',
      contextOverride: 'other',
    });
    expect(r.target).toMatchObject({ name: 'renamed', context: 'other' });
    expect(find(r.objects, 'ConfigMap', 'settings').data).toMatchObject({ target: 'renamed' });
    // The discriminator was rendered at load time with the original name (§1.6).
    expect(r.discriminator).toBe('two-targets-dev');
  });

  it('uses the injected scope lookup; unknown scope leaves objects as they are', async () => {
    const calls: string[] = [];
    const r = await render({
      projectDir: twoTargets,
      target: 'dev',
      isNamespaced: async (apiVersion, kind) => {
        calls.push(`${apiVersion}/${kind}`);
        return kind === 'ClusterRole' ? true : undefined;
      },
    });
    expect(calls).toContain('rbac.authorization.k8s.io/v1/ClusterRole');
    expect(find(r.objects, 'ClusterRole', 'demo-reader').metadata.namespace).toBe('default');
  });

  it('fails target selection with Kluctl wording', async () => {
    await expect(render({ projectDir: twoTargets })).rejects.toThrow(
      'a target must be explicitly selected when targets are defined in the Kluctl project',
    );
    await expect(render({ projectDir: twoTargets, target: 'qa' })).rejects.toThrow(
      'target qa not existent in kluctl project config',
    );
  });

  it('lists targets sorted by name', async () => {
    expect((await listTargets(twoTargets)).map((t) => t.name)).toEqual(['dev', 'prod']);
  });
});

describe('renderProject on other projects', () => {
  it('TestNoTargetNoDeployment: a plain manifests dir renders as one item with the no-name target', async () => {
    // As in Kluctl's e2e test, with a cluster to ask for scopes: the ConfigMap lands in `default`.
    const r = await render({
      projectDir: join(fixtures, 'no-target-no-deployment'),
      isNamespaced: async (_apiVersion, kind) => kind === 'ConfigMap',
    });
    expect(r.target.name).toBe('');
    expect(r.discriminator).toBe('');
    expect(r.items.map((i) => i.dir)).toEqual(['.']);
    expect(r.objects).toEqual([
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: {
          name: 'cm',
          namespace: 'default',
          annotations: { 'kluctl.io/deployment-item-dir': '.' },
        },
        data: { target: 'x' },
      },
    ]);
  });

  it('offline (no scope lookup) leaves namespaces as rendered, as kluctl render --offline-kubernetes', async () => {
    const r = await render({ projectDir: join(fixtures, 'no-target-no-deployment') });
    expect(r.objects.map((o) => o.metadata)).toEqual([
      { name: 'cm', annotations: { 'kluctl.io/deployment-item-dir': '.' } },
    ]);
  });

  it('resolves a project dir inside a larger source root and names item dirs from the root', async () => {
    const root = writeProject({
      'proj/deployment.yml': 'deployments:\n  - path: app\n  - include: ../shared\n',
      'proj/app/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n',
      'shared/deployment.yml': 'deployments:\n  - path: x\n',
      'shared/x/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n',
    });
    const r = await render({ projectDir: join(root, 'proj'), sourceRoot: root });
    expect(r.items.map((i) => [i.dir, i.tags])).toEqual([
      ['proj/app', ['app']],
      ['shared/x', ['shared', 'x']],
    ]);
    // With the project dir as the root, `..` stops there: ../shared names proj/shared (Kluctl's securejoin).
    await expect(render({ projectDir: join(root, 'proj') })).rejects.toThrow(
      'deployment.yml: include ../shared: shared does not exist or is not a directory',
    );
  });

  it('stops `..` of a path at the source root, as Kluctl does', async () => {
    const root = writeProject({ 'proj/deployment.yml': 'deployments:\n  - path: ../x\n' });
    const projectDir = join(root, 'proj');
    // ../x is checked as proj/x (clamped at the root): missing there, it is missing.
    mkdirSync(join(root, 'x'));
    await expect(render({ projectDir, sourceRoot: projectDir })).rejects.toThrow(
      'deployment directory does not exist: ../x',
    );
    // When the clamped dir exists, the dir rendered would still be outside the root.
    mkdirSync(join(projectDir, 'x'));
    await expect(render({ projectDir, sourceRoot: projectDir })).rejects.toThrow(
      'path/include is not part of the deployment project: ../x',
    );
  });

  it.each([
    [
      'an undefined variable in an item file',
      {
        'deployment.yml': 'deployments:\n  - path: a\n',
        'a/cm.yaml': 'kind: ConfigMap\ndata:\n  x: "{{ nope }}"\n',
      },
      TemplateError,
      "a/cm.yaml:3:7: 'nope' is undefined",
    ],
    [
      'an undefined variable in deployment.yml',
      { 'deployment.yml': 'deployments:\n  - path: "{{ nope }}"\n' },
      TemplateError,
      "deployment.yml:2:12: 'nope' is undefined (in {{ nope }})",
    ],
    [
      'a YAML error in a rendered file',
      { 'deployment.yml': 'deployments:\n  - path: a\n', 'a/cm.yaml': 'kind: ConfigMap\ndata: [\n  x: 1\n' },
      ProjectLoadError,
      'a/cm.yaml:',
    ],
    [
      'a missing item dir',
      { 'deployment.yml': 'deployments:\n  - path: missing\n' },
      ProjectLoadError,
      'deployment directory does not exist: missing',
    ],
    [
      'an unknown field in deployment.yml',
      { 'deployment.yml': 'deployments:\n  - path: a\n    foo: 1\n' },
      ProjectLoadError,
      'deployment.yml:3:5: unknown field "foo"',
    ],
    [
      'an include without deployment.yml',
      { 'deployment.yml': 'deployments:\n  - include: sub\n', 'sub/kustomization.yml': 'resources: []\n' },
      ProjectLoadError,
      'deployment.yml not found but folder sub contains a kustomization.yml',
    ],
    [
      'a root when',
      { 'deployment.yml': 'when: "true"\ndeployments: []\n' },
      ProjectLoadError,
      "the root deployment project can not contain 'when'",
    ],
    [
      'a missing required argument',
      { '.kluctl.yml': 'args:\n  - name: env\n', 'deployment.yml': 'deployments: []\n' },
      ProjectLoadError,
      'required argument env not set',
    ],
    [
      'a kustomize failure',
      {
        'deployment.yml': 'deployments:\n  - path: a\n',
        'a/kustomization.yml': 'resources:\n  - missing.yaml\n',
      },
      ToolError,
      'kustomize build of a failed',
    ],
  ])('reports %s', async (_name, files, errorClass, message) => {
    const err = await render({ projectDir: writeProject(files) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(errorClass);
    expect((err as Error).message).toContain(message);
  });

  it('vars: file with ignoreMissing, noOverride, targetPath and when', async () => {
    const dir = writeProject({
      'deployment.yml': [
        'vars:',
        '  - values: {a: 1, nested: {x: 1}}',
        '  - file: missing.yml',
        '    ignoreMissing: true',
        '  - values: {a: 2, b: 2}',
        '    noOverride: true',
        '  - file: more.yml',
        '    targetPath: deep.path',
        '  - values: {a: 99}',
        '    when: a == 2',
        'deployments:',
        '  - path: app',
      ].join('\n'),
      // Not `y:`: Kluctl reads YAML 1.1, where the key y is the boolean true (named "true").
      'more.yml': 'w: "{{ a }}-{{ nested.x }}"\n',
      'app/cm.yaml':
        'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  v: "{{ a }} {{ b }} {{ deep.path.w }}"\n',
    });
    const r = await render({ projectDir: dir });
    expect(r.objects[0]?.data).toEqual({ v: '1 2 1-1' });
    expect(existsSync(join(r.renderDir, 'app', '.rendered.yml'))).toBe(true);
  });
});
