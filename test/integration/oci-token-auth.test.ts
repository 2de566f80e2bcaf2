/**
 * Registry bearer-token auth for OCI sources: Distribution with `auth.token` and the test token service
 * (devenv/registry-token-server.ts). The real Kluctl pushes with username/password and renders with
 * `--registry-token` / `--registry-identity-token`, showing the service speaks what Kluctl's client
 * speaks; HttpOciSource then pulls with each credential kind, and the reconciler reads the `token` and
 * `identityToken` keys of `spec.credentials.oci` Secrets (kluctl-semantics §9.4).
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startOciRegistry } from '../../devenv/oci-registry.js';
import type { TestOciRegistry } from '../../devenv/oci-registry.js';
import { runKluctl } from '../../devenv/reference-kluctl.js';
import type { RegistryTokenServer } from '../../devenv/registry-token-server.js';
import { HttpOciSource } from '../../lib/adapters/http-oci-source.js';
import type { OciAuth } from '../../lib/ports.js';
import type { ReconcileDeps } from '../../lib/reconcile/reconcile.js';
import { readyCondition } from '../support/kluctl-deployment.js';
import { kluctlOciPush } from '../support/kluctl-oci-push.js';
import type { PushedArtifact } from '../support/kluctl-oci-push.js';
import {
  applyAndReconcile,
  startProjectScenario,
  testReconcileDeps,
  type ProjectScenario,
} from '../support/reconcile-scenario.js';
import { kubectlJson, kubectlTest } from '../support/test-env.js';

const USER = 'token-user';
const PASSWORD = 'token-S3cr3t';
const IDENTITY_TOKEN = 'refresh-7f3a9c1e';

let reg: TestOciRegistry;
let tokens: RegistryTokenServer;
let s: ProjectScenario;
let deps: ReconcileDeps;
let ns: string;
let pushed: PushedArtifact;
const oci = new HttpOciSource();

beforeAll(async () => {
  reg = await startOciRegistry({
    tokenAuth: { username: USER, password: PASSWORD, identityToken: IDENTITY_TOKEN },
  });
  tokens = reg.tokens!;
  s = await startProjectScenario({ name: 'oci-token' });
  ns = s.ns;
  deps = testReconcileDeps({ kube: s.kube, workDir: s.workDir, holder: 'oci-token-test' });
  pushed = await kluctlOciPush({
    url: `oci://${reg.host}/org/app`,
    creds: { host: reg.host, username: USER, password: PASSWORD },
    files: {
      '.kluctl.yaml': 'discriminator: "oci-token-{{ target.name }}"\ntargets:\n  - name: test\n',
      'deployment.yaml': 'deployments:\n  - path: cm\n',
      'cm/cm.yaml': `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: token-cm\n  namespace: ${ns}\ndata:\n  k: v\n`,
    },
  });
}, 240_000);

afterAll(async () => {
  await reg?.close();
  await s?.stop();
  if (pushed) await rm(pushed.dir, { recursive: true, force: true });
});

const pull = async (auth: OciAuth | undefined): Promise<string> => {
  const dir = await mkdtemp(join(tmpdir(), 'ks-oci-token-'));
  try {
    const p = await oci.pull(`oci://${reg.host}/org/app`, {}, dir, auth);
    expect(p.digest).toBe(pushed.digest);
    return await readFile(join(dir, 'deployment.yaml'), 'utf8');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
};

test.each<[string, () => OciAuth]>([
  ['username/password fetched from the token service', () => ({ username: USER, password: PASSWORD })],
  ['identityToken exchanged as OAuth2 refresh token', () => ({ identityToken: IDENTITY_TOKEN })],
  ['token sent as the bearer token itself', () => ({ token: tokens.mint(['org/app']) })],
])('pulls with %s', async (_, auth) => {
  expect(await pull(auth())).toBe('deployments:\n  - path: cm\n');
});

test.each<[string, () => OciAuth | undefined, RegExp]>([
  ['no credentials', () => undefined, /GET http:\/\/localhost:\d+\/token: unexpected status code 401/],
  ['a wrong identity token', () => ({ identityToken: 'nope' }), /POST .*\/token: unexpected status code 401/],
  ['a token for another repository', () => ({ token: tokens.mint(['org/other']) }), /UNAUTHORIZED/],
])('refuses %s', async (_, auth, message) => {
  await expect(pull(auth())).rejects.toThrow(message);
});

test('the real Kluctl renders the artifact with --registry-token and --registry-identity-token', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'ks-oci-token-kluctl-'));
  try {
    await writeFile(
      join(dir, 'deployment.yaml'),
      `deployments:\n  - oci:\n      url: oci://${reg.host}/org/app\n`,
    );
    for (const flag of [
      `--registry-token=${reg.host}=${tokens.mint(['org/app'])}`,
      `--registry-identity-token=${reg.host}=${IDENTITY_TOKEN}`,
    ]) {
      const r = await runKluctl(
        ['render', '--project-dir', dir, '--offline-kubernetes', '--print-all', flag],
        {
          cwd: dir,
        },
      );
      expect({ code: r.code, stderr: r.code === 0 ? '' : r.stderr }).toEqual({ code: 0, stderr: '' });
      expect(r.stdout).toContain('name: token-cm');
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}, 120_000);

test.each([
  ['identityToken', () => IDENTITY_TOKEN],
  ['token', () => tokens.mint(['org/app'])],
])('spec.credentials.oci with a Secret holding %s deploys the artifact', async (key, value) => {
  const secret = `oci-${key.toLowerCase()}`;
  const r = await kubectlTest([
    'create',
    'secret',
    'generic',
    secret,
    '-n',
    ns,
    `--from-literal=${key}=${value()}`,
  ]);
  expect(r.stderr).toBe('');
  const kd = await applyAndReconcile(deps, ns, `kd-${key.toLowerCase()}`, {
    interval: '5m',
    timeout: '2m',
    target: 'test',
    source: { oci: { url: `oci://${reg.host}/org/app` } },
    credentials: { oci: [{ registry: reg.host, repository: 'org/*', secretRef: { name: secret } }] },
  });
  expect(kd.status?.lastPrepareError ?? '').toBe('');
  expect(readyCondition(kd)).toMatchObject({ status: 'True' });
  expect(kd.status?.observedCommit).toBe(pushed.commit);
  const cm = await kubectlJson<{ data: Record<string, string> }>(['get', 'configmap', 'token-cm', '-n', ns]);
  expect(cm.data).toEqual({ k: 'v' });
  expect(JSON.stringify(kd)).not.toContain(IDENTITY_TOKEN);
});
