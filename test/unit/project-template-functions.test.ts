/**
 * The project-reaching template functions (kluctl-semantics §3.1, §3.5), called as the Jinja engine
 * will call them. Follows Kluctl's TestJinjaLoadLatestGitSha and the load_* cases of its jinja2 tests.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TemplateError } from '../../lib/errors.js';
import {
  findTemplateFile,
  loadBase64,
  loadLatestGitCommit,
  loadSha256,
  loadTemplate,
  templateFunctions,
} from '../../lib/project/template-functions.js';
import type { TemplateFunctionsContext } from '../../lib/project/template-functions.js';
import { TemplateEngine } from '../../lib/templating/template-engine.js';
import { writeFiles } from '../support/files.js';

let root: string;
const engine = new TemplateEngine();

function write(files: Record<string, string>): void {
  writeFiles(root, files);
}

function ctx(over: Partial<TemplateFunctionsContext> = {}): TemplateFunctionsContext {
  return {
    engine,
    sourceRoot: root,
    // item dir, project dir, parent project (§3.1 search path)
    searchDirs: [join(root, 'proj/item'), join(root, 'proj'), root],
    currentFile: join(root, 'proj/item/sub/cm.yaml'),
    vars: { name: 'world' },
    ...over,
  };
}

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'tf-test-'));
  write({
    'proj/item/sub/cm.yaml': 'x',
    'proj/item/sub/near.txt': 'near {{ name }}',
    'proj/item/tpl.txt': 'item {{ name }}',
    'proj/tpl.txt': 'project {{ name }}',
    'proj/only-project.txt': 'only in project {{ extra }}',
    'root.txt': 'root file',
    'proj/item/bin.dat': 'abcdefghij',
  });
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('template search path', () => {
  it.each([
    ['tpl.txt', 'proj/item/tpl.txt'],
    ['only-project.txt', 'proj/only-project.txt'],
    ['root.txt', 'root.txt'],
    ['./near.txt', 'proj/item/sub/near.txt'],
    ['../tpl.txt', 'proj/item/tpl.txt'],
  ])('%s resolves to %s', (path, expected) => {
    expect(findTemplateFile(ctx(), path)).toBe(join(root, expected));
  });

  it('does not search sub-directories of the item implicitly', () => {
    expect(() => findTemplateFile(ctx(), 'near.txt')).toThrow(TemplateError);
    expect(() => findTemplateFile(ctx(), 'near.txt')).toThrow('template near.txt not found');
  });

  it('refuses absolute paths outside the search dirs and relative paths leaving the source', () => {
    expect(() => findTemplateFile(ctx(), '/etc/hostname')).toThrow('not found');
    expect(findTemplateFile(ctx(), join(root, 'proj/tpl.txt'))).toBe(join(root, 'proj/tpl.txt'));
    expect(() => findTemplateFile(ctx(), '../../../../../etc/hostname')).toThrow('not found');
  });
});

describe('load_* functions', () => {
  it('load_template renders with the current vars plus keyword arguments', async () => {
    expect(await loadTemplate(ctx(), 'tpl.txt')).toBe('item world');
    expect(await loadTemplate(ctx(), 'only-project.txt', { extra: 42 })).toBe('only in project 42');
  });

  it('load_sha256 hashes the rendered file, optionally truncated', async () => {
    const full = createHash('sha256').update('item world').digest('hex');
    expect(await loadSha256(ctx(), 'tpl.txt')).toBe(full);
    expect(await loadSha256(ctx(), 'tpl.txt', 8)).toBe(full.slice(0, 8));
  });

  it('load_sha256 of a file that hashes itself sees __self_sha256__ inside', async () => {
    const file = join(root, 'proj/item/self.txt');
    writeFileSync(file, 'x');
    const c = ctx();
    // The inner render of self.txt would ask for its own hash: it gets the marker instead of recursing.
    const inner = await loadSha256({ ...c, sha256Stack: [file] }, 'self.txt');
    expect(inner).toBe('__self_sha256__');
  });

  it('load_base64 encodes the raw bytes and wraps at width', async () => {
    expect(await loadBase64(ctx(), 'bin.dat')).toBe('YWJjZGVmZ2hpag==');
    expect(await loadBase64(ctx(), 'bin.dat', 4)).toBe('YWJj\nZGVm\nZ2hp\nag==');
  });

  it('TestJinjaLoadLatestGitSha: load_latest_git_commit returns the 40-char sha of the last commit', async () => {
    const git = (...args: string[]): string =>
      execFileSync('git', ['-c', 'user.email=t@example.com', '-c', 'user.name=t', ...args], {
        cwd: root,
        encoding: 'utf8',
      }).trim();
    git('init', '-q');
    git('add', '.');
    git('commit', '-q', '-m', 'one');
    const first = git('rev-parse', 'HEAD');
    write({ 'other.txt': 'y' });
    git('add', '.');
    git('commit', '-q', '-m', 'two');
    expect(await loadLatestGitCommit(ctx(), 'tpl.txt')).toBe(first);
    expect(await loadLatestGitCommit(ctx(), 'tpl.txt', 7)).toBe(first.slice(0, 7));
    await expect(
      loadLatestGitCommit(ctx({ latestGitCommit: async () => 'f'.repeat(40) }), 'tpl.txt'),
    ).resolves.toBe('f'.repeat(40));
  });
});

describe('templateFunctions (the globals handed to the engine)', () => {
  it('exposes the functions with positional and keyword arguments, and images.get_image', async () => {
    const g = templateFunctions(ctx()) as Record<string, (...a: unknown[]) => Promise<string> | string>;
    expect(await g.load_template!('tpl.txt')).toBe('item world');
    expect(await g.load_template!('only-project.txt', { extra: 'kw' })).toBe('only in project kw');
    expect((await g.load_sha256!('tpl.txt', { digest_len: 6 })).length).toBe(6);
    expect(await g.load_base64!('bin.dat', 4)).toContain('\n');
    const images = (templateFunctions(ctx()) as { images: { get_image: (i: string) => string } }).images;
    const ph = images.get_image('repo/name');
    // Kluctl's marker, spelled out here as the format both sides must agree on.
    const marker = /^XXXXXbegin_get_image_(.*)_end_get_imageXXXXX$/.exec(ph);
    expect(marker).not.toBeNull();
    const json = Buffer.from(marker![1]!, 'base64');
    expect(JSON.parse(json.toString())).toEqual({ image: 'repo/name' });
  });
});
