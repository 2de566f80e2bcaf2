/** `ref:` of git includes and git vars sources, decoded as Kluctl's GitRef (checked side by side in test/parity). */
import { ProjectLoadError } from '../../lib/errors.js';
import { parseGitRef } from '../../lib/project/git-ref.js';
import { parseGitInclude } from '../../lib/project/git-include.js';

describe('parseGitRef', () => {
  it.each([
    [undefined, {}],
    [null, {}],
    [{ branch: 'main' }, { branch: 'main' }],
    [{ tag: 'v1' }, { tag: 'v1' }],
    [{ commit: 'abc' }, { commit: 'abc' }],
  ])('accepts %j', (raw, expected) => {
    expect(parseGitRef(raw, 'git', 'deployment.yml')).toEqual(expected);
  });

  it.each([
    [
      'main',
      'deployment.yml: git.ref must be an object with one of branch, tag or commit, not a string (write "ref: {branch: main}" or "ref: {tag: main}")',
    ],
    [{}, 'deployment.yml: git.ref: either branch, tag or commit must be set'],
    [
      { branch: 'a', tag: 'b' },
      'deployment.yml: git.ref: only one of the ref fields can be set (branch, tag)',
    ],
    [['main'], 'deployment.yml: git.ref must be an object'],
  ])('refuses %j', (raw, message) => {
    expect(() => parseGitRef(raw, 'git', 'deployment.yml')).toThrow(
      new ProjectLoadError(message.replace(/^deployment.yml: /, ''), { file: 'deployment.yml' }),
    );
  });

  it('names the item of a git include', () => {
    expect(() =>
      parseGitInclude({ url: 'https://example.com/x.git', ref: 'main' }, 'd.yml', 'deployments[2]'),
    ).toThrow(
      'd.yml: deployments[2].git.ref must be an object with one of branch, tag or commit, not a string',
    );
  });
});
