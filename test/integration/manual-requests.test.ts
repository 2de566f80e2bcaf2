/**
 * Kluctl's manual request protocol against the real API server (kluctl-semantics §10.6): requests set
 * as `kluctl.io/request-*` annotations the way `kluctl gitops ...` sets them, served by
 * reconcileDeployment, with the records in status and the results in Kluctl's result store (Secrets in
 * `kluctl-results`). Follows Kluctl's e2e TestManualRequests and TestOverrides
 * (e2e/gitops_manual_requests_test.go); test/parity/gitops-*.test.ts runs the real CLI against ours
 * and Kluctl's controller.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HttpKubeClient } from '../../lib/adapters/http-kube-client.js';
import { KubeSecretsResultStore } from '../../lib/adapters/kube-secrets-result-store.js';
import type { KluctlDeployment } from '../../lib/api/types.js';
import type { KubeObject } from '../../lib/ports.js';
import { reconcileDeployment } from '../../lib/reconcile/reconcile.js';
import type { ReconcileDeps } from '../../lib/reconcile/reconcile.js';
import { decodeResultData } from '../../lib/results/kluctl-result-format.js';
import { applyKluctlDeployment, patchKluctlDeploymentSpec } from '../support/kluctl-deployment.js';
import { configMapItemsProject } from '../support/fixtures.js';
import { testReconcileDeps } from '../support/reconcile-scenario.js';
import { createRepo } from '../../devenv/git-repo.js';
import type { TestRepo } from '../../devenv/git-repo.js';
import { startGitServer } from '../../devenv/git-server.js';
import type { GitServer } from '../../devenv/git-server.js';
import { createTestNamespace, installCrds, kubectlJson, kubectlTest, testEnv } from '../support/test-env.js';

let server: GitServer;
const repos: TestRepo[] = [];
let kube: HttpKubeClient;
let tmp: string;
let deps: ReconcileDeps;

beforeAll(async () => {
  await installCrds();
  server = await startGitServer();
  kube = await HttpKubeClient.fromKubeconfig({ kubeconfigPath: testEnv().kubeconfigPath });
  tmp = await mkdtemp(join(tmpdir(), 'ks-manual-requests-'));
  deps = testReconcileDeps({
    kube,
    workDir: tmp,
    holder: 'manual-requests',
    kluctlResults: new KubeSecretsResultStore(kube),
  });
});

afterAll(async () => {
  kube?.close();
  await server?.stop();
  for (const r of repos) await r.cleanup();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

const project = configMapItemsProject;

/** A namespace, its repository and its KluctlDeployment `kd`, reconciled once. */
async function setup(prefix: string, data: Record<string, string>, spec: Record<string, unknown> = {}) {
  const ns = await createTestNamespace(prefix);
  const repo = await createRepo(server, ns, project(ns, data));
  repos.push(repo);
  await applyKluctlDeployment(ns, 'kd', {
    interval: '1h',
    target: 't1',
    source: { git: { url: repo.url } },
    ...spec,
  });
  await reconcileDeployment(deps, { namespace: ns, name: 'kd' });
  return { ns, repo };
}

/** Suspends `kd` and lets it see that (as Kluctl's e2e `waitForReconcile`). */
async function suspend(ns: string): Promise<void> {
  await patchKluctlDeploymentSpec(ns, 'kd', { suspend: true });
  await reconcileDeployment(deps, { namespace: ns, name: 'kd' });
}

async function getKd(ns: string): Promise<KluctlDeployment> {
  return kubectlJson<KluctlDeployment>(['get', 'kluctldeployment', 'kd', '-n', ns]);
}

/** Sets a request annotation as `kluctl gitops <kind>` does. */
async function request(ns: string, kind: string, value: string, overridesPatch?: object): Promise<void> {
  const mr = JSON.stringify({ ...(overridesPatch ? { overridesPatch } : {}), requestValue: value });
  const r = await kubectlTest([
    'annotate',
    '--overwrite',
    'kluctldeployment',
    'kd',
    '-n',
    ns,
    `kluctl.io/request-${kind}=${mr}`,
  ]);
  expect(r.code).toBe(0);
}

