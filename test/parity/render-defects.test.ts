/**
 * Issue 8 part 4 (defects found by rendering public projects with both tools): each case is a minimal
 * project in a real Git repository (with a remote, as users have it), rendered offline by the reference
 * Kluctl and by our CLI with the same flags; objects are compared in order, field by field, and where
 * Kluctl refuses the project, ours must refuse it too.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { KubeObject } from '../../lib/ports.js';
import { parseYamlAll } from '../../lib/util/strict-yaml.js';
import { cli } from '../support/cli.js';
import { runKluctl } from '../../devenv/reference-kluctl.js';

/** A file's content, or a symlink to create (`{ link: target }`). */
type Entry = string | Buffer | { readonly link: string };

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** Writes the entries below a new temp dir; returns the dir. */
function writeTree(files: Record<string, Entry>): string {
  const root = mkdtempSync(join(tmpdir(), 'ks-parity-defects-'));
  dirs.push(root);
  for (const [p, e] of Object.entries(files)) {
    mkdirSync(dirname(join(root, p)), { recursive: true });
    if (typeof e === 'object' && 'link' in e) symlinkSync(e.link, join(root, p));
    else writeFileSync(join(root, p), e);
  }
  return root;
}

/**
 * Writes `files` as a Git repository with one commit and an origin remote, as a user's checkout is,
 * in `repo/` of a new temp dir; `outside` goes next to it. Returns the repository dir.
 */
function gitRepo(files: Record<string, Entry>, outside: Record<string, Entry> = {}): string {
  const root = writeTree({
    ...Object.fromEntries(Object.entries(files).map(([p, e]) => [`repo/${p}`, e])),
    ...Object.fromEntries(Object.entries(outside).map(([p, e]) => [`outside/${p}`, e])),
  });
  return gitInit(join(root, 'repo'));
}

function gitInit(dir: string): string {
  const git = (...args: string[]): void => {
    execFileSync('git', args, { cwd: dir, stdio: 'ignore' });
  };
  git('init', '-q', '-b', 'main');
  git('remote', 'add', 'origin', 'https://example.com/org/repo.git');
  git('add', '-A');
  git('-c', 'user.email=t@example.com', '-c', 'user.name=t', 'commit', '-qm', 'init');
  return dir;
}

interface Rendered {
  readonly code: number | null;
  readonly objects: readonly KubeObject[];
  readonly stderr: string;
}

const parse = (code: number | null, stdout: string, stderr: string): Rendered => ({
  code,
  objects: code === 0 ? (parseYamlAll(stdout, 'render output') as KubeObject[]) : [],
  stderr,
});

/** Renders `projectDir` for target `t` with both tools, offline, printing every object. */
async function renderBoth(projectDir: string): Promise<{ kluctl: Rendered; ours: Rendered }> {
  const args = ['render', '--project-dir', projectDir, '-t', 't', '--offline-kubernetes', '--print-all'];
  const [k, o] = await Promise.all([runKluctl(args), cli(args)]);
  return { kluctl: parse(k.code, k.stdout, k.stderr), ours: parse(o.code, o.stdout, o.stderr) };
}

/** Renders with both and expects both to succeed with the same objects; returns them. */
async function expectSameObjects(projectDir: string): Promise<readonly KubeObject[]> {
  const { kluctl, ours } = await renderBoth(projectDir);
  expect({ code: kluctl.code, stderr: kluctl.code === 0 ? '' : kluctl.stderr }).toEqual({
    code: 0,
    stderr: '',
  });
  expect({ code: ours.code, stderr: ours.code === 0 ? '' : ours.stderr }).toEqual({ code: 0, stderr: '' });
  expect(ours.objects).toEqual(kluctl.objects);
  return ours.objects;
}

/** Renders with both and expects both to fail; returns both error outputs. */
async function expectBothFail(projectDir: string): Promise<{ kluctl: string; ours: string }> {
  const { kluctl, ours } = await renderBoth(projectDir);
  expect([kluctl.code === 0, ours.code === 0]).toEqual([false, false]);
  return { kluctl: kluctl.stderr, ours: ours.stderr };
}

