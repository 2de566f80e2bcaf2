/** Which pushes a deployment follows (lib/serverless/repo-index.ts `followsPush`). */
import type { GitRefSpec } from '../../lib/api/types.js';
import { followsPush } from '../../lib/serverless/repo-index.js';

describe('followsPush', () => {
  it.each<[string, GitRefSpec, string, string | undefined, boolean]>([
    ['branch, same branch', { branch: 'main' }, 'refs/heads/main', undefined, true],
    ['branch, other branch', { branch: 'main' }, 'refs/heads/dev', undefined, false],
    ['branch, tag of that name', { branch: 'v1' }, 'refs/tags/v1', undefined, false],
    ['branch with a slash', { branch: 'release/1.x' }, 'refs/heads/release/1.x', undefined, true],
    ['branch, bare branch name', { branch: 'main' }, 'main', undefined, true],
    ['tag, same tag', { tag: 'v1' }, 'refs/tags/v1', undefined, true],
    ['tag, other tag', { tag: 'v1' }, 'refs/tags/v2', undefined, false],
    ['tag, branch of that name', { tag: 'v1' }, 'refs/heads/v1', undefined, false],
    ['commit never moves', { commit: 'a'.repeat(40) }, 'refs/heads/main', 'main', false],
    ['default branch, push to it', {}, 'refs/heads/main', 'main', true],
    ['default branch, push to another', {}, 'refs/heads/dev', 'main', false],
    ['default branch unknown: any branch', {}, 'refs/heads/dev', undefined, true],
    ['default branch unknown: not a tag', {}, 'refs/tags/v1', undefined, false],
    ['other ref namespaces never match', {}, 'refs/pull/1/head', undefined, false],
  ])('%s', (_name, followed, pushed, defaultBranch, want) => {
    expect(followsPush(followed, pushed, defaultBranch)).toBe(want);
  });
});
