/**
 * Port of Kluctl's e2e/gitops_errors_test.go `TestGitOpsErrors`, every case, through the reconciler:
 * each breaks the deployment one way, checks Ready (status, reason, message), `lastPrepareError`, and
 * the errors and warnings of `lastDeployResult` and of the stored result, then repairs it and checks
 * that the next reconcile of the fixed commit succeeds again (Kluctl's waitForCommit).
 *
 * Kluctl's test asserts `lastPrepareError` with a matcher-less `Expect`, i.e. not at all; here it is
 * asserted: ours names the file and line where Kluctl's says `line 7 ... in File: cm1.yaml`.
 */
import type { KluctlDeployment } from '../../lib/api/types.js';
import { readCommandResult } from '../../lib/reconcile/results.js';
import { resultsPrefix } from '../../lib/state/layout.js';
import {
  createKluctlDeployment,
  createScenarioNamespace,
  readiness,
  reconcile,
  startGitOpsSuite,
  TestProject,
  updateKluctlDeployment,
} from './gitops-suite.js';
import type { GitOpsSuite } from './gitops-suite.js';
import type { TestRepo } from '../../devenv/git-repo.js';

const NAME = 'git-ops-errors';
const goodCm1 = `apiVersion: v1
kind: ConfigMap
metadata:
  name: cm1
  namespace: "{{ args.namespace }}"
data:
  k1: v1
`;
const badCm1Apply = goodCm1.replace('\ndata:', '\ndata_error:');
const badCm1Load = goodCm1.replace('  k1: v1\n', '  k1: {\n');

let s: GitOpsSuite;
let p: TestProject;
let repo: TestRepo;
let ns: string;
let clusterId: string;

beforeAll(async () => {
  s = await startGitOpsSuite('gitops-errors');
  clusterId = await s.kube.clusterId();
  ns = await createScenarioNamespace(NAME);
  p = new TestProject(NAME).updateTarget('target1').addKustomizeDeployment('d1', { 'cm1.yaml': goodCm1 });
  repo = await s.createRepo(p);
  await createKluctlDeployment(s, NAME, {
    source: { git: { url: repo.url } },
    target: 'target1',
    args: { namespace: ns },
  });
});
afterAll(() => s?.close());

/** Kluctl's waitForCommit: a reconcile that ends on the head commit with Ready not Unknown. */
async function waitForCommit(): Promise<KluctlDeployment> {
  const { kd } = await reconcile(s, NAME);
  expect(kd?.status?.observedCommit).toBe(await repo.head());
  expect(readiness(kd)?.status).not.toBe('Unknown');
  return kd!;
}

/** Kluctl's waitForReconcile. */
async function waitForReconcile(): Promise<KluctlDeployment> {
  const { kd } = await reconcile(s, NAME);
  expect(readiness(kd)?.status).not.toBe('Unknown');
  return kd!;
}

/** Kluctl's assertErrors. */
async function assertErrors(
  kd: KluctlDeployment,
  ready: { status: string; reason: string; message: string },
  expected: { errors?: unknown[]; warnings?: unknown[]; prepareError?: RegExp | string } = {},
): Promise<void> {
  expect(kd.status?.lastDeployResult).toBeDefined();
  const r = readiness(kd)!;
  expect(r.status).toBe(ready.status);
  expect(r.reason).toBe(ready.reason);
  expect(r.message).toContain(ready.message);
  if (expected.prepareError === undefined) expect(kd.status?.lastPrepareError ?? '').toBe('');
  else expect(kd.status?.lastPrepareError).toMatch(expected.prepareError);
  const errors = expected.errors ?? [];
  const warnings = expected.warnings ?? [];
  if (errors.length > 0 || warnings.length > 0) {
    const stored = await storedResult(kd.status!.lastDeployResult!.id);
    expect(stored?.errors).toEqual(errors);
    expect(stored?.warnings).toEqual(warnings);
  }
  expect(kd.status?.lastDeployResult?.errors ?? []).toEqual(errors);
  expect(kd.status?.lastDeployResult?.warnings ?? []).toEqual(warnings);
}

async function storedResult(id: string) {
  const keys = await s.store.list(resultsPrefix(clusterId, s.namespace, NAME));
  const key = [...keys].find((k) => k.endsWith(`-${id}.json.gz`));
  expect(key).toBeDefined();
  return readCommandResult(s.store, key!);
}

const prepareFailed = (n?: number) => ({
  status: 'False',
  reason: 'PrepareFailed',
  message:
    n === undefined
      ? 'prepare failed. Check status.lastPrepareError for details'
      : `prepare failed with ${n} errors. Check status.lastPrepareError for details`,
});
const succeeded = { status: 'True', reason: 'ReconciliationSucceeded', message: 'deploy succeeded' };