async function configMaps(ns: string): Promise<Record<string, string | undefined>> {
  const l = await kubectlJson<{ items: { metadata: { name: string }; data?: { k?: string } }[] }>([
    'get',
    'configmaps',
    '-n',
    ns,
    '-l',
    'kluctl.io/discriminator',
  ]);
  return Object.fromEntries(l.items.map((i) => [i.metadata.name, i.data?.k]));
}

/** The result Secrets of `ns`'s deployment, of one kind. */
async function resultSecrets(ns: string, kind: 'command' | 'validate'): Promise<KubeObject[]> {
  const l = await kubectlJson<{ items: KubeObject[] }>([
    'get',
    'secrets',
    '-n',
    'kluctl-results',
    '-l',
    `kluctl.io/${kind}-result-id`,
  ]);
  return l.items.filter((s) => s.metadata.annotations?.['kluctl.io/result-deployment-namespace'] === ns);
}

const ready = (kd: KluctlDeployment) => kd.status?.conditions?.find((c) => c.type === 'Ready');

test('TestManualRequests: a deploy request deploys while suspended, is recorded, and its result is where the CLI reads it', async () => {
  const { ns, repo } = await setup('mr-deploy', { cm1: 'v1' });
  await suspend(ns);
  await repo.commit(project(ns, { cm1: 'v2', cm2: 'x' }), 'v2');

  await request(ns, 'deploy', 'r-1');
  const outcome = await reconcileDeployment(deps, { namespace: ns, name: 'kd' });
  expect(outcome).toMatchObject({ deployed: true, outcome: 'suspended' });
  expect(await configMaps(ns)).toEqual({ cm1: 'v2', cm2: 'x' });

  const kd = await getKd(ns);
  expect(kd.metadata.annotations?.['kluctl.io/request-deploy']).toBeUndefined();
  const rr = kd.status!.deployRequestResult!;
  expect(rr).toEqual({
    request: { requestValue: 'r-1' },
    startTime: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
    endTime: expect.stringMatching(/Z$/),
    reconcileId: expect.any(String),
    resultId: kd.status!.lastDeployResult!.id,
  });
  // The run that followed at once rebuilt Ready from the request's deploy.
  expect(ready(kd)?.message).toBe('deploy succeeded. 1 new objects. 1 changed objects. validate succeeded.');

  const [secret] = (await resultSecrets(ns, 'command')).filter(
    (s) => s.metadata.labels?.['kluctl.io/command-result-id'] === rr.resultId,
  );
  expect(secret?.metadata.name).toBe(`cr-${ns}-${rr.resultId}`);
  expect(secret?.metadata.labels?.['kluctl.io/result']).toBe('true');
  const reduced = decodeResultData(secret!, 'reducedResult') as Record<string, unknown>;
  expect(reduced).toMatchObject({
    id: rr.resultId,
    reconcileId: rr.reconcileId,
    command: { initiator: 'KluctlDeployment', command: 'deploy' },
    kluctlDeployment: { name: 'kd', namespace: ns },
  });
  const summary = JSON.parse(secret!.metadata.annotations!['kluctl.io/command-result-summary']!);
  expect(summary).toMatchObject({ newObjects: 1, changedObjects: 1, orphanObjects: 0, deletedObjects: 0 });
  const compacted = decodeResultData(secret!, 'compactedObjects') as { rendered?: string }[];
  expect(compacted.every((o) => o.rendered?.startsWith('full: {'))).toBe(true);
});

