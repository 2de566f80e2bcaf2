/** `.templateignore` scoping (kluctl-semantics §3.1), following Kluctl's TestTemplateIgnore. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TemplateIgnore } from '../../lib/project/template-ignore.js';
import { writeFiles } from '../support/files.js';

let root: string;
function write(files: Record<string, string>): void {
  writeFiles(root, files);
}
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'ti-test-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('TestTemplateIgnore: .templateignore scopes', () => {
  beforeEach(() =>
    write({
      '.templateignore': '*.raw\n',
      'proj/.templateignore': 'item/keep.yaml\n',
      'proj/item/.templateignore': '!special.raw\nsub/\n',
    }),
  );

  it.each([
    ['proj/item/a.raw', true],
    ['proj/item/special.raw', false],
    ['proj/item/keep.yaml', true],
    ['proj/item/other.yaml', false],
    ['proj/item/sub/x.yaml', true],
    ['proj/item/sub/deeper/x.yaml', true],
  ])('from the item dir: %s ignored=%s', (path, ignored) => {
    expect(TemplateIgnore.forDir(root, join(root, 'proj/item')).isFileIgnored(path)).toBe(ignored);
  });

  it('patterns only apply below the dir holding the file', () => {
    const fromProject = TemplateIgnore.forDir(root, join(root, 'proj'));
    // proj/item/.templateignore is not collected for the project dir itself.
    expect(fromProject.isFileIgnored('proj/item/special.raw')).toBe(true);
    expect(fromProject.isFileIgnored('proj/other/keep.yaml')).toBe(false);
    expect(fromProject.withDir(root, join(root, 'proj/item')).isFileIgnored('proj/item/special.raw')).toBe(
      false,
    );
  });

  it('no files means nothing is ignored', () => {
    rmSync(join(root, '.templateignore'));
    expect(TemplateIgnore.forDir(root, join(root, 'x')).isFileIgnored('x/a.raw')).toBe(false);
  });
});
