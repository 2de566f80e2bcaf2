/**
 * The pure rules of OCI sources: which token realms a registry may send the client to
 * (go-containerregistry's check, so Kluctl's), registry error bodies in go-containerregistry's text,
 * `spec.credentials.oci` matching by registry and repository glob, `oci:` include validation and the
 * choice of `spec.source` kind.
 */
import { checkRealm, registryErrorText } from '../../lib/adapters/registry-http.js';
import { ociAuthResolver } from '../../lib/credentials/oci-credentials.js';
import { ociRefText, parseOciInclude } from '../../lib/project/oci-include.js';
import { projectSourceOf } from '../../lib/reconcile/prepare.js';
import type { KluctlDeploymentSpec } from '../../lib/api/types.js';

describe('checkRealm', () => {
  it.each([
    ['https realm on a public name', 'https://auth.example.com/token', 'reg.example.com', false, undefined],
    [
      'http realm for a secure registry',
      'http://auth.example.com/token',
      'reg.example.com',
      false,
      /scheme "http" not allowed/,
    ],
    [
      'http realm for a plain-HTTP registry',
      'http://localhost:5001/token',
      '127.0.0.1:5000',
      true,
      undefined,
    ],
    [
      'the registry itself on a loopback IP',
      'http://127.0.0.1:5000/token',
      '127.0.0.1:5000',
      true,
      undefined,
    ],
    [
      'another loopback port',
      'http://127.0.0.1:5001/token',
      '127.0.0.1:5000',
      true,
      /"127.0.0.1" is a private/,
    ],
    [
      'the metadata service',
      'https://169.254.169.254/latest',
      'reg.example.com',
      false,
      /private or link-local/,
    ],
    ['an RFC 1918 address', 'https://10.1.2.3/token', 'reg.example.com', false, /private or link-local/],
    ['IPv6 loopback', 'http://[::1]:80/token', 'reg:5000', true, /"::1" is a private/],
    ['a file URL', 'file:///etc/passwd', 'reg.example.com', false, /scheme "file" not allowed/],
  ])('%s', (_, realm, host, plain, expected) => {
    const got = checkRealm(realm, host, plain);
    if (expected === undefined) expect(got).toBeUndefined();
    else expect(got).toMatch(expected);
  });
});

describe('registryErrorText', () => {
  const res = (status: number, body: string) => ({
    status,
    statusText: status === 404 ? 'Not Found' : 'Unauthorized',
    headers: {},
    body: Buffer.from(body),
  });
  it.each([
    [
      'one error with a string detail',
      res(
        404,
        '{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown","detail":"unknown tag=x"}]}',
      ),
      'MANIFEST_UNKNOWN: manifest unknown; unknown tag=x',
    ],
    [
      'a structured detail as Go prints it',
      res(
        401,
        '{"errors":[{"code":"UNAUTHORIZED","message":"authentication required","detail":[{"Type":"repository","Name":"o/r","Action":"pull","Class":""}]}]}',
      ),
      'UNAUTHORIZED: authentication required; [map[Action:pull Class: Name:o/r Type:repository]]',
    ],
    [
      'several errors',
      res(401, '{"errors":[{"code":"A","message":"a"},{"code":"B","message":"b"}]}'),
      'multiple errors returned: A: a; B: b',
    ],
    ['a body that is no error list', res(401, 'nope\n'), 'unexpected status code 401 Unauthorized: nope'],
  ])('%s', (_, r, text) => {
    expect(registryErrorText(r)).toBe(text);
  });
});

describe('ociAuthResolver', () => {
  const resolve = ociAuthResolver([
    { registry: 'r:5000', repository: 'org3/*', auth: { username: 'u3' } },
    { registry: 'r:5000', repository: '*/repo2', auth: { username: 'u2' } },
    { registry: 'r:5000', auth: { username: 'any' } },
    { registry: 'other', repository: 'org/**', auth: { token: 't' } },
  ]);
  it.each([
    ['oci://r:5000/org3/x', 'u3'],
    ['oci://r:5000/org2/repo2', 'u2'],
    ['oci://r:5000/org3/a/b', 'any'],
    ['oci://r:5000/x', 'any'],
    ['oci://other/org/a/b', undefined],
    ['oci://r:5001/org3/x', undefined],
  ])('%s', (url, user) => {
    expect(resolve(url)?.username).toBe(user);
  });
});

describe('parseOciInclude', () => {
  it('normalises subDir and keeps tag and digest', () => {
    expect(
      parseOciInclude(
        { url: 'oci://r/x', ref: { tag: 't', digest: 'sha256:ab' }, subDir: '/a/b/' },
        'f',
        'w',
      ),
    ).toEqual({
      url: 'oci://r/x',
      ref: { tag: 't', digest: 'sha256:ab' },
      subDir: 'a/b',
    });
  });
  it.each([
    [{}, /oci.url is required/],
    [{ url: 'https://r/x' }, /must be oci:\/\//],
    [{ url: 'oci://r/x', subDir: '../up' }, /is not valid oci subdirectory path/],
  ])('refuses %j', (raw, message) => {
    expect(() => parseOciInclude(raw, 'deployment.yaml', 'deployments[0]')).toThrow(message);
  });
  it.each([
    [{}, 'latest'],
    [{ tag: 'v1' }, 'v1'],
    [{ digest: 'sha256:ab' }, '@sha256:ab'],
    [{ tag: 'v1', digest: 'sha256:ab' }, 'v1@sha256:ab'],
  ])('writes ref %j as %s', (ref, text) => {
    expect(ociRefText(ref)).toBe(text);
  });
});

describe('projectSourceOf', () => {
  const spec = (source: object) => ({ source }) as unknown as KluctlDeploymentSpec;
  it.each([
    [
      { oci: { url: 'oci://r/x', ref: { tag: 'v' }, path: 'p' } },
      { kind: 'oci', url: 'oci://r/x', ref: { tag: 'v' }, path: 'p' },
    ],
    [{ git: { url: 'https://g/x' } }, { kind: 'git', url: 'https://g/x', ref: {}, path: '' }],
    [
      { url: 'https://g/y', path: 'q' },
      { kind: 'git', url: 'https://g/y', ref: {}, path: 'q' },
    ],
  ])('%j', (source, expected) => {
    expect(projectSourceOf(spec(source))).toEqual(expected);
  });
  it('fails without a source', () => {
    expect(() => projectSourceOf(spec({}))).toThrow('missing source spec');
  });
});