test('TestOverrides: overridesPatch applies to that run only (dry run off for a dry-run spec, then args)', async () => {
  const { ns, repo } = await setup('mr-overrides', { cm1: 'v1' }, { dryRun: true, suspend: true });
  expect(await configMaps(ns)).toEqual({});
  await request(ns, 'deploy', 'r-1', { spec: { dryRun: null } });
  await reconcileDeployment(deps, { namespace: ns, name: 'kd' });
  let kd = await getKd(ns);
  expect(await configMaps(ns)).toEqual({ cm1: 'v1' });
  expect(kd.status?.lastDeployResult?.commandInfo.dryRun).toBeUndefined();
  expect(kd.spec.dryRun).toBe(true);

  await repo.commit(project(ns, { cm1: "{{ args.a | default('none') }}" }), 'templated');
  await request(ns, 'deploy', 'r-2', { spec: { args: { a: 'via_arg' }, dryRun: false } });
  await reconcileDeployment(deps, { namespace: ns, name: 'kd' });
  kd = await getKd(ns);
  expect(await configMaps(ns)).toEqual({ cm1: 'via_arg' });
  expect(kd.spec.args).toBeUndefined();
  expect(kd.status?.deployRequestResult?.request.overridesPatch).toEqual({
    spec: { args: { a: 'via_arg' }, dryRun: false },
  });
  const [secret] = (await resultSecrets(ns, 'command')).filter(
    (s) => s.metadata.labels?.['kluctl.io/command-result-id'] === kd.status?.deployRequestResult?.resultId,
  );
  expect(decodeResultData(secret!, 'reducedResult')).toMatchObject({
    overridesPatch: { spec: { args: { a: 'via_arg' }, dryRun: false } },
    command: { args: { a: 'via_arg' } },
  });
});

test('TestManualRequests: diff, prune and validate requests', async () => {
  const { ns, repo } = await setup('mr-commands', { cm1: 'v1', cm2: 'v1' });
  await suspend(ns);
  await repo.commit(project(ns, { cm1: 'v2' }), 'no cm2');

  await request(ns, 'diff', 'd-1');
  await reconcileDeployment(deps, { namespace: ns, name: 'kd' });
  let kd = await getKd(ns);
  expect(kd.status?.lastDiffResult).toMatchObject({ changedObjects: 1, orphanObjects: 1 });
  expect(kd.status?.diffRequestResult?.resultId).toBe(kd.status?.lastDiffResult?.id);
  expect(await configMaps(ns)).toEqual({ cm1: 'v1', cm2: 'v1' });

  await request(ns, 'prune', 'p-1');
  await reconcileDeployment(deps, { namespace: ns, name: 'kd' });
  kd = await getKd(ns);
  expect(await configMaps(ns)).toEqual({ cm1: 'v1' });
  // As Kluctl: the prune result replaces lastDeployResult.
  expect(kd.status?.lastDeployResult).toMatchObject({ commandInfo: { command: 'prune' }, deletedObjects: 1 });
  expect(ready(kd)?.message).toBe('deploy succeeded. 1 deleted objects. validate succeeded.');

  await kubectlTest(['delete', 'configmap', 'cm1', '-n', ns]);
  await request(ns, 'validate', 'v-1');
  await reconcileDeployment(deps, { namespace: ns, name: 'kd' });
  kd = await getKd(ns);
  expect(kd.status?.validateRequestResult).toMatchObject({
    commandError: 'validate failed with 1 errors.',
    resultId: kd.status?.lastValidateResult?.id,
  });
  expect(ready(kd)).toMatchObject({ status: 'False', reason: 'ValidateFailed' });
  const [vr] = (await resultSecrets(ns, 'validate')).filter(
    (s) => s.metadata.labels?.['kluctl.io/validate-result-id'] === kd.status?.lastValidateResult?.id,
  );
  expect(decodeResultData(vr!, 'result')).toMatchObject({
    errors: [
      { ref: { version: 'v1', kind: 'ConfigMap', name: 'cm1', namespace: ns }, message: 'object not found' },
    ],
  });
  // Kluctl keeps the newest 2 validate results of a project and target.
  expect(await resultSecrets(ns, 'validate')).toHaveLength(2);
});

