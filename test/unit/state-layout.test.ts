import { KsError } from '../../lib/errors.js';
import {
  cloneRefCacheKey,
  cloneSnapshotKey,
  deploymentKey,
  mirrorKey,
  parseDeploymentKey,
  repoIndexKey,
  resultKey,
  stateKey,
} from '../../lib/state/layout.js';

const UID = '3f1c2a4e-9b7d-4c1e-8f00-123456789abc';

describe('state layout', () => {
  it('builds the deployment folder and its files', () => {
    expect(deploymentKey(UID, 'ns-1', 'app.v2')).toBe(`clusters/${UID}/deployments/ns-1/app.v2/`);
    expect(mirrorKey(UID, 'ns', 'app')).toBe(`clusters/${UID}/deployments/ns/app/mirror.json`);
    expect(stateKey(UID, 'ns', 'app')).toBe(`clusters/${UID}/deployments/ns/app/state.json`);
    expect(resultKey(UID, 'ns', 'app', '2026-11-25T12:00:00Z-abc')).toBe(
      `results/${UID}/ns/app/2026-11-25T12:00:00Z-abc.json.gz`,
    );
  });

  it('parses listed keys back into deployments', () => {
    expect(parseDeploymentKey(stateKey(UID, 'ns', 'app'))).toEqual({
      clusterId: UID,
      namespace: 'ns',
      name: 'app',
      file: 'state.json',
    });
    // Results live outside the deployment folder, under the prefix the lifecycle rule expires.
    expect(parseDeploymentKey(resultKey(UID, 'ns', 'app', 'r1'))).toBeUndefined();
    expect(parseDeploymentKey('repos/x/deployments.json')).toBeUndefined();
  });

  it.each([
    ['empty', ''],
    ['dot', '.'],
    ['dot-dot', '..'],
    ['slash', 'a/b'],
    ['internal name', '.ks-lock'],
    ['space', 'a b'],
  ])('refuses a %s segment', (_label, bad) => {
    expect(() => deploymentKey(UID, bad, 'app')).toThrow(KsError);
    expect(() => deploymentKey(bad, 'ns', 'app')).toThrow(/invalid cluster id/);
  });

  it.each([
    ['github.com/org/repo', 'repos/github.com%2Forg%2Frepo/deployments.json'],
    ['127.0.0.1:8080/a.git', 'repos/127.0.0.1%3A8080%2Fa.git/deployments.json'],
    ['..', 'repos/%2E./deployments.json'],
    ['h/ä', 'repos/h%2F%C3%A4/deployments.json'],
  ])('encodes repository key %s into one segment', (repoKey, expected) => {
    expect(repoIndexKey(repoKey)).toBe(expected);
  });

  it('names clone cache entries per ref kind and commit', () => {
    expect(cloneRefCacheKey('h/r', { branch: 'feature/x' })).toBe(
      'clone-cache/h%2Fr/refs/branch/feature%2Fx.json',
    );
    expect(cloneRefCacheKey('h/r', { tag: 'v1.0' })).toBe('clone-cache/h%2Fr/refs/tag/v1.0.json');
    expect(cloneRefCacheKey('h/r', {})).toBe('clone-cache/h%2Fr/refs/head/HEAD.json');
    const sha = 'a'.repeat(40);
    expect(cloneSnapshotKey('h/r', sha)).toBe(`clone-cache/h%2Fr/commits/${sha}.tar.gz`);
    expect(() => cloneSnapshotKey('h/r', 'main')).toThrow(/invalid commit 'main'/);
    expect(() => cloneRefCacheKey('h/r', { commit: sha })).toThrow(KsError);
  });
});
