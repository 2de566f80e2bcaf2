/**
 * The controller's `spec.credentials.helm` reaches the Helm render: a chart pulled at render time from a
 * Helm repository behind basic auth (the test repository, real `helm`). Follows Kluctl's e2e
 * `gitops_helm_test` (basic auth; a failure surfaces as PrepareFailed); the password never shows up in
 * the status.
 */
import { stringify } from 'yaml';
import { startHelmRepo } from '../../devenv/helm-repo.js';
import type { TestHelmRepo } from '../../devenv/helm-repo.js';
import { toolPath } from '../../devenv/tools.js';
import type { ReconcileDeps } from '../../lib/reconcile/reconcile.js';
import { readyCondition } from '../support/kluctl-deployment.js';
import {
  applyAndReconcile,
  createCredentialsSecret,
  startProjectScenario,
  testReconcileDeps,
  type ProjectScenario,
} from '../support/reconcile-scenario.js';
import { kubectlJson } from '../support/test-env.js';

const PASSWORD = 'helm-S3cr3t';

let helmRepo: TestHelmRepo;
let s: ProjectScenario;
let deps: ReconcileDeps;
let ns: string;

beforeAll(async () => {
  helmRepo = await startHelmRepo({
    charts: [{ name: 'secured-chart', version: '0.1.0' }],
    auth: { username: 'helm-user', password: PASSWORD },
  });
  s = await startProjectScenario({
    name: 'creds-helm',
    files: (namespace) => ({
      '.kluctl.yaml': 'discriminator: "creds-helm-{{ target.name }}"\ntargets:\n  - name: test\n',
      'deployment.yaml': 'deployments:\n  - path: chart\n',
      'chart/helm-chart.yaml': stringify({
        helmChart: {
          repo: helmRepo.url,
          chartName: 'secured-chart',
          chartVersion: '0.1.0',
          releaseName: 'secured',
          namespace,
          skipPrePull: true,
        },
      }),
    }),
  });
  ns = s.ns;
  deps = testReconcileDeps({
    kube: s.kube,
    workDir: s.workDir,
    helmPath: toolPath('helm'),
    holder: 'credentials-helm-test',
  });
  await createCredentialsSecret(ns, 'helm-creds', { username: 'helm-user', password: PASSWORD });
});

afterAll(async () => {
  await helmRepo?.close();
  await s?.stop();
});

/** Applies KluctlDeployment `name` of the project with `spec.credentials` and reconciles it once. */
const reconcileKd = (name: string, credentials: unknown) =>
  applyAndReconcile(deps, ns, name, {
    interval: '5m',
    timeout: '2m',
    source: { git: { url: s.repo.url } },
    target: 'test',
    ...(credentials ? { credentials } : {}),
  });

test('without spec.credentials.helm the pull fails as PrepareFailed (gitops_helm_test)', async () => {
  const kd = await reconcileKd('no-creds', undefined);
  expect(readyCondition(kd)).toMatchObject({ status: 'False', reason: 'PrepareFailed' });
  expect(kd.status?.lastPrepareError).toContain('secured-chart');
  expect(JSON.stringify(kd)).not.toContain(PASSWORD);
});

test('spec.credentials.helm matched by host opens the repository (gitops_helm_test basic auth)', async () => {
  const host = new URL(helmRepo.url).host;
  const kd = await reconcileKd('with-creds', { helm: [{ host, secretRef: { name: 'helm-creds' } }] });
  expect(kd.status?.lastPrepareError ?? '').toBe('');
  expect(readyCondition(kd)).toMatchObject({ status: 'True', reason: 'ReconciliationSucceeded' });
  const cm = await kubectlJson<{ data: Record<string, string> }>([
    'get',
    'configmap',
    'secured-secured-chart',
    '-n',
    ns,
  ]);
  expect(cm.data.version).toBe('0.1.0');
  expect(JSON.stringify(kd)).not.toContain(PASSWORD);
});
