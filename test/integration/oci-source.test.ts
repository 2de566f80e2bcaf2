/**
 * OCI artifacts as project sources: artifacts pushed by the real Kluctl (`kluctl oci push`) to a real
 * registry (CNCF Distribution behind basic auth, devenv/oci-registry.ts), pulled by HttpOciSource,
 * deployed through the reconciler as `spec.source.oci` and as `oci:` includes with
 * `spec.credentials.oci`. Ports Kluctl's e2e TestOciSourceWithPath and TestGitOpsOciIncludeCredentials;
 * error texts are compared with what the real Kluctl prints for the same registry.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startOciRegistry } from '../../devenv/oci-registry.js';
import type { TestOciRegistry } from '../../devenv/oci-registry.js';
import { runKluctl } from '../../devenv/reference-kluctl.js';
import { HttpOciSource } from '../../lib/adapters/http-oci-source.js';
import { OciSourceError } from '../../lib/errors.js';
import type { ReconcileDeps } from '../../lib/reconcile/reconcile.js';
import { kluctlOciPush } from '../support/kluctl-oci-push.js';
import type { PushedArtifact } from '../support/kluctl-oci-push.js';
import { readyCondition } from '../support/kluctl-deployment.js';
import {
  applyAndReconcile,
  createCredentialsSecret,
  startProjectScenario,
  testReconcileDeps,
  type ProjectScenario,
} from '../support/reconcile-scenario.js';
import { kubectlJson } from '../support/test-env.js';

const USER = 'oci-user';
const PASSWORD = 'oci-S3cr3t-pw';

let reg: TestOciRegistry;
let s: ProjectScenario;
let deps: ReconcileDeps;
let ns: string;
let withPath: PushedArtifact;
let root: PushedArtifact;
let include: PushedArtifact;
const oci = new HttpOciSource();
const auth = { username: USER, password: PASSWORD };

const configMap = (name: string, namespace: string): string =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n  namespace: ${namespace}\ndata:\n  k: ${name}\n`;

beforeAll(async () => {
  reg = await startOciRegistry({ auth: { username: USER, password: PASSWORD } });
  s = await startProjectScenario({ name: 'oci-source' });
  ns = s.ns;
  deps = testReconcileDeps({ kube: s.kube, workDir: s.workDir, holder: 'oci-source-test' });
  const creds = { host: reg.host, ...auth };
  // TestOciSourceWithPath: the project lives in subDir/ of the pushed repository root.
  withPath = await kluctlOciPush({
    url: `oci://${reg.host}/org/repo`,
    creds,
    files: {
      'subDir/.kluctl.yaml': 'discriminator: "oci-path-{{ target.name }}"\ntargets:\n  - name: target1\n',
      'subDir/deployment.yaml': 'deployments:\n  - path: d1\n',
      'subDir/d1/cm.yaml': configMap('cm1', ns),
    },
  });
  include = await kluctlOciPush({
    url: `oci://${reg.host}/org2/repo2:v1`,
    creds,
    projectDir: 'subDir',
    files: {
      'subDir/deployment.yaml': 'deployments:\n  - path: cm\n',
      'subDir/cm/cm.yaml': configMap('inc2', ns),
    },
  });
  root = await kluctlOciPush({
    url: `oci://${reg.host}/org0/repo0`,
    creds,
    files: {
      '.kluctl.yaml': 'discriminator: "oci-inc-{{ target.name }}"\ntargets:\n  - name: test\n',
      'deployment.yaml': [
        'deployments:',
        '  - path: local',
        `  - oci:\n      url: oci://${reg.host}/org2/repo2\n      ref:\n        tag: v1`,
        '',
      ].join('\n'),
      'local/cm.yaml': configMap('root-cm', ns),
    },
  });
  await createCredentialsSecret(ns, 'oci-creds', auth);
  await createCredentialsSecret(ns, 'wrong-creds', { username: USER, password: 'not-the-password' });
}, 240_000);

afterAll(async () => {
  await reg?.close();
  await s?.stop();
  for (const a of [withPath, root, include]) if (a) await rm(a.dir, { recursive: true, force: true });
});

describe('HttpOciSource against an artifact kluctl oci push made', () => {
  const pullInto = async (ref: { tag?: string; digest?: string }) => {
    const dir = await mkdtemp(join(tmpdir(), 'ks-oci-pull-'));
    try {
      const pulled = await oci.pull(`oci://${reg.host}/org/repo`, ref, dir, auth);
      return { pulled, cm: await readFile(join(dir, 'subDir/d1/cm.yaml'), 'utf8') };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  };

  test.each([
    ['latest by default', {}],
    ['by tag', { tag: 'latest' }],
    ['by digest', 'digest'],
    ['by tag and digest', 'tag+digest'],
  ])('pulls %s: the project files, the manifest digest and the recorded commit', async (_, how) => {
    const ref =
      how === 'digest'
        ? { digest: withPath.digest }
        : how === 'tag+digest'
          ? { tag: 'not-checked', digest: withPath.digest }
          : (how as { tag?: string });
    const { pulled, cm } = await pullInto(ref);
    expect(cm).toBe(configMap('cm1', ns));
    expect(pulled).toEqual({ digest: withPath.digest, commit: withPath.commit, ref: { branch: 'main' } });
  });

  /** What the real Kluctl prints when an `oci:` include points at `url`/`ref`, with or without creds. */
  const kluctlIncludeError = async (ref: string, withCreds: boolean): Promise<string> => {
    const dir = await mkdtemp(join(tmpdir(), 'ks-oci-kluctl-'));
    try {
      const { writeFile } = await import('node:fs/promises');
      await writeFile(
        join(dir, 'deployment.yaml'),
        `deployments:\n  - oci:\n      url: oci://${reg.host}/org/repo\n      ref:\n        tag: ${ref}\n`,
      );
      const args = ['render', '--project-dir', dir, '--offline-kubernetes', '--print-all'];
      if (withCreds) args.push('--registry-creds', `${reg.host}=${USER}:${PASSWORD}`);
      const r = await runKluctl(args, { cwd: dir });
      expect(r.code).not.toBe(0);
      return r.stderr;
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  };

  test('an unknown tag fails with the registry error Kluctl reports', async () => {
    const err = await pullInto({ tag: 'no-such-tag' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OciSourceError);
    expect((err as Error).message).toBe(
      `GET http://${reg.host}/v2/org/repo/manifests/no-such-tag: MANIFEST_UNKNOWN: manifest unknown; unknown tag=no-such-tag`,
    );
    expect(await kluctlIncludeError('no-such-tag', true)).toContain((err as Error).message);
  });

  test('missing credentials fail with the registry error Kluctl reports, never a secret', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ks-oci-pull-'));
    const err = await oci
      .pull(`oci://${reg.host}/org/repo`, { tag: 'latest' }, dir)
      .catch((e: unknown) => e)
      .finally(() => rm(dir, { recursive: true, force: true }));
    expect(err).toBeInstanceOf(OciSourceError);
    expect((err as Error).message).toMatch(/UNAUTHORIZED: authentication required/);
    expect(await kluctlIncludeError('latest', false)).toContain((err as Error).message);
  });
});

