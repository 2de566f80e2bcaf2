/** Inclusion rules (kluctl-semantics §2.8), following Kluctl's e2e inclusion_test.go. */
import { checkIncluded, isItemIncluded, normalizeInclusion } from '../../lib/project/inclusion.js';
import type { Inclusion } from '../../lib/project/inclusion.js';

const item = (tags: string[], dir?: string): { tags: string[]; dir?: string } => ({
  tags,
  ...(dir !== undefined ? { dir } : {}),
});

describe('inclusion_test: tag and deployment dir rules', () => {
  it.each<[string, Inclusion | undefined, { tags: string[]; dir?: string }, boolean]>([
    ['no rules include everything', undefined, item(['a']), true],
    ['empty rules include everything', {}, item(['a']), true],
    ['include tag matches', { includeTags: ['a'] }, item(['x', 'a']), true],
    ['include tag does not match', { includeTags: ['b'] }, item(['a']), false],
    ['exclude tag matches', { excludeTags: ['a'] }, item(['a']), false],
    ['exclude tag does not match', { excludeTags: ['b'] }, item(['a']), true],
    ['exclude wins over include', { includeTags: ['a'], excludeTags: ['x'] }, item(['a', 'x']), false],
    ['include dir matches', { includeDeploymentDirs: ['apps/web'] }, item(['web'], 'apps/web'), true],
    [
      'include dir is exact, not a prefix',
      { includeDeploymentDirs: ['apps'] },
      item(['web'], 'apps/web'),
      false,
    ],
    ['exclude dir', { excludeDeploymentDirs: ['apps/web'] }, item(['web'], 'apps/web'), false],
    [
      'include by tag, exclude by dir',
      { includeTags: ['web'], excludeDeploymentDirs: ['apps/web'] },
      item(['web'], 'apps/web'),
      false,
    ],
    [
      'include by dir or by tag',
      { includeTags: ['db'], includeDeploymentDirs: ['apps/web'] },
      item(['web'], 'apps/web'),
      true,
    ],
    ['items without tags and dir are out when includes exist', { includeTags: ['a'] }, item([]), false],
  ])('%s', (_name, inc, entries, expected) => {
    expect(checkIncluded(inc, entries)).toBe(expected);
  });

  it('keeps alwaysDeploy, onlyRender and barrier items regardless of the rules', () => {
    const inc = { excludeTags: ['a'], includeTags: ['zzz'] };
    expect(isItemIncluded(inc, { alwaysDeploy: true }, item(['a']))).toBe(true);
    expect(isItemIncluded(inc, { onlyRender: true }, item(['a']))).toBe(true);
    expect(isItemIncluded(inc, { barrier: true }, item([]))).toBe(true);
    expect(isItemIncluded(inc, {}, item(['a']))).toBe(false);
  });

  it('the delete variant drops items that are not explicitly included (skip-delete-if-tags)', () => {
    expect(checkIncluded({ excludeTags: ['b'] }, item(['a']), true)).toBe(false);
    expect(checkIncluded({ includeTags: ['a'] }, item(['a']), true)).toBe(true);
  });

  it('refuses absolute deployment dirs and normalises backslashes', () => {
    expect(() => normalizeInclusion({ includeDeploymentDirs: ['/abs'] })).toThrow(
      '--include-deployment-dir path must be relative',
    );
    expect(() => normalizeInclusion({ excludeDeploymentDirs: ['/abs'] })).toThrow(
      '--exclude-deployment-dir path must be relative',
    );
    expect(normalizeInclusion({ includeDeploymentDirs: ['a\\b'] }).includeDeploymentDirs).toEqual(['a/b']);
  });
});
