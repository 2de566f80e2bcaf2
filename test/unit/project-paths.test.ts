/** Source-root helpers of project loading: Kluctl's repository detection and securejoin. */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { detectGitRepositoryRoot, secureJoin } from '../../lib/project/paths.js';

let root: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'ks-paths-'));
  for (const d of ['repo/.git', 'repo/proj/app', 'repo/shared/x', 'worktree', 'plain/sub'])
    mkdirSync(join(root, d), { recursive: true });
  writeFileSync(join(root, 'worktree/.git'), 'gitdir: /elsewhere\n');
  symlinkSync('../shared', join(root, 'repo/proj/up'));
  symlinkSync('/shared', join(root, 'repo/proj/abs'));
  symlinkSync('loop2', join(root, 'repo/loop1'));
  symlinkSync('loop1', join(root, 'repo/loop2'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('detectGitRepositoryRoot', () => {
  it.each([
    ['the dir holding .git', 'repo', 'repo'],
    ['a sub-folder of a repository', 'repo/proj/app', 'repo'],
    ['a dir without .git above it', 'plain/sub', undefined],
    // Kluctl looks for a .git directory: a worktree's .git file does not count.
    ['a worktree (.git is a file)', 'worktree', undefined],
  ])('%s', (_what, dir, expected) => {
    expect(detectGitRepositoryRoot(join(root, dir))).toBe(
      expected === undefined ? undefined : join(root, expected),
    );
  });
});

describe('secureJoin (Kluctl resolves path/include dirs with filepath-securejoin)', () => {
  it.each([
    ['a plain relative path', 'proj/app', 'repo/proj/app'],
    ['.. inside the root', 'proj/../shared/x', 'repo/shared/x'],
    ['.. above the root stops at the root', 'proj/../../../outside', 'repo/outside'],
    ['.. above the root, then back in', '../repo/shared', 'repo/repo/shared'],
    ['a relative symlink', 'proj/up/x', 'repo/shared/x'],
    ['an absolute symlink is relative to the root', 'proj/abs/x', 'repo/shared/x'],
    ['a missing part is joined as written', 'proj/missing/../app', 'repo/proj/app'],
  ])('%s', (_what, unsafe, expected) => {
    expect(secureJoin(join(root, 'repo'), unsafe)).toBe(join(root, expected));
  });

  it('gives up on symlink loops', () => {
    expect(() => secureJoin(join(root, 'repo'), 'loop1')).toThrow('too many symlinks');
  });
});
