/**
 * Git credential matching as Kluctl's ListAuthProvider does it (kluctl-semantics §7.12, §9.4): host and
 * path glob, first match wins, `*` hosts never for http(s), entries without username or password skipped;
 * flag and `KLUCTL_GIT_[n_]*` parsing; `spec.credentials` from Secrets.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  buildGitCredentials,
  gitAuthResolver,
  gitCredentialsFromEnv,
  gitCredentialsFromFlags,
  matchGitCredential,
  normalizeGitUrl,
} from '../../lib/credentials/git-credentials.js';
import type { GitCredentialEntry } from '../../lib/credentials/git-credentials.js';
import { gitCredentialsFromSpec, helmCredentialsFromSpec } from '../../lib/credentials/spec-credentials.js';

describe('normalizeGitUrl', () => {
  it.each([
    ['https://Example.COM/Org/Repo.git', { ssh: false, host: 'example.com', path: 'org/repo', username: '' }],
    [
      'https://example.com:443/org/repo/',
      { ssh: false, host: 'example.com', path: 'org/repo', username: '' },
    ],
    ['http://127.0.0.1:8080/r.git', { ssh: false, host: '127.0.0.1:8080', path: 'r', username: '' }],
    [
      'https://bob@example.com/org/repo',
      { ssh: false, host: 'example.com', path: 'org/repo', username: 'bob' },
    ],
    ['git@github.com:org/repo.git', { ssh: true, host: 'github.com', path: 'org/repo', username: 'git' }],
    ['ssh://git@host:22/x.git', { ssh: true, host: 'host', path: 'x', username: 'git' }],
  ])('%s', (url, want) => {
    expect(normalizeGitUrl(url)).toEqual(want);
  });
});

describe('matchGitCredential', () => {
  const entries: GitCredentialEntry[] = [
    { host: '*', username: 'wild', password: 'wild-pw' },
    { host: 'git.example.com', path: 'team-a/*', username: 'a', password: 'a-pw' },
    { host: 'git.example.com', path: 'team-b/**', username: 'b' },
    { host: 'git.example.com', username: 'any', password: 'any-pw' },
    { host: 'git.example.com:8443', username: 'port', password: 'port-pw' },
  ];
  it.each([
    ['https://git.example.com/team-a/repo.git', { username: 'a', password: 'a-pw' }],
    // team-b has no password, so the next entry matches
    ['https://git.example.com/team-b/x/y.git', { username: 'any', password: 'any-pw' }],
    ['https://git.example.com/team-a/sub/repo.git', { username: 'any', password: 'any-pw' }],
    ['https://GIT.example.com:443/Team-A/Repo', { username: 'a', password: 'a-pw' }],
    ['https://git.example.com:8443/x', { username: 'port', password: 'port-pw' }],
    // "*" is ignored for http(s), so an unknown host gets nothing
    ['https://other.example.com/x.git', undefined],
    // SSH keys are not supported
    ['git@git.example.com:team-a/repo.git', undefined],
    // a user in the URL must equal the entry's username
    ['https://a@git.example.com/team-a/repo.git', { username: 'a', password: 'a-pw' }],
    ['https://zed@git.example.com/team-a/repo.git', undefined],
    ['not a url', undefined],
  ])('%s', (url, want) => {
    expect(matchGitCredential(entries, url)).toEqual(want);
  });

  it('a username "*" matches any URL user and uses it', () => {
    const r = gitAuthResolver([{ host: 'h', username: '*', password: 'pw' }]);
    expect(r('https://carl@h/x')).toEqual({ username: 'carl', password: 'pw' });
    expect(r('https://h/x')).toBeUndefined();
  });
});

describe('matching details as Kluctl (GitUrl.Normalize, ListAuthProvider)', () => {
  const pw = (username: string) => ({ username, password: `${username}-pw` });
  it.each<[string, GitCredentialEntry[], string, string | undefined]>([
    // The URL's host is lower-cased, the entry's host never: an upper-case entry matches nothing.
    [
      'entry host as written',
      [{ host: 'Git.Example.com', ...pw('up') }],
      'https://git.example.com/x',
      undefined,
    ],
    ['URL host lower-cased', [{ host: 'git.example.com', ...pw('lo') }], 'https://Git.Example.COM/x', 'lo'],
    // scp-like URLs with a port (go-git's form) carry the port into the host.
    ['scp port', [{ host: 'h:2222', path: 'org/repo', ...pw('p') }], 'git@h:2222:org/repo.git', undefined],
    // dot segments are not resolved: the glob sees the path as written
    ['dot segments', [{ host: 'h', path: 'a/*/b', ...pw('dot') }], 'https://h/a/../b', 'dot'],
    ['dot segments resolved nowhere', [{ host: 'h', path: 'b', ...pw('b') }], 'https://h/a/../b', undefined],
    // only one trailing `/` goes
    ['double trailing slash', [{ host: 'h', path: 'a', ...pw('a') }], 'https://h/a//', undefined],
    [
      'IDN hosts are not punycoded',
      [{ host: 'bücher.example', ...pw('idn') }],
      'https://bücher.example/x',
      'idn',
    ],
    ['IPv6 host as Go joins it', [{ host: '::1:8080', ...pw('v6') }], 'http://[::1]:8080/x', 'v6'],
  ])('%s', (_, entries, url, user) => {
    expect(matchGitCredential(entries, url)?.username).toBe(user);
  });

  it('an SSH URL with a port finds the entry of host:port when it has a key', () => {
    const auth = matchGitCredential(
      [{ host: 'h:2222', path: 'org/repo', username: '*', identity: 'KEY' }],
      'git@h:2222:org/repo.git',
    );
    expect(auth).toMatchObject({ username: 'git', sshIdentity: 'KEY' });
  });
});

