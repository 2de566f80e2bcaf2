// The pure parts of SSH Git: known_hosts lookup (hashed entries made by the real ssh-keygen -H),
// SSH URL parsing, pkt-line advertisement framing, and credentials matching for SSH and caFile.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isSshGitUrl, parseSshGitUrl } from '../../lib/adapters/ssh-git-transport.js';
import {
  blobKeyType,
  lookupKnownHost,
  preferredHostKeyAlgorithms,
  sshFingerprint,
} from '../../lib/adapters/ssh-known-hosts.js';
import { readAdvertisement } from '../../lib/adapters/ssh-pkt-line.js';
import {
  buildGitCredentials,
  gitAuthResolver,
  matchGitCredential,
  userKnownHosts,
} from '../../lib/credentials/git-credentials.js';
import type { GitCredentialEntry } from '../../lib/credentials/git-credentials.js';
import { safeUrl } from '../../lib/util/safe-url.js';

const ED = 'AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl';
const RSA = 'AAAAB3NzaC1yc2EAAAADAQABAAABAQC7';

describe('lookupKnownHost', () => {
  const content = [
    '# comment',
    `github.com,140.82.112.3 ssh-ed25519 ${ED}`,
    `[git.example.com]:2222 ssh-rsa ${RSA}`,
    `*.corp.example,!bad.corp.example ssh-ed25519 ${ED}`,
    `@revoked old.example ssh-ed25519 ${ED}`,
    `@cert-authority *.ca.example ssh-ed25519 ${ED}`,
    '',
  ].join('\n');

  it.each([
    ['github.com', 22, ['ssh-ed25519'], 0],
    ['GitHub.com', 22, ['ssh-ed25519'], 0],
    ['140.82.112.3', 22, ['ssh-ed25519'], 0],
    ['github.com', 2222, [], 0],
    ['git.example.com', 2222, ['ssh-rsa'], 0],
    ['git.example.com', 22, [], 0],
    ['a.corp.example', 22, ['ssh-ed25519'], 0],
    ['bad.corp.example', 22, [], 0],
    ['old.example', 22, [], 1],
    ['x.ca.example', 22, [], 0],
  ])('%s port %d: keys %j, revoked %d', (host, port, types, revoked) => {
    const m = lookupKnownHost(content, host, port);
    expect(m.keys.map((k) => k.type)).toEqual(types);
    expect(m.revoked).toHaveLength(revoked);
  });

  it('matches entries hashed by ssh-keygen -H, with and without a port', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ks-kh-'));
    try {
      const file = join(dir, 'known_hosts');
      writeFileSync(file, `github.com ssh-ed25519 ${ED}\n[git.example.com]:2222 ssh-rsa ${RSA}\n`);
      execFileSync('ssh-keygen', ['-q', '-H', '-f', file], { stdio: 'ignore' });
      const hashed = readFileSync(file, 'utf8');
      expect(hashed).toMatch(/^\|1\|/);
      expect(hashed).not.toContain('github.com');
      expect(lookupKnownHost(hashed, 'github.com', 22).keys).toEqual([{ type: 'ssh-ed25519', blob: ED }]);
      expect(lookupKnownHost(hashed, 'git.example.com', 2222).keys).toEqual([{ type: 'ssh-rsa', blob: RSA }]);
      expect(lookupKnownHost(hashed, 'gitlab.com', 22).keys).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reads key type and fingerprint from a blob the way ssh-keygen -l prints it', () => {
    const blob = Buffer.from(ED, 'base64');
    expect(blobKeyType(blob)).toBe('ssh-ed25519');
    const dir = mkdtempSync(join(tmpdir(), 'ks-kh-'));
    try {
      writeFileSync(join(dir, 'k.pub'), `ssh-ed25519 ${ED} x\n`);
      const printed = execFileSync('ssh-keygen', ['-l', '-f', join(dir, 'k.pub')], { encoding: 'utf8' });
      expect(printed).toContain(sshFingerprint(blob));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('offers the known key types first, RSA with its SHA-2 signatures', () => {
    expect(
      preferredHostKeyAlgorithms([
        { type: 'ssh-rsa', blob: RSA },
        { type: 'ssh-ed25519', blob: ED },
      ]),
    ).toEqual(['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa', 'ssh-ed25519']);
  });
});

describe('SSH Git URLs', () => {
  it.each([
    [
      'ssh://git@github.com/org/repo.git',
      { host: 'github.com', port: 22, username: 'git', path: '/org/repo.git' },
    ],
    ['ssh://u@h:2222/srv/r.git', { host: 'h', port: 2222, username: 'u', path: '/srv/r.git' }],
    ['git+ssh://git@h/~alice/r.git', { host: 'h', port: 22, username: 'git', path: '~alice/r.git' }],
    ['git@github.com:org/repo.git', { host: 'github.com', port: 22, username: 'git', path: 'org/repo.git' }],
    ['host:/abs/r.git', { host: 'host', port: 22, username: '', path: '/abs/r.git' }],
  ])('%s', (url, target) => {
    expect(isSshGitUrl(url)).toBe(true);
    expect(parseSshGitUrl(url)).toEqual(target);
  });

  it.each(['https://github.com/org/repo.git', 'http://h:80/x', '/local/path', 'C'])(
    '%s is not SSH',
    (url) => {
      expect(isSshGitUrl(url)).toBe(false);
    },
  );

  it('shows scp-like URLs without the user in messages', () => {
    expect(safeUrl('git@github.com:org/repo.git')).toBe('github.com:org/repo.git');
    expect(safeUrl('ssh://git@h:2222/r.git')).toBe('ssh://h:2222/r.git');
  });
});

describe('readAdvertisement', () => {
  const feed = (...parts: string[]) => {
    const chunks = parts.map((p) => Buffer.from(p));
    return () => Promise.resolve(chunks.shift());
  };

  it('stops at the first flush across chunk boundaries and keeps what follows', async () => {
    const ad = await readAdvertisement(feed('000ev', 'ersion 2\n0009fetch0000', 'NAKrest'));
    expect(ad.version2).toBe(true);
    expect(ad.raw.toString()).toBe('000eversion 2\n0009fetch0000');
    expect(ad.leftover.toString()).toBe('');
  });

  it('returns bytes past the flush as leftover and tells protocol v1', async () => {
    const ad = await readAdvertisement(
      feed('003d' + 'a'.repeat(40) + ' refs/heads/main\n' + '0000' + 'PACK'),
    );
    expect(ad.version2).toBe(false);
    expect(ad.leftover.toString()).toBe('PACK');
  });

  it('is empty when the stream ends before anything was written (upload-pack failed)', async () => {
    expect((await readAdvertisement(feed())).raw).toHaveLength(0);
  });
});

describe('matchGitCredential for SSH and caFile (Kluctl ListAuthProvider)', () => {
  const entries: GitCredentialEntry[] = [
    { host: 'git.example.com', path: 'team-a/**', username: '*', identity: 'KEY-A', knownHosts: 'KH' },
    { host: 'git.example.com', username: '*', password: 'pw-only' },
    { host: '*', username: 'git', identity: 'KEY-ANY' },
    { host: 'tls.example.com', username: 'u', password: 'p', caFile: 'PEM' },
    { host: 'ca-only.example.com', username: 'u', caFile: 'PEM' },
  ];
  it.each([
    ['git@git.example.com:team-a/repo.git', { username: 'git', sshIdentity: 'KEY-A', sshKnownHosts: 'KH' }],
    // No key on the matching host entries: the wildcard host entry serves SSH URLs.
    ['git@git.example.com:team-b/repo.git', { username: 'git', sshIdentity: 'KEY-ANY' }],
    ['ssh://other.example.com/x.git', { username: 'git', sshIdentity: 'KEY-ANY' }],
    // A wildcard host never serves http(s).
    ['https://other.example.com/x.git', undefined],
    ['https://tls.example.com/x.git', { username: 'u', password: 'p', caBundle: 'PEM' }],
    // Like Kluctl, a CA alone (without username and password) is not an entry that matches.
    ['https://ca-only.example.com/x.git', undefined],
  ])('%s', (url, expected) => {
    expect(matchGitCredential(entries, url)).toEqual(expected);
  });
});

describe('CLI SSH and CA credentials (Kluctl flags and KLUCTL_GIT_* sets)', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'ks-git-flags-'));
    writeFileSync(join(dir, 'id'), 'KEY');
    writeFileSync(join(dir, 'kh'), 'KH');
    writeFileSync(join(dir, 'ca.pem'), 'PEM');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads --git-ssh-key-file, --git-ssh-known-hosts-file and --git-ca-file into the keyed entries', () => {
    const entries = buildGitCredentials({
      gitUsername: ['h:2222=git', 'tls.example=u'],
      gitPassword: ['tls.example=p'],
      gitSshKeyFile: [`h:2222=${join(dir, 'id')}`],
      gitSshKnownHostsFile: [`h:2222=${join(dir, 'kh')}`],
      gitCaFile: [`tls.example=${join(dir, 'ca.pem')}`],
    });
    expect(entries).toEqual([
      { host: 'h:2222', username: 'git', identity: 'KEY', knownHosts: 'KH' },
      { host: 'tls.example', username: 'u', password: 'p', caFile: 'PEM' },
    ]);
  });

  it('an unreadable file of a flag is an error naming the flag and the file', () => {
    expect(() => buildGitCredentials({ gitSshKeyFile: [`h=${join(dir, 'missing')}`] })).toThrow(
      `--git-ssh-key-file: cannot read ${join(dir, 'missing')}`,
    );
  });

  it('reads SSH_KEY and CA_BUNDLE paths of env sets; an unreadable one is left out as in Kluctl', () => {
    const entries = buildGitCredentials(
      {},
      {
        KLUCTL_GIT_HOST: 'h',
        KLUCTL_GIT_USERNAME: 'git',
        KLUCTL_GIT_SSH_KEY: join(dir, 'id'),
        KLUCTL_GIT_1_HOST: 'x',
        KLUCTL_GIT_1_SSH_KEY: join(dir, 'missing'),
        KLUCTL_GIT_1_CA_BUNDLE: join(dir, 'ca.pem'),
      },
    );
    expect(entries).toEqual([
      { host: 'h', username: 'git', identity: 'KEY' },
      { host: 'x', caFile: 'PEM' },
    ]);
  });

  it('entries without known_hosts fall back to the user files (SSH_KNOWN_HOSTS first)', () => {
    const known = userKnownHosts({ SSH_KNOWN_HOSTS: `${join(dir, 'kh')}:${join(dir, 'missing')}` });
    expect(known).toBe('KH\n');
    const resolve = gitAuthResolver([{ host: 'h', username: 'git', identity: 'KEY' }], known);
    expect(resolve('ssh://h/r.git')).toEqual({ username: 'git', sshIdentity: 'KEY', sshKnownHosts: 'KH\n' });
  });
});
