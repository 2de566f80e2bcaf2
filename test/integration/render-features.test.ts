/**
 * Project features rendered end to end with the real kustomize (and a real git server for git
 * includes). Each block names the Kluctl e2e scenario it follows.
 */
import { lstatSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { IsomorphicGitSource } from '../../lib/adapters/isomorphic-git-source.js';
import { imagePlaceholder } from '../../lib/images/placeholders.js';
import type { KubeObject } from '../../lib/ports.js';
import { renderProject } from '../../lib/project/render-project.js';
import type { RenderOptions, RenderedProject } from '../../lib/project/render-project.js';
import { startGitServer } from '../../devenv/git-server.js';
import type { GitServer } from '../../devenv/git-server.js';
import { createRepo } from '../../devenv/git-repo.js';
import { TempDirs, writeFiles } from '../support/files.js';

const temp = new TempDirs('render-feat-');
const tempDir = (): string => temp.make();
const writeProject = (files: Record<string, string>): string => writeFiles(tempDir(), files);
const cm = (name: string, data = 'x: "1"'): string =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\ndata:\n  ${data}\n`;
const names = (r: RenderedProject): string[] => r.objects.map((o) => o.metadata.name);
function render(opts: Partial<RenderOptions> & { projectDir: string }): Promise<RenderedProject> {
  return renderProject({ renderDir: tempDir(), ...opts });
}
afterAll(() => temp.removeAll());

describe('inclusion_test', () => {
  const files = {
    'deployment.yml': [
      'deployments:',
      '  - path: a',
      '  - path: b',
      '    tags: [tb, shared]',
      '  - include: inc',
      '  - path: always',
      '    alwaysDeploy: true',
      '  - barrier: true',
      '  - path: base',
      '    onlyRender: true',
    ].join('\n'),
    'a/cm.yaml': cm('a'),
    'b/cm.yaml': cm('b'),
    'always/cm.yaml': cm('always'),
    'base/cm.yaml': cm('base'),
    'inc/deployment.yml': 'tags: [inc-tag]\ndeployments:\n  - path: c\n  - path: d\n    tags: [shared]\n',
    'inc/c/cm.yaml': cm('c'),
    'inc/d/cm.yaml': cm('d'),
  };
  let dir: string;
  beforeAll(() => (dir = writeProject(files)));

  it.each<[string, RenderOptions['inclusion'], string[]]>([
    ['no rules: everything', undefined, ['a', 'b', 'c', 'd', 'always']],
    ['default tag of a path item', { includeTags: ['a'] }, ['a', 'always']],
    ['explicit tags replace the default tag', { includeTags: ['b'] }, ['always']],
    ['tags of an included project reach its items', { includeTags: ['inc-tag'] }, ['c', 'd', 'always']],
    ['default tag of an include', { includeTags: ['inc'] }, ['c', 'd', 'always']],
    ['exclude wins over include', { includeTags: ['inc'], excludeTags: ['shared'] }, ['c', 'always']],
    ['include by deployment dir', { includeDeploymentDirs: ['inc/c'] }, ['c', 'always']],
    ['exclude by deployment dir', { excludeDeploymentDirs: ['a', 'inc/d'] }, ['b', 'c', 'always']],
  ])('%s', async (_n, inclusion, expected) => {
    const r = await render({ projectDir: dir, ...(inclusion ? { inclusion } : {}) });
    expect(names(r)).toEqual(expected);
    // barriers and onlyRender items stay in whatever the rules say
    expect(r.items.some((i) => i.barrier)).toBe(true);
    expect(r.items.some((i) => i.onlyRender)).toBe(true);
  });
});

describe('deployment_items_test: TestTemplateIgnore', () => {
  it('copies ignored files verbatim, at project and item level', async () => {
    const dir = writeProject({
      '.templateignore': 'raw-*.yaml\n',
      'deployment.yml': 'deployments:\n  - path: app\n',
      'app/.templateignore': 'sub/\n',
      'app/kustomization.yml': 'resources: [raw-1.yaml, rendered.yaml, sub/cm.yaml]\n',
      'app/raw-1.yaml': cm('raw', 'v: "{{ not_rendered }}"'),
      'app/rendered.yaml': cm('rendered', 'v: "{{ target.name }}x"'),
      'app/sub/cm.yaml': cm('sub', 'v: "{{ also.not.rendered }}"'),
    });
    const r = await render({ projectDir: dir });
    expect(r.objects.map((o) => [o.metadata.name, o.data])).toEqual([
      ['raw', { v: '{{ not_rendered }}' }],
      ['rendered', { v: 'x' }],
      ['sub', { v: '{{ also.not.rendered }}' }],
    ]);
  });
});

describe('library_test', () => {
  const lib = {
    'lib/.kluctl-library.yml': 'args:\n  - name: a\n    default: da\n  - name: b\n',
    'lib/deployment.yml': 'deployments:\n  - path: m\n',
    'lib/m/cm.yaml': cm('lib', 'v: "{{ args.a }}-{{ args.b }}"'),
  };
  it('a library include gets its own args with defaults and no parent vars', async () => {
    const dir = writeProject({
      ...lib,
      'deployment.yml':
        'vars:\n  - values: {parent_var: p}\ndeployments:\n  - include: lib\n    args: {b: given}\n',
    });
    const r = await render({ projectDir: dir });
    expect(r.objects[0]?.data).toEqual({ v: 'da-given' });
    writeFileSync(join(dir, 'lib/m/pv.yaml'), cm('pv', 'v: "{{ parent_var }}"'));
    await expect(render({ projectDir: dir })).rejects.toThrow("'parent_var' is undefined");
  });

  it('passVars passes the parent vars (not args) into the library', async () => {
    const dir = writeProject({
      ...lib,
      'lib/m/pv.yaml': cm('pv', 'v: "{{ parent_var }}"'),
      'deployment.yml':
        // b is z, not y: Kluctl reads YAML 1.1, where a bare y is the boolean true.
        'vars:\n  - values: {parent_var: p}\ndeployments:\n  - include: lib\n    passVars: true\n    args: {a: x, b: z}\n',
    });
    expect((await render({ projectDir: dir })).objects.map((o) => o.data)).toEqual([
      { v: 'x-z' },
      { v: 'p' },
    ]);
  });

  it("a missing library arg fails with 'required argument b not set'", async () => {
    const dir = writeProject({ ...lib, 'deployment.yml': 'deployments:\n  - include: lib\n' });
    await expect(render({ projectDir: dir })).rejects.toThrow('required argument b not set');
  });

  it('a non-library include inherits the parent vars and args', async () => {
    const dir = writeProject({
      '.kluctl.yml': 'args:\n  - name: a\n    default: root-a\n',
      'deployment.yml': 'vars:\n  - values: {parent_var: p}\ndeployments:\n  - include: sub\n',
      'sub/deployment.yml': 'deployments:\n  - path: m\n',
      'sub/m/cm.yaml': cm('sub', 'v: "{{ args.a }}-{{ parent_var }}"'),
    });
    expect((await render({ projectDir: dir })).objects[0]?.data).toEqual({ v: 'root-a-p' });
  });
});

describe('when_test', () => {
  it('skips items and includes whose when is false; a missing path only fails when true', async () => {
    const dir = writeProject({
      // Not `on`: Kluctl reads YAML 1.1, where `on` is the boolean true (the arg would be named "true").
      '.kluctl.yml': 'args:\n  - name: enabled\n    default: false\n',
      'deployment.yml': [
        'deployments:',
        '  - path: missing',
        '    when: args.enabled',
        '  - path: a',
        '    when: not args.enabled',
        '  - include: inc',
      ].join('\n'),
      'a/cm.yaml': cm('a'),
      'inc/deployment.yml': 'when: args.enabled\ndeployments:\n  - path: b\n',
      'inc/b/cm.yaml': cm('b'),
    });
    expect(names(await render({ projectDir: dir }))).toEqual(['a']);
    await expect(render({ projectDir: dir, args: { enabled: true } })).rejects.toThrow(
      'deployment directory does not exist: missing',
    );
  });
});

describe('deployment items carry their deploy-time fields', () => {
  it('deleteObjects and waitReadinessObjects reach the result; reserved fields are refused', async () => {
    const dir = writeProject({
      'deployment.yml': [
        'deployments:',
        '  - path: a',
        '  - deleteObjects: [{kind: ConfigMap, name: old, namespace: ns}]',
        '  - barrier: true',
        '    waitReadinessObjects: [{group: apps, kind: Deployment, name: web}]',
      ].join('\n'),
      'a/cm.yaml': cm('a'),
    });
    const r = await render({ projectDir: dir });
    expect(r.items.map((i) => [i.deleteObjects, i.waitReadinessObjects])).toEqual([
      [[], []],
      [[{ kind: 'ConfigMap', name: 'old', namespace: 'ns' }], []],
      [[], [{ group: 'apps', kind: 'Deployment', name: 'web' }]],
    ]);
    const bad = writeProject({
      'deployment.yml': 'deployments:\n  - path: a\n    renderedObjects: []\n',
      'a/cm.yaml': cm('a'),
    });
    await expect(render({ projectDir: bad })).rejects.toThrow('unknown field "renderedObjects"');
  });
});

describe('images_test (placeholders as images.get_image renders them)', () => {
  function project(): string {
    const deploy = (name: string, containers: [string, string][]): string =>
      [
        'apiVersion: apps/v1',
        'kind: Deployment',
        `metadata: {name: ${name}, namespace: ns}`,
        'spec:',
        '  template:',
        '    spec:',
        '      containers:',
        ...containers.map(([c, img]) => `        - name: ${c}\n          image: "${img}"`),
      ].join('\n');
    return writeProject({
      '.kluctl.yml':
        'targets:\n  - name: t\n    images:\n      - image: nginx\n        resultImage: nginx:target\n',
      'deployment.yml':
        'vars:\n  - values:\n      images:\n        - image: redis\n          resultImage: redis:from-vars\ndeployments:\n  - path: app\n',
      'app/web.yaml': deploy('web', [
        ['c1', imagePlaceholder('nginx')],
        ['c2', imagePlaceholder('redis')],
      ]),
      'app/other.yaml': deploy('other', [['c1', imagePlaceholder('nginx')]]),
    });
  }

  it('resolves target images, vars images, -F by deployment and by container; records seen images', async () => {
    const r = await render({
      projectDir: project(),
      target: 't',
      fixedImages: [
        { image: 'nginx', deployment: 'Deployment/other', resultImage: 'nginx:by-deployment' },
        { image: 'redis', container: 'c2', resultImage: 'redis:by-container' },
      ],
    });
    const images = (o: KubeObject): string[] =>
      (o.spec as { template: { spec: { containers: { image: string }[] } } }).template.spec.containers.map(
        (c) => c.image,
      );
    expect(r.objects.map(images)).toEqual([['nginx:by-deployment'], ['nginx:target', 'redis:by-container']]);
    expect(r.seenImages.map((s) => [s.image, s.resultImage, s.deployment, s.container])).toEqual([
      ['nginx', 'nginx:by-deployment', 'Deployment/other', 'c1'],
      ['nginx', 'nginx:target', 'Deployment/web', 'c1'],
      ['redis', 'redis:by-container', 'Deployment/web', 'c2'],
    ]);
  });

  it('falls back to the images var and fails for an image nobody fixed', async () => {
    const dir = project();
    const r = await render({ projectDir: dir, target: 't' });
    expect(r.seenImages.find((s) => s.image === 'redis')?.resultImage).toBe('redis:from-vars');
    writeFileSync(
      join(dir, 'app/extra.yaml'),
      `apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n    - name: x\n      image: "${imagePlaceholder('unknown/img')}"\n`,
    );
    await expect(render({ projectDir: dir, target: 't' })).rejects.toThrow(
      'failed to find fixed image for unknown/img',
    );
  });
});

describe('git_include_test', () => {
  let server: GitServer;
  beforeAll(async () => {
    server = await startGitServer();
  });
  afterAll(() => server.stop());

  it('includes projects from git by default branch, branch, tag and commit, with subDir', async () => {
    const repo = await createRepo(server, 'inc', {
      'deployment.yml': 'deployments:\n  - path: m\n',
      'm/cm.yaml': cm('git-main', 'v: "{{ args.env }}"'),
      'sub/deployment.yml': 'deployments:\n  - path: s\n',
      'sub/s/cm.yaml': cm('git-sub'),
    });
    const first = await repo.head();
    await repo.tag('v1');
    await repo.switchBranch('feature');
    await repo.commit({ 'm/cm.yaml': cm('git-feature') }, 'feature');
    const url = repo.url;
    const dir = writeProject({
      '.kluctl.yml': 'args:\n  - name: env\n    default: dev\n',
      'deployment.yml': [
        'deployments:',
        `  - git: ${url}`,
        `  - git: {url: "${url}", ref: {branch: feature}}`,
        `  - git: {url: "${url}", ref: {tag: v1}, subDir: sub}`,
        `  - git: {url: "${url}", ref: {commit: "${first}"}}`,
      ].join('\n'),
    });
    const r = await render({ projectDir: dir, git: new IsomorphicGitSource() });
    expect(names(r)).toEqual(['git-main', 'git-feature', 'git-sub', 'git-main']);
    expect(r.objects[0]?.data).toEqual({ v: 'dev' });
    // The item dir is relative to the included repository; no default tag for git includes.
    expect(r.items.map((i) => [i.dir, i.tags])).toEqual([
      ['m', ['m']],
      ['m', ['m']],
      ['sub/s', ['s']],
      ['m', ['m']],
    ]);
    expect(readFileSync(join(r.items[1]!.renderedDir!, 'cm.yaml'), 'utf8')).toContain('git-feature');
  });

  it('refuses file:// urls and invalid subDirs', async () => {
    const a = writeProject({ 'deployment.yml': 'deployments:\n  - git: file:///tmp/x\n' });
    await expect(render({ projectDir: a, git: new IsomorphicGitSource() })).rejects.toThrow(
      'file:// git urls are not supported',
    );
    const b = writeProject({
      'deployment.yml': 'deployments:\n  - git: {url: "http://x/y.git", subDir: "a:b"}\n',
    });
    await expect(render({ projectDir: b, git: new IsomorphicGitSource() })).rejects.toThrow(
      'git.subDir contains invalid characters',
    );
  });
});

describe('symlinks between items (Kluctl renders all items into one tree)', () => {
  function project(app: Record<string, string>): string {
    const dir = writeProject({
      'deployment.yml': 'deployments:\n  - path: base\n    onlyRender: true\n  - path: app\n',
      'base/cm.yaml': cm('base-{{ args.n }}'),
      'base/other.yaml': cm('other'),
      'common/cm.yaml': cm('common'),
    });
    mkdirSync(join(dir, 'app'));
    for (const [p, target] of Object.entries(app)) {
      mkdirSync(dirname(join(dir, 'app', p)), { recursive: true });
      symlinkSync(target, join(dir, 'app', p));
    }
    return dir;
  }

  it('a file and a dir link read the rendered files of the other item; unused dangling links are kept', async () => {
    const dir = project({ 'cm.yaml': '../base/cm.yaml', 'sub/base': '../../base', 'x.txt': '../../nowhere' });
    writeFileSync(join(dir, 'app/kustomization.yaml'), 'resources:\n  - cm.yaml\n  - sub/base/other.yaml\n');
    const r = await render({ projectDir: dir, args: { n: 'rendered' } });
    expect(names(r)).toEqual(['base-rendered', 'other']);
    // The link was replaced by the rendered file; the dangling one stays a link.
    expect(readFileSync(join(r.renderDir, 'app/cm.yaml'), 'utf8')).toContain('base-rendered');
    expect(lstatSync(join(r.renderDir, 'app/x.txt')).isSymbolicLink()).toBe(true);
  });

  it('a link to a file no item renders fails, naming the link and the rule', async () => {
    const dir = project({ 'cm.yaml': '../common/cm.yaml' });
    await expect(render({ projectDir: dir, args: { n: 'x' } })).rejects.toThrow(
      'symlinks that do not resolve: app/cm.yaml -> ../common/cm.yaml. A symlink may only point to files of deployment items',
    );
  });

  it('a link out of the source root is never read (the in-process build leaves it to kustomize)', async () => {
    const outside = writeProject({ 'secret.yaml': cm('secret') });
    const dir = project({ 'cm.yaml': join(outside, 'secret.yaml') });
    await expect(render({ projectDir: dir, args: { n: 'x' } })).rejects.toThrow('is not in or below');
  });
});
