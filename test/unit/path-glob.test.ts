/**
 * The path globs of Git, Helm and registry credentials and of `gitFiles` vars sources, which Kluctl
 * compiles with github.com/gobwas/glob and `/` as separator. Every `matches` row was checked against
 * gobwas/glob v0.2.3 itself (a Go program calling glob.Compile(g, '/').Match(p)).
 */
import { compilePathGlob } from '../../lib/util/path-glob.js';

describe('compilePathGlob (gobwas/glob with / as separator)', () => {
  it.each([
    ['org/*', 'org/repo', true],
    ['org/*', 'org/sub/repo', false],
    ['org/**', 'org/sub/repo', true],
    ['**', 'a/b/c', true],
    ['**.yaml', 'd/e/a.yaml', true],
    ['*.yaml', 'a.yaml', true],
    ['*.yaml', 'd/a.yaml', false],
    ['org/rep?', 'org/repo', true],
    ['org/rep?', 'org/rep/', false],
    ['org/{a,b}-*', 'org/b-x', true],
    ['org/{a,b}-*', 'org/c-x', false],
    ['{a,{b,c}}', 'c', true],
    ['{a\\,b,c}', 'a,b', true],
    ['{a*,b}', 'ab/c', false],
    ['a,b', 'a,b', true],
    ['a}b', 'a}b', true],
    ['org/[ab]x', 'org/ax', true],
    ['org/[!ab]x', 'org/ax', false],
    ['org/[!ab]x', 'org/cx', true],
    ['[a-c]x', 'bx', true],
    ['[!a-c]x', 'bx', false],
    ['[^a]', '^', true],
    ['[^a]', 'b', false],
    ['[ab-c]x', '-x', true],
    ['[\\]]', ']', true],
    ['[a\\]b]', ']', true],
    ['[!a]', '/', true],
    ['a.b/c', 'axb/c', false],
    ['a\\*b', 'a*b', true],
    ['a\\*b', 'axb', false],
  ])('%s matches %s: %s', (glob, path, want) => {
    expect(compilePathGlob(glob).test(path)).toBe(want);
  });

  // gobwas rejects these too.
  it.each(['org/[ab', '[]]', 'a[]', '[!]', '[a-cx]', '[z-a]'])(
    'rejects the malformed glob %s naming it',
    (glob) => {
      expect(() => compilePathGlob(glob)).toThrow(`invalid glob '${glob}'`);
    },
  );

  // Stricter than gobwas, which closes an open `{` and drops a trailing `\`: both are typing mistakes.
  it.each(['org/{a,b', 'x\\'])('rejects %s, which gobwas would forgive', (glob) => {
    expect(() => compilePathGlob(glob)).toThrow(`invalid glob '${glob}'`);
  });
});