const TARGETS = 'targets:\n  - name: t\n';
const cm = (name: string, data = ''): string =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n  namespace: default\n${data}`;
const itemDir = (o: KubeObject | undefined): unknown =>
  o?.metadata.annotations?.['kluctl.io/deployment-item-dir'];

describe('kluctl.io/deployment-item-dir', () => {
  it('is relative to the Git repository root when the project lives in a sub-folder', async () => {
    const repo = gitRepo({
      'deploy/proj/.kluctl.yaml': TARGETS,
      'deploy/proj/deployment.yaml': 'deployments:\n  - path: app\n',
      'deploy/proj/app/cm.yaml': cm('a'),
    });
    const objects = await expectSameObjects(join(repo, 'deploy/proj'));
    expect(objects.map(itemDir)).toEqual(['deploy/proj/app']);
  });

  it('is relative to the project dir outside any Git repository, and both warn', async () => {
    const dir = writeTree({
      '.kluctl.yaml': TARGETS,
      'deployment.yaml': 'deployments:\n  - path: app\n',
      'app/cm.yaml': cm('a'),
    });
    const { kluctl, ours } = await renderBoth(dir);
    expect(ours.objects).toEqual(kluctl.objects);
    expect(ours.objects.map(itemDir)).toEqual(['app']);
    for (const stderr of [kluctl.stderr, ours.stderr])
      expect(stderr).toContain('Failed to detect git project root. This might cause follow-up errors');
  });
});

describe('a template ending inside a block scalar', () => {
  it('loses its final newline, as Jinja drops it and yaml.v3 reads no line break at the end', async () => {
    const repo = gitRepo({
      '.kluctl.yaml': TARGETS,
      'deployment.yaml': 'deployments:\n  - path: app\n',
      'app/literal.yaml': cm('literal', 'data:\n  x: |\n    {{ target.name }}\n'),
      'app/keep.yaml': cm('keep', 'data:\n  x: |+\n    {{ target.name }}\n'),
      'app/folded.yaml': cm('folded', 'data:\n  x: >\n    {{ target.name }}\n    more\n'),
      'app/blank-lines.yaml': cm('blank-lines', 'data:\n  x: |\n    {{ target.name }}\n\n\n'),
      'app/no-template.yaml': cm('no-template', 'data:\n  x: |\n    verbatim'),
      'app/with-newline.yaml': cm('with-newline', 'data:\n  x: |\n    verbatim\n'),
    });
    const objects = await expectSameObjects(repo);
    const data = Object.fromEntries(objects.map((o) => [o.metadata.name, (o.data as { x: string }).x]));
    expect(data).toEqual({
      'blank-lines': 't\n',
      folded: 't more',
      keep: 't',
      literal: 't',
      'no-template': 'verbatim',
      'with-newline': 'verbatim\n',
    });
  });
});

describe('symlinks between deployment items', () => {
  const project = (app: Record<string, Entry>): Record<string, Entry> => ({
    'proj/.kluctl.yaml': TARGETS,
    'proj/deployment.yaml': 'deployments:\n  - path: base\n    onlyRender: true\n  - path: app\n',
    'proj/base/cm.yaml': cm('base-{{ target.name }}'),
    'proj/base/other.yaml': cm('other-{{ target.name }}'),
    'common/cm.yaml': cm('common'),
    ...Object.fromEntries(Object.entries(app).map(([p, e]) => [`proj/app/${p}`, e])),
  });

  it('resolve into the rendered files of another item (a file and a dir link)', async () => {
    const repo = gitRepo(
      project({
        'cm.yaml': { link: '../base/cm.yaml' },
        'sub/base': { link: '../../base' },
        'kustomization.yaml': 'resources:\n  - cm.yaml\n  - sub/base/other.yaml\n',
        'unused.yaml': { link: '../../nowhere.yaml' },
      }),
    );
    const objects = await expectSameObjects(join(repo, 'proj'));
    // Both links read the rendered base (names templated); the objects belong to the item proj/app.
    expect(objects.map((o) => [o.metadata.name, itemDir(o)])).toEqual([
      ['base-t', 'proj/app'],
      ['other-t', 'proj/app'],
    ]);
  });

  it('a dir link is not walked into by a generated recursive kustomization', async () => {
    const files = project({ linked: { link: '../base' }, 'own.yaml': cm('own') });
    files['proj/deployment.yaml'] =
      'deployments:\n  - path: base\n    onlyRender: true\n  - path: app\n    recursive: true\n';
    const objects = await expectSameObjects(join(gitRepo(files), 'proj'));
    expect(objects.map((o) => o.metadata.name)).toEqual(['own']);
  });

  it.each([
    ['to a file of the repository that no item renders', '../../common/cm.yaml'],
    ['out of the repository', '../../../outside/cm.yaml'],
    ['to an absolute path', '/etc/hostname'],
  ])('fail %s', async (_what, target) => {
    const repo = gitRepo(project({ 'cm.yaml': { link: target } }), { 'cm.yaml': cm('outside') });
    const { ours } = await expectBothFail(join(repo, 'proj'));
    expect(ours).toContain(`symlinks that do not resolve: proj/app/cm.yaml -> ${target}`);
  });
});

describe('range() with a huge bound', () => {
  it('draws a random number, counts and indexes without a limit', async () => {
    const repo = gitRepo({
      '.kluctl.yaml': TARGETS,
      'deployment.yaml': 'deployments:\n  - path: app\n',
      'app/cm.yaml': cm(
        'r',
        'data:\n' +
          '  drawn: "{{ (range(0, 9999999999999) | random) < 9999999999999 }}"\n' +
          '  length: "{{ range(0, 9999999999999) | length }}"\n' +
          '  last: "{{ range(0, 9999999999999)[-1] }}"\n' +
          '  printed: "{{ range(3) }}"\n',
      ),
    });
    const [o] = await expectSameObjects(repo);
    expect(o?.data).toEqual({
      drawn: 'True',
      last: '9999999999998',
      length: '9999999999999',
      printed: 'range(0, 3)',
    });
  });
});

describe('path and include going up with ../', () => {
  const tree = (deployment: string): Record<string, Entry> => ({
    'proj/.kluctl.yaml': TARGETS,
    'proj/deployment.yaml': deployment,
    'shared/deployment.yaml': 'deployments:\n  - path: x\n',
    'shared/x/cm.yaml': cm('x'),
  });

  it('may leave the project dir while staying inside the Git repository', async () => {
    const repo = gitRepo(tree('deployments:\n  - include: ../shared\n  - path: ../shared/x\n'));
    const objects = await expectSameObjects(join(repo, 'proj'));
    expect(objects.map(itemDir)).toEqual(['shared/x', 'shared/x']);
  });

  it('stops at the repository root: a path out of it is a dir that does not exist', async () => {
    const repo = gitRepo(tree('deployments:\n  - path: ../../outside\n'), { 'cm.yaml': cm('outside') });
    const { kluctl, ours } = await expectBothFail(join(repo, 'proj'));
    for (const stderr of [kluctl, ours])
      expect(stderr).toContain('deployment directory does not exist: ../../outside');
  });

  it('stops at the repository root: an include out of it names a dir inside it', async () => {
    const repo = gitRepo(tree('deployments:\n  - include: ../../outside\n'), {
      'deployment.yaml': 'deployments: []\n',
    });
    const { kluctl, ours } = await expectBothFail(join(repo, 'proj'));
    expect(kluctl).toContain(`${join(repo, 'outside')} does not exist or is not a directory`);
    expect(ours).toContain('include ../../outside: outside does not exist or is not a directory');
  });
});

describe('what Kluctl refuses, ours refuses', () => {
  const withDeployment = (deployment: string, files: Record<string, Entry> = {}): string =>
    gitRepo({
      '.kluctl.yaml': TARGETS,
      'deployment.yaml': deployment,
      'app/cm.yaml': cm('a'),
      ...files,
    });

  it.each([
    [
      'a git include',
      'deployments:\n  - git:\n      url: https://example.invalid/org/other.git\n      ref: main\n',
    ],
    [
      'a git vars source',
      'deployments:\n  - path: app\nvars:\n  - git:\n      url: https://example.invalid/org/other.git\n      ref: main\n      path: x.yaml\n',
    ],
  ])('git.ref as a plain string in %s', async (_what, deployment) => {
    const { kluctl, ours } = await expectBothFail(withDeployment(deployment));
    expect(kluctl).toContain('cannot unmarshal string');
    expect(ours).toContain('ref must be an object with one of branch, tag or commit, not a string');
  });

  it('git.ref with none of branch, tag and commit', async () => {
    const { kluctl, ours } = await expectBothFail(
      withDeployment(
        'deployments:\n  - git:\n      url: https://example.invalid/org/other.git\n      ref: {}\n',
      ),
    );
    for (const stderr of [kluctl, ours]) expect(stderr).toContain('either branch, tag or commit must be set');
  });

  it.each([
    ['a template that is not UTF-8', 'data:\n  x: "caf\xe9 {{ target.name }}"\n', "can't decode byte 0xe9"],
    ['a plain resource that is not UTF-8', 'data:\n  x: "caf\xe9"\n', 'invalid trailing UTF-8 octet'],
  ])('%s in an item', async (_what, data, message) => {
    const repo = withDeployment('deployments:\n  - path: app\n', {
      'app/cm.yaml': Buffer.from(cm('a', data), 'latin1'),
    });
    const { kluctl, ours } = await expectBothFail(repo);
    for (const stderr of [kluctl, ours]) expect(stderr).toContain(message);
  });

  it('accepts a non-UTF-8 file listed in .templateignore, as Kluctl does', async () => {
    const repo = withDeployment('deployments:\n  - path: app\n', {
      'app/blob.txt': Buffer.from('binary {{ \u00ff\u00fe\n', 'latin1'),
      'app/.templateignore': 'blob.txt\n',
    });
    expect((await expectSameObjects(repo)).map((o) => o.metadata.name)).toEqual(['a']);
  });
});
