/**
 * Port of Kluctl's e2e TestGitOpsOciIncludeCredentials (gitops_oci_include_test.go) as Kluctl writes
 * it: four registries (Distribution, basic auth), each with its own user; the project is pushed to
 * repo0 by the real `kluctl oci push` and includes include1 (org1/repo1), include2 (org2/repo2, with
 * subDir) and include3 (org3/repo3). Without credentials the reconcile is PrepareFailed with 401; with
 * one `spec.credentials.oci` entry per registry (exact repository, `*`/repo2, org3/`*`) it deploys. The
 * registries share 127.0.0.1, so only the port tells an entry's registry apart. (test/integration/
 * oci-source.test.ts covers the same on one registry, with wrong credentials in between.)
 */
import { rm } from 'node:fs/promises';
import { startOciRegistry } from '../../devenv/oci-registry.js';
import type { TestOciRegistry } from '../../devenv/oci-registry.js';
import type { ReconcileDeps } from '../../lib/reconcile/reconcile.js';
import { readyCondition } from '../support/kluctl-deployment.js';
import { kluctlOciPush } from '../support/kluctl-oci-push.js';
import type { PushedArtifact } from '../support/kluctl-oci-push.js';
import {
  applyAndReconcile,
  createCredentialsSecret,
  startProjectScenario,
  testReconcileDeps,
  type ProjectScenario,
} from '../support/reconcile-scenario.js';
import { kubectlJson } from '../support/test-env.js';

const users = [0, 1, 2, 3].map((i) => ({ username: `user${i}`, password: `pass${i}-S3cret` }));

let s: ProjectScenario;
let deps: ReconcileDeps;
let regs: TestOciRegistry[] = [];
let root: PushedArtifact;
const pushed: PushedArtifact[] = [];

const configMap = (name: string, namespace: string): string =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n  namespace: ${namespace}\ndata:\n  a: v\n`;

beforeAll(async () => {
  s = await startProjectScenario({ name: 'gitops-oci-incl-creds' });
  deps = testReconcileDeps({ kube: s.kube, workDir: s.workDir, holder: 'gitops-oci-include-credentials' });
  regs = await Promise.all(users.map((auth) => startOciRegistry({ auth })));
  const push = async (i: number, files: Record<string, string>) => {
    const r = regs[i]!;
    const a = await kluctlOciPush({
      url: `oci://${r.host}/org${i}/repo${i}`,
      files,
      creds: { host: r.host, ...users[i]! },
    });
    pushed.push(a);
    return a;
  };
  // prepareIncludeProject: include1 and include3 at the root, include2 below subDir/ (pushed whole).
  await push(1, {
    'deployment.yaml': 'deployments:\n  - path: cm\n',
    'cm/cm.yaml': configMap('include1-cm', s.ns),
  });
  await push(2, {
    'subDir/deployment.yaml': 'deployments:\n  - path: cm\n',
    'subDir/cm/cm.yaml': configMap('include2-cm', s.ns),
  });
  await push(3, {
    'deployment.yaml': 'deployments:\n  - path: cm\n',
    'cm/cm.yaml': configMap('include3-cm', s.ns),
  });
  root = await push(0, {
    '.kluctl.yaml': 'targets:\n  - name: test\n',
    'deployment.yaml': [
      'deployments:',
      `  - oci:\n      url: oci://${regs[1]!.host}/org1/repo1`,
      `  - oci:\n      url: oci://${regs[2]!.host}/org2/repo2\n      subDir: subDir`,
      `  - oci:\n      url: oci://${regs[3]!.host}/org3/repo3`,
      '',
    ].join('\n'),
  });
  for (const [i, u] of users.entries()) await createCredentialsSecret(s.ns, `secret${i}`, u);
}, 300_000);

afterAll(async () => {
  await Promise.all(regs.map((r) => r.close()));
  await s?.stop();
  for (const a of pushed) await rm(a.dir, { recursive: true, force: true });
});

const spec = (credentials?: unknown) => ({
  interval: '5m',
  timeout: '2m',
  source: { oci: { url: `oci://${regs[0]!.host}/org0/repo0` } },
  target: 'test',
  ...(credentials ? { credentials } : {}),
});

const noPassword = (o: unknown): void => {
  for (const u of users) expect(JSON.stringify(o)).not.toContain(u.password);
};

describe('TestGitOpsOciIncludeCredentials', () => {
  test('fail without authentication', async () => {
    const kd = await applyAndReconcile(deps, s.ns, 'test', spec());
    expect(kd.status?.observedCommit ?? '').toBe('');
    expect(readyCondition(kd)).toMatchObject({ status: 'False', reason: 'PrepareFailed' });
    // Kluctl's test looks for "401 Unauthorized"; Distribution's error code says the same.
    expect(kd.status?.lastPrepareError).toMatch(/401|UNAUTHORIZED/);
    noPassword(kd);
  }, 120_000);

  test('retry with authentication', async () => {
    const kd = await applyAndReconcile(
      deps,
      s.ns,
      'test',
      spec({
        oci: [
          { registry: regs[0]!.host, repository: 'org0/repo0', secretRef: { name: 'secret0' } },
          { registry: regs[1]!.host, repository: 'org1/repo1', secretRef: { name: 'secret1' } },
          { registry: regs[2]!.host, repository: '*/repo2', secretRef: { name: 'secret2' } },
          { registry: regs[3]!.host, repository: 'org3/*', secretRef: { name: 'secret3' } },
        ],
      }),
    );
    expect(kd.status?.lastPrepareError ?? '').toBe('');
    expect(readyCondition(kd)).toMatchObject({ status: 'True' });
    expect(kd.status?.observedCommit).toBe(root.commit);
    const cms = await kubectlJson<{ items: { metadata: { name: string } }[] }>([
      'get',
      'configmaps',
      '-n',
      s.ns,
    ]);
    expect(cms.items.map((c) => c.metadata.name)).toEqual(
      expect.arrayContaining(['include1-cm', 'include2-cm', 'include3-cm']),
    );
    noPassword(kd);
  }, 180_000);

  test("an entry names one registry: registry 3's entry does not serve registry 2", async () => {
    const kd = await applyAndReconcile(
      deps,
      s.ns,
      'swapped',
      spec({
        oci: [
          { registry: regs[0]!.host, repository: 'org0/repo0', secretRef: { name: 'secret0' } },
          { registry: regs[1]!.host, repository: 'org1/repo1', secretRef: { name: 'secret1' } },
          { registry: regs[3]!.host, repository: '*/repo2', secretRef: { name: 'secret2' } },
          { registry: regs[3]!.host, repository: 'org3/*', secretRef: { name: 'secret3' } },
        ],
      }),
    );
    expect(readyCondition(kd)).toMatchObject({ status: 'False', reason: 'PrepareFailed' });
    expect(kd.status?.lastPrepareError).toContain(`${regs[2]!.host}/v2/org2/repo2`);
    noPassword(kd);
  }, 120_000);
});