/** Commits `files`, reconciles, runs `check`, restores the files and waits for the fixed commit. */
async function brokenCommit(
  files: Record<string, string>,
  check: (kd: KluctlDeployment) => Promise<void>,
): Promise<void> {
  const backup = Object.fromEntries(Object.keys(files).map((f) => [f, p.get(f)]));
  for (const [f, text] of Object.entries(files)) p.put(f, text);
  await repo.commit(p.files, 'break');
  await check(await waitForReconcile());
  for (const [f, text] of Object.entries(backup)) p.put(f, text);
  await repo.commit(p.files, 'repair');
  await assertErrors(await waitForCommit(), succeeded);
}

/** Patches the spec, reconciles, runs `check`, restores the spec and waits. */
async function brokenSpec(
  patch: Record<string, unknown>,
  restore: Record<string, unknown>,
  check: (kd: KluctlDeployment) => Promise<void>,
): Promise<void> {
  await updateKluctlDeployment(s, NAME, patch);
  await check(await waitForReconcile());
  await updateKluctlDeployment(s, NAME, restore);
  await assertErrors(await waitForCommit(), succeeded);
}

const cm1Ref = () => ({ version: 'v1', kind: 'ConfigMap', name: 'cm1', namespace: ns });

test('TestGitOpsErrors: initial deployment', async () => {
  await assertErrors(await waitForCommit(), succeeded);
});

test('TestGitOpsErrors: cm1 causes error while applying', async () => {
  await brokenCommit({ 'd1/cm1.yaml': badCm1Apply }, (kd) =>
    assertErrors(
      kd,
      { status: 'False', reason: 'DeployFailed', message: 'deploy failed with 1 errors' },
      {
        errors: [
          {
            ref: cm1Ref(),
            message: `failed to patch ${ns}/ConfigMap/cm1: failed to create typed patch object (${ns}/cm1; /v1, Kind=ConfigMap): .data_error: field not declared in schema`,
          },
        ],
      },
    ),
  );
});

test('TestGitOpsErrors: cm1 causes error while loading', async () => {
  await brokenCommit({ 'd1/cm1.yaml': badCm1Load }, (kd) =>
    assertErrors(kd, prepareFailed(1), { prepareError: /cm1\.yaml:7/ }),
  );
});

test("TestGitOpsErrors: project can't be loaded", async () => {
  await brokenCommit({ '.kluctl.yml': 'a: b' }, (kd) =>
    assertErrors(kd, prepareFailed(), { prepareError: /\.kluctl\.yml.*\ba\b/s }),
  );
});

test("TestGitOpsErrors: deployment can't be loaded", async () => {
  await brokenCommit({ 'deployment.yml': 'a: b' }, (kd) =>
    assertErrors(kd, prepareFailed(), { prepareError: /deployment\.yml.*\ba\b/s }),
  );
});

test('TestGitOpsErrors: invalid target', async () => {
  await brokenSpec({ target: 'invalid' }, { target: 'target1' }, (kd) =>
    assertErrors(kd, prepareFailed(), {
      prepareError: 'target invalid not existent in kluctl project config',
    }),
  );
});

test('TestGitOpsErrors: invalid context', async () => {
  await brokenSpec({ context: 'invalid' }, { context: 'default' }, (kd) =>
    assertErrors(kd, prepareFailed(), { prepareError: /context "invalid" does not exist/ }),
  );
});

test('TestGitOpsErrors: non existing git repo', async () => {
  await brokenSpec(
    { source: { git: { url: `${repo.url}/invalid` } } },
    { source: { git: { url: repo.url } } },
    (kd) =>
      assertErrors(kd, prepareFailed(), {
        prepareError: /failed to clone git source: repository not found/,
      }),
  );
});

test('TestGitOpsErrors: non existing git branch', async () => {
  await brokenSpec(
    { source: { git: { url: repo.url, ref: { branch: 'invalid' } } } },
    { source: { git: { url: repo.url, ref: null } } },
    (kd) => assertErrors(kd, prepareFailed(), { prepareError: /ref refs\/heads\/invalid not found/ }),
  );
});

test('TestGitOpsErrors: prune without discriminator', async () => {
  await updateKluctlDeployment(s, NAME, { prune: true });
  p.setDiscriminator(undefined);
  await repo.commit(p.files, 'no discriminator');
  await assertErrors(
    await waitForCommit(),
    { status: 'False', reason: 'DeployFailed', message: 'deploy failed with 1 errors' },
    {
      errors: [{ ref: { kind: '', name: '' }, message: 'pruning without a discriminator is not supported' }],
      warnings: [
        {
          ref: { kind: '', name: '' },
          message: 'no discriminator configured. Orphan object detection will not work',
        },
      ],
    },
  );
  p.setDiscriminator(`${NAME}-{{ target.name or 'no-name' }}`);
  await repo.commit(p.files, 'discriminator back');
  await assertErrors(await waitForCommit(), succeeded);
  await updateKluctlDeployment(s, NAME, { prune: false });
});
