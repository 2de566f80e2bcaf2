/**
 * OCI registry details that need no registry: credential entries for `oci://` URLs (flags and
 * `KLUCTL_REGISTRY_*` sets, matched by host and repository glob as Kluctl's list auth provider does),
 * the hint error messages carry, and which hosts are spoken to over plain HTTP by default.
 */
import {
  buildHelmCredentials,
  describeCredential,
  findHelmCredential,
} from '../../lib/credentials/helm-credentials.js';
import { isInsecureRegistryHost } from '../../lib/project/helm/oci-tags.js';

describe('registry credentials for oci:// charts', () => {
  const creds = buildHelmCredentials(
    {
      registryCreds: ['r:5000/org/*=u1:p1'],
      registryPlainHttp: ['r:5000/org/*', 'r:5000'],
      helmCreds: ['r:5000=helm-user:x'],
    },
    {
      KLUCTL_REGISTRY_HOST: 'r:5000',
      KLUCTL_REGISTRY_REPOSITORY: 'team/**',
      KLUCTL_REGISTRY_USERNAME: 'eu',
      KLUCTL_REGISTRY_PASSWORD: 'ep',
      KLUCTL_REGISTRY_1_HOST: 'other.example',
      KLUCTL_REGISTRY_1_PLAIN_HTTP: 'true',
    },
  );
  it.each<[string, Record<string, unknown> | undefined]>([
    ['oci://r:5000/org/chart', { username: 'u1', plainHttp: true }],
    // `*` stays within one segment: the flag entry without a path is next.
    ['oci://r:5000/org/sub/chart', { host: 'r:5000', plainHttp: true }],
    ['oci://r:5000/chart', { host: 'r:5000', plainHttp: true }],
    ['oci://other.example/chart', { host: 'other.example', plainHttp: true }],
    // As go-containerregistry reads it (Kluctl): a first element without `.` or `:` is a Docker Hub path.
    ['oci://other/chart', undefined],
    // Tags and digests are not part of the repository the glob sees.
    ['oci://r:5000/org/chart:1.0.0', { username: 'u1' }],
    ['oci://r:5000/org/chart@sha256:' + '0'.repeat(64), { username: 'u1' }],
    // Upper case is refused in a repository, so nothing is sent.
    ['oci://r:5000/Org/chart', undefined],
    ['oci://nomatch:5000/org/chart', undefined],
  ])('%s', (url, expected) => {
    const e = findHelmCredential(creds, url);
    if (expected === undefined) expect(e).toBeUndefined();
    else expect(e).toMatchObject(expected);
  });
  it('takes flags before environment sets and never mixes in classic Helm entries', () => {
    const onlyEnv = buildHelmCredentials(
      {},
      { KLUCTL_REGISTRY_HOST: 'r:5000', KLUCTL_REGISTRY_USERNAME: 'eu' },
    );
    expect(findHelmCredential(onlyEnv, 'oci://r:5000/xy')?.username).toBe('eu');
    expect(findHelmCredential(creds, 'oci://r:5000/xy')?.username).toBeUndefined();
    expect(findHelmCredential(creds, 'http://r:5000/x')?.username).toBe('helm-user');
  });
  it('describes the entry used by host and glob, never by its values', () => {
    const e = findHelmCredential(creds, 'oci://r:5000/org/chart');
    expect(describeCredential(e, 'oci://r:5000/org/chart')).toBe(
      'used the credentials given for r:5000/org/*',
    );
    expect(describeCredential(undefined, 'oci://r:5000/a/b/')).toBe(
      'no credentials match r:5000/a/b; pass them with --registry-creds / KLUCTL_REGISTRY_*',
    );
    expect(describeCredential(undefined, 'https://h/charts')).toContain('--helm-creds / KLUCTL_HELM_*');
  });
});

describe('plain HTTP by default, as go-containerregistry decides it', () => {
  it.each<[string, boolean]>([
    ['127.0.0.1:5000', true],
    ['localhost:5000', true],
    ['registry.local', true],
    ['[::1]:5000', true],
    ['10.1.2.3:5000', true],
    ['172.20.0.1', true],
    ['192.168.1.1:443', true],
    ['172.32.0.1', false],
    ['ghcr.io', false],
    ['registry.example.com:5000', false],
  ])('%s → %s', (host, insecure) => {
    expect(isInsecureRegistryHost(host)).toBe(insecure);
  });
});