const reconcileKd = (name: string, spec: Record<string, unknown>) =>
  applyAndReconcile(deps, ns, name, { interval: '5m', timeout: '2m', ...spec });

const configMapData = async (name: string): Promise<Record<string, string>> =>
  (await kubectlJson<{ data: Record<string, string> }>(['get', 'configmap', name, '-n', ns])).data;

test('spec.source.oci with and without path (TestOciSourceWithPath)', async () => {
  const source = { oci: { url: `oci://${reg.host}/org/repo` } };
  const credentials = { oci: [{ registry: reg.host, secretRef: { name: 'oci-creds' } }] };
  let kd = await reconcileKd('oci-path', { source, credentials, target: 'target1' });
  expect(readyCondition(kd)).toMatchObject({ status: 'False', reason: 'PrepareFailed' });
  expect(kd.status?.lastPrepareError).toBe('target target1 not existent in kluctl project config');
  kd = await reconcileKd('oci-path', {
    source: { oci: { ...source.oci, path: 'subDir' } },
    credentials,
    target: 'target1',
  });
  expect(readyCondition(kd)).toMatchObject({ status: 'True' });
  expect(kd.status?.observedCommit).toBe(withPath.commit);
  expect(await configMapData('cm1')).toEqual({ k: 'cm1' });
});

test('oci source and oci include with spec.credentials.oci (TestGitOpsOciIncludeCredentials)', async () => {
  const source = { oci: { url: `oci://${reg.host}/org0/repo0` } };
  let kd = await reconcileKd('oci-include', { source, target: 'test' });
  expect(readyCondition(kd)).toMatchObject({ status: 'False', reason: 'PrepareFailed' });
  expect(kd.status?.lastPrepareError).toContain('UNAUTHORIZED');

  // The root matches exactly; the include only by a repository glob: without it the include fails.
  const rootCreds = { registry: reg.host, repository: 'org0/repo0', secretRef: { name: 'oci-creds' } };
  kd = await reconcileKd('oci-include', { source, target: 'test', credentials: { oci: [rootCreds] } });
  expect(readyCondition(kd)).toMatchObject({ status: 'False', reason: 'PrepareFailed' });
  expect(kd.status?.lastPrepareError).toContain('/v2/org2/repo2/manifests/v1: UNAUTHORIZED');

  const credentials = {
    oci: [
      { registry: reg.host, repository: 'org3/*', secretRef: { name: 'wrong-creds' } },
      rootCreds,
      { registry: reg.host, repository: '*/repo2', secretRef: { name: 'oci-creds' } },
    ],
  };
  kd = await reconcileKd('oci-include', { source, target: 'test', credentials });
  expect(kd.status?.lastPrepareError ?? '').toBe('');
  expect(readyCondition(kd)).toMatchObject({ status: 'True' });
  expect(kd.status?.observedCommit).toBe(root.commit);
  expect(await configMapData('root-cm')).toEqual({ k: 'root-cm' });
  expect(await configMapData('inc2')).toEqual({ k: 'inc2' });
  expect(JSON.stringify(kd)).not.toContain(PASSWORD);
});