test('a reconcile request runs while suspended and reports the run errors as commandError', async () => {
  const { ns, repo } = await setup('mr-reconcile', { cm1: 'v1' });
  await suspend(ns);
  await repo.commit(project(ns, { cm1: 'v2' }), 'v2');
  await reconcileDeployment(deps, { namespace: ns, name: 'kd' });
  expect(await configMaps(ns)).toEqual({ cm1: 'v1' });

  await request(ns, 'reconcile', 'rc-1');
  await reconcileDeployment(deps, { namespace: ns, name: 'kd' });
  expect(await configMaps(ns)).toEqual({ cm1: 'v2' });
  const kd = await getKd(ns);
  expect(kd.status?.reconcileRequestResult).toEqual({
    request: { requestValue: 'rc-1' },
    startTime: expect.any(String),
    endTime: expect.any(String),
    reconcileId: expect.any(String),
  });

  // An object the API server refuses: the deploy fails, and validate finds it missing.
  const files = project(ns, { cm1: 'v3' });
  files['cm1/cm.yml'] = files['cm1/cm.yml']!.replace('name: cm1', 'name: Not_A_Name');
  await repo.commit(files, 'broken');
  await request(ns, 'reconcile', 'rc-2');
  await reconcileDeployment(deps, { namespace: ns, name: 'kd' });
  expect((await getKd(ns)).status?.reconcileRequestResult).toMatchObject({
    request: { requestValue: 'rc-2' },
    commandError:
      '2 errors occurred:\n\t* deploy failed with 1 errors.\n\t* validate failed with 1 errors.\n\n',
  });
});

test('a deploy request deploys even when approval is pending (ADR 0004)', async () => {
  const { ns } = await setup('mr-approval', { cm1: 'v1' }, { manual: true });
  expect(await configMaps(ns)).toEqual({});
  await request(ns, 'deploy', 'r-1');
  await reconcileDeployment(deps, { namespace: ns, name: 'kd' });
  expect(await configMaps(ns)).toEqual({ cm1: 'v1' });
  const kd = await getKd(ns);
  expect(kd.status?.lastManualObjectsHash).toBeUndefined();
  expect(kd.status?.deployRequestResult?.resultId).toBe(kd.status?.lastDeployResult?.id);
});

test.each([
  ['no requestValue', '{"requestValue":""}', 'missing requestValue in manual request annotation'],
  [
    'a patch of the metadata',
    '{"requestValue":"x","overridesPatch":{"metadata":{"labels":{"a":"b"}}}}',
    'override patch tried to modify non-spec fields',
  ],
])('a request with %s fails like a prepare and is not retried', async (_name, value, message) => {
  const { ns } = await setup('mr-broken', { cm1: 'v1' });
  const r = await kubectlTest([
    'annotate',
    'kluctldeployment',
    'kd',
    '-n',
    ns,
    `kluctl.io/request-deploy=${value}`,
  ]);
  expect(r.code).toBe(0);
  const outcome = await reconcileDeployment(deps, { namespace: ns, name: 'kd' });
  expect(outcome.outcome).toBe('failed');
  const kd = await getKd(ns);
  expect(kd.metadata.annotations?.['kluctl.io/request-deploy']).toBeUndefined();
  expect(kd.status?.lastPrepareError).toBe(message);
  expect(ready(kd)).toMatchObject({ status: 'False', reason: 'PrepareFailed' });
  expect(kd.status?.deployRequestResult).toBeUndefined();
});

test("a deleted deployment's results leave Kluctl's result store with it", async () => {
  const { ns } = await setup('mr-deleted', { cm1: 'v1' });
  expect(await resultSecrets(ns, 'command')).toHaveLength(1);
  expect(await resultSecrets(ns, 'validate')).toHaveLength(1);
  const r = await kubectlTest(['delete', 'kluctldeployment', 'kd', '-n', ns, '--wait=false']);
  expect(r.code).toBe(0);
  expect(await reconcileDeployment(deps, { namespace: ns, name: 'kd' })).toMatchObject({
    outcome: 'finalized',
  });
  expect(await resultSecrets(ns, 'command')).toEqual([]);
  expect(await resultSecrets(ns, 'validate')).toEqual([]);
});
