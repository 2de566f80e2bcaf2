/**
 * Source overrides as Kluctl v2.28.2 parses and matches them (`--local-git-override` and friends,
 * `spec.sourceOverrides`). The behaviours on real repositories, side by side with the reference
 * Kluctl, are in test/integration/source-overrides.test.ts.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  gitRepoKey,
  matchOverride,
  ociRepoKey,
  overridesFromFlags,
  parseRepoKey,
  repoKeyText,
  resolveOverride,
} from '../../lib/project/source-overrides.js';
import type { RepoKey, RepoOverride } from '../../lib/project/source-overrides.js';
import { checkSpecSourceOverrides } from '../../lib/reconcile/spec-source-overrides.js';

describe('parseRepoKey (Kluctl ParseRepoKey)', () => {
  it.each([
    ['github.com/org/repo', 'git', { type: 'git', host: 'github.com', path: 'org/repo' }],
    ['git://github.com/org/repo', 'oci', { type: 'git', host: 'github.com', path: 'org/repo' }],
    ['oci://ghcr.io/org/repo', 'git', { type: 'oci', host: 'ghcr.io', path: 'org/repo' }],
    ['ghcr.io/org/repo', 'oci', { type: 'oci', host: 'ghcr.io', path: 'org/repo' }],
    // taken as written: port kept, case kept, `.git` and trailing `/` kept
    ['127.0.0.1:5000/Org/Repo.git/', 'git', { type: 'git', host: '127.0.0.1:5000', path: 'Org/Repo.git/' }],
    ['localhost/x', 'git', { type: 'git', host: 'localhost', path: 'x' }],
  ] as const)('%s (default %s)', (text, def, want) => {
    expect(parseRepoKey(text, def)).toEqual(want);
  });

  it('accepts the empty key, which matches nothing', () => {
    expect(parseRepoKey('', 'git')).toBeUndefined();
    expect(overridesFromFlags({ localGitOverride: ['=/tmp'] })).toEqual([
      { repoKey: undefined, override: '/tmp', isGroup: false },
    ]);
  });

  it.each(['noslash', 'ho_st/x', 'host:abc/x', '-host/x', '/path', 'git://noslash'])(
    'refuses %s as Kluctl does',
    (text) => {
      expect(() => parseRepoKey(text, 'git')).toThrow(/^invalid repo key: /);
    },
  );
});

describe('keys of URLs', () => {
  it.each([
    ['http://127.0.0.1:8080/Org/Inc1.git', 'git://127.0.0.1:8080/org/inc1'],
    ['https://github.com:443/org/repo/', 'git://github.com/org/repo'],
    ['git@github.com:org/repo.git', 'git://github.com/org/repo'],
  ])('git %s is %s', (url, key) => {
    expect(repoKeyText(gitRepoKey(url))).toBe(key);
  });

  it.each([
    ['oci://127.0.0.1:5000/org1/include1', 'oci://127.0.0.1:5000/org1/include1'],
    // OCI keys keep the host's case and drop outer slashes
    ['oci://Registry.Example:5000/org/repo/', 'oci://Registry.Example:5000/org/repo'],
    // one trailing `/` goes, as in Kluctl's NewRepoKey
    ['oci://host/org/repo//', 'oci://host/org/repo/'],
    ['oci://host/org%2Fx', 'oci://host/org/x'],
  ])('oci %s is %s', (url, key) => {
    expect(repoKeyText(ociRepoKey(url))).toBe(key);
  });
});

describe('matchOverride (Kluctl RepoOverride.Match)', () => {
  const key = (text: string): RepoKey => parseRepoKey(text, 'git')!;
  const ro = (text: string, override: string, isGroup = false): RepoOverride => ({
    repoKey: key(text),
    override,
    isGroup,
  });

  it.each([
    ['exact key', ro('h/org/repo', '/o'), 'h/org/repo', '/o'],
    ['another repo', ro('h/org/repo', '/o'), 'h/org/other', undefined],
    ['another host', ro('h2/org/repo', '/o'), 'h/org/repo', undefined],
    ['another kind', ro('oci://h/org/repo', '/o'), 'h/org/repo', undefined],
    ['case is not folded', ro('H/org/repo', '/o'), 'h/org/repo', undefined],
    ['group below the prefix', ro('h/org', '/o', true), 'h/org/sub/repo', '/o/sub/repo'],
    ['group: the prefix itself is not covered', ro('h/org', '/o', true), 'h/org', undefined],
    [
      'group: a sibling with the same start is not covered',
      ro('h/org', '/o', true),
      'h/organisation/x',
      undefined,
    ],
    ['group with a trailing slash matches nothing', ro('h/org/', '/o', true), 'h/org/repo', undefined],
    ['group mapping is cleaned', ro('h/org', '/o', true), 'h/org/a/../b', '/o/b'],
  ])('%s', (_, override, target, want) => {
    expect(matchOverride(override, key(target))).toBe(want);
  });
});

describe('resolveOverride (Kluctl Manager.ResolveOverride)', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'ks-srcov-'));
    mkdirSync(join(dir, 'group/repo'), { recursive: true });
    mkdirSync(join(dir, 'second'), { recursive: true });
    writeFileSync(join(dir, 'afile'), 'x');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const k = parseRepoKey('h/org/repo', 'git')!;

  it('skips overrides whose directory does not exist and takes the next', () => {
    const list = overridesFromFlags({
      localGitOverride: [`h/org/repo=${dir}/missing`, `h/org/repo=${dir}/second`],
    });
    expect(resolveOverride(list, k)).toBe(`${dir}/second`);
  });

  it('falls back to the repository when no directory exists', () => {
    expect(resolveOverride(overridesFromFlags({ localGitOverride: [`h/org/repo=${dir}/x`] }), k)).toBe(
      undefined,
    );
  });

  it('maps a group to <dir>/<rest of the path>', () => {
    const list = overridesFromFlags({ localGitGroupOverride: [`h/org=${dir}/group`] });
    expect(resolveOverride(list, k)).toBe(`${dir}/group/repo`);
  });

  it('refuses a file with Kluctl message', () => {
    const list = overridesFromFlags({ localGitOverride: [`h/org/repo=${dir}/afile`] });
    expect(() => resolveOverride(list, k)).toThrow(
      `can not override repo git://h/org/repo. ${dir}/afile is not a directory`,
    );
  });

  it('refuses a group mapping that leaves the group directory', () => {
    const list = overridesFromFlags({ localGitGroupOverride: [`h/org=${dir}/group`] });
    const escaping = parseRepoKey('h/org/x/../../second', 'git')!;
    expect(() => resolveOverride(list, escaping)).toThrow(/is not inside directory/);
  });
});

describe('overridesFromFlags', () => {
  it('keeps Kluctl order: git, git group, oci, oci group', () => {
    const list = overridesFromFlags({
      localOciGroupOverride: ['r/g=/d4'],
      localOciOverride: ['r/x=/d3'],
      localGitGroupOverride: ['h/g=/d2'],
      localGitOverride: ['h/x=/d1=with=equals'],
    });
    expect(list.map((o) => [o.repoKey && repoKeyText(o.repoKey), o.override, o.isGroup])).toEqual([
      ['git://h/x', '/d1=with=equals', false],
      ['git://h/g', '/d2', true],
      ['oci://r/x', '/d3', false],
      ['oci://r/g', '/d4', true],
    ]);
  });

  it.each([
    [{ localGitOverride: ['h/x'] }, 'invalid --local-git-override: h/x'],
    [{ localGitGroupOverride: ['bad=/d'] }, 'invalid --local-git-group-override: invalid repo key: bad'],
    [{ localOciOverride: ['a_b/x=/d'] }, 'invalid --local-oci-override: invalid repo key: a_b/x'],
    [{ localOciGroupOverride: ['x'] }, 'invalid --local-oci-group-override: x'],
  ])('names the flag of a bad value: %j', (flags, message) => {
    expect(() => overridesFromFlags(flags)).toThrow(message);
  });
});

describe('spec.sourceOverrides in the reconciler (Kluctl controller: grpc+source-override only)', () => {
  it('accepts an absent or empty list', () => {
    expect(() => checkSpecSourceOverrides(undefined)).not.toThrow();
    expect(() => checkSpecSourceOverrides([])).not.toThrow();
  });

  it.each([
    ['file:///tmp/x', 'file'],
    ['/local/dir', ''],
    ['https://example.com/repo.git', 'https'],
    ['OCI://example.com/repo', 'oci'],
  ])('refuses %s with Kluctl message, naming the field', (url, scheme) => {
    expect(() => checkSpecSourceOverrides([{ repoKey: 'github.com/org/repo', url }])).toThrow(
      `spec.sourceOverrides[0].url: unsupported source override url scheme: ${scheme} (`,
    );
  });

  it('refuses proxy URLs: no source-override proxy runs here', () => {
    expect(() =>
      checkSpecSourceOverrides([
        { repoKey: 'github.com/org/repo', url: 'grpc+source-override://h:8082/abc' },
      ]),
    ).toThrow(/spec\.sourceOverrides\[0\]\.url: .*does not run.*--local-git-override/);
  });

  it('names a bad repoKey', () => {
    expect(() =>
      checkSpecSourceOverrides([{ repoKey: 'noslash', url: 'grpc+source-override://h:8082/abc' }]),
    ).toThrow('spec.sourceOverrides[0].repoKey: invalid repo key: noslash');
  });
});