describe('gitCredentialsFromFlags / gitCredentialsFromEnv', () => {
  it('joins --git-username and --git-password by <host>/<path> key, in first-seen order', () => {
    expect(
      gitCredentialsFromFlags({
        gitUsername: ['h1/org/*=u1', 'h2=u2'],
        gitPassword: ['h2=p2', 'h1/org/*=p=1'],
      }),
    ).toEqual([
      { host: 'h1', path: 'org/*', username: 'u1', password: 'p=1' },
      { host: 'h2', username: 'u2', password: 'p2' },
    ]);
  });

  it('a value without = is an error that does not echo the argument', () => {
    let msg = '';
    try {
      gitCredentialsFromFlags({ gitPassword: ['s3cr3t'] });
    } catch (err) {
      msg = (err as Error).message;
    }
    expect(msg).toBe("--git-password expects <host>/<path>=<value>; no '=' found");
  });

  it('reads KLUCTL_GIT_* sets: unnumbered first, then by number; PATH_PREFIX becomes a prefix glob', () => {
    const env = {
      KLUCTL_GIT_2_HOST: 'h2',
      KLUCTL_GIT_2_USERNAME: 'u2',
      KLUCTL_GIT_2_PASSWORD: 'p2',
      KLUCTL_GIT_10_HOST: 'h10',
      KLUCTL_GIT_10_PATH_PREFIX: 'org/',
      KLUCTL_GIT_HOST: 'h0',
      KLUCTL_GIT_PATH: 'x/**',
      KLUCTL_GIT_USERNAME: 'u0',
      KLUCTL_GIT_PASSWORD: 'p0',
      KLUCTL_GIT_3_USERNAME: 'no-host',
      KLUCTL_GIT_CACHE_UPDATE_INTERVAL: '5m',
    };
    expect(gitCredentialsFromEnv(env)).toEqual([
      { host: 'h0', path: 'x/**', username: 'u0', password: 'p0' },
      { host: 'h2', username: 'u2', password: 'p2' },
      { host: 'h10', path: 'org/**' },
    ]);
  });

  it('flags come before the environment', () => {
    const entries = buildGitCredentials(
      { gitUsername: ['h=flag'], gitPassword: ['h=flag-pw'] },
      { KLUCTL_GIT_HOST: 'h', KLUCTL_GIT_USERNAME: 'env', KLUCTL_GIT_PASSWORD: 'env-pw' },
    );
    expect(matchGitCredential(entries, 'https://h/r.git')).toEqual({ username: 'flag', password: 'flag-pw' });
  });
});

describe('spec.credentials (controller)', () => {
  const secrets: Record<string, Record<string, string>> = {
    git: { username: 'gu', password: 'gp' },
    helm: { username: 'hu', password: 'hp', ca: 'CA-PEM', insecureSkipTlsVerify: 'true' },
    oci: { username: 'ou', password: 'op', plainHttp: 'true' },
  };
  const read = (name: string) => Promise.resolve(secrets[name]);

  it('builds git entries from the Secrets, in spec order', async () => {
    const entries = await gitCredentialsFromSpec(
      {
        git: [
          { host: 'h', path: 'org/*', secretRef: { name: 'git' } },
          { host: '*', secretRef: { name: 'git' } },
        ],
      },
      read,
    );
    expect(entries).toEqual([
      { host: 'h', path: 'org/*', username: 'gu', password: 'gp' },
      { host: '*', username: 'gu', password: 'gp' },
    ]);
    expect(matchGitCredential(entries, 'https://other/org/x')).toBeUndefined();
  });

  it('reads an empty host as "*", as Kluctl controller does: SSH URLs only', async () => {
    const entries = await gitCredentialsFromSpec(
      { git: [{ host: '', secretRef: { name: 'ssh' } }] },
      (name) => Promise.resolve(name === 'ssh' ? { identity: 'KEY', password: 'pw' } : undefined),
    );
    expect(entries).toEqual([{ host: '*', username: '*', identity: 'KEY', password: 'pw' }]);
    expect(matchGitCredential(entries, 'https://h/org/x')).toBeUndefined();
    expect(matchGitCredential(entries, 'git@h:org/x')).toMatchObject({ username: 'git', sshIdentity: 'KEY' });
  });

  it('a missing Secret names the entry and the Secret', async () => {
    await expect(
      gitCredentialsFromSpec({ git: [{ host: 'h', secretRef: { name: 'nope' } }] }, read),
    ).rejects.toThrow("spec.credentials.git[0]: Secret nope not found in the KluctlDeployment's namespace");
  });

  it('builds helm and registry entries; PEM contents go to private files', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ks-creds-'));
    try {
      const c = await helmCredentialsFromSpec(
        {
          helm: [{ host: 'charts.example.com', path: 'stable/*', secretRef: { name: 'helm' } }],
          oci: [{ registry: 'reg:5000', repository: 'org/*', secretRef: { name: 'oci' } }],
        },
        read,
        dir,
      );
      expect(c.helm).toEqual([
        {
          host: 'charts.example.com',
          path: 'stable/*',
          username: 'hu',
          password: 'hp',
          caFile: join(dir, 'helm-0-caFile.pem'),
          insecureSkipTlsVerify: true,
        },
      ]);
      expect(await readFile(c.helm[0]!.caFile!, 'utf8')).toBe('CA-PEM');
      expect(c.cacheKey).toMatch(/^[0-9a-f]{16}$/);
      expect(c.registry).toEqual([
        { host: 'reg:5000', path: 'org/*', username: 'ou', password: 'op', plainHttp: true },
      ]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('keys chart caches by credential set with a keyed hash: no plain digest of a Secret', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ks-creds-'));
    const key = async (password: string) =>
      (
        await helmCredentialsFromSpec(
          { helm: [{ host: 'h', secretRef: { name: 's' } }] },
          () => Promise.resolve({ username: 'u', password }),
          dir,
        )
      ).cacheKey;
    try {
      const [a, a2, b] = [await key('pw-a'), await key('pw-a'), await key('pw-b')];
      expect(a).toBe(a2);
      expect(a).not.toBe(b);
      // What an unkeyed sha256 of the same input (the former key) would have been.
      const plain = createHash('sha256')
        .update(
          JSON.stringify([
            'helm',
            'h',
            '',
            [
              ['password', 'pw-a'],
              ['username', 'u'],
            ],
          ]),
        )
        .digest('hex')
        .slice(0, 16);
      expect(a).not.toBe(plain);
      expect(await helmCredentialsFromSpec({}, read, dir)).toMatchObject({ cacheKey: '' });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
