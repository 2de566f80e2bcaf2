/**
 * `spec.kubeConfig.secretRef` and `spec.context` (kluctl-semantics §9.5) against the real API server.
 * The kubeconfig Secrets point at the test API server as a client-certificate user with RBAC for one
 * namespace and a context that is not called `default`; the runner itself is the admin. Expected
 * messages and behaviour were taken by running Kluctl v2.28.2's `kluctl controller run` on the same
 * project: key `key`, else `value`, else `value.yaml`; a deployment only ever sees the context
 * `default` (its `target.context`), whatever the kubeconfig calls its contexts. Follows Kluctl's e2e
 * gitops_errors_test "invalid context" and gitops_misc_test TestNoTarget (`targetContext: default`).
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { restrictedKubeconfig, testEnv } from '../support/test-env.js';
import { readyCondition } from '../support/kluctl-deployment.js';
import { grantNamespace, kubectlApply, startIdentityScenario } from '../support/identity-scenario.js';
import type { IdentityScenario } from '../support/identity-scenario.js';

let s: IdentityScenario;
let user: string;
/** The restricted user's kubeconfig, its only context named `restricted`. */
let kubeconfig: string;
let clientKeyData: string;

beforeAll(async () => {
  s = await startIdentityScenario();
  user = `kc-user-${randomBytes(4).toString('hex')}`;
  type Doc = {
    contexts: { name: string }[];
    users: { user: Record<string, string> }[];
    [k: string]: unknown;
  };
  const doc = parse(await readFile(await restrictedKubeconfig(user), 'utf8')) as Doc;
  doc.contexts[0]!.name = 'restricted';
  doc['current-context'] = 'restricted';
  kubeconfig = stringify(doc);
  clientKeyData = doc.users[0]!.user['client-key-data']!;
});
afterAll(() => s?.stop());

/** A Secret in `ns` with string `data`. */
async function secret(ns: string, name: string, data: Record<string, string>): Promise<void> {
  await kubectlApply([
    { apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace: ns }, stringData: data },
  ]);
}

const forbiddenFor = (who: string, ns: string) =>
  `configmaps "other" is forbidden: User "${who}" cannot patch resource "configmaps" in API group "" in the namespace "${ns}"`;

test('spec.kubeConfig: deploys as the kubeconfig user, refuses what it may not write, status stays with the runner', async () => {
  const where = await s.namespaces('kc');
  await grantNamespace({ kind: 'User', name: user }, where.ns);
  await secret(where.ns, 'kc', { value: kubeconfig });
  await s.apply(where, 'app', { kubeConfig: { secretRef: { name: 'kc' } } });

  const { kd } = await s.reconcile(where.ns, 'app');

  expect(readyCondition(kd)).toMatchObject({ status: 'False', reason: 'DeployFailed' });
  expect(kd?.status?.lastDeployResult?.errors?.map((e) => e.message)).toEqual([
    expect.stringContaining(forbiddenFor(user, where.other)),
  ]);
  // Kluctl's controller turns any kubeconfig into one with the single context `default`.
  expect((await s.configMap(where.ns, 'cm'))?.data).toEqual({
    targetName: 't-none',
    targetContext: 'default',
    fromVars: 'none',
  });
  expect(await s.configMap(where.other, 'other')).toBeUndefined();
  expect(kd?.status?.targetKey?.clusterId).toBe(await s.admin.clusterId());
  // The kubeconfig's credentials appear in no status field and no log line.
  expect(JSON.stringify(kd)).not.toContain(clientKeyData);
  expect(s.logLines.join('\n')).not.toContain(clientKeyData);
});

test.each([
  ['only value.yaml', { 'value.yaml': 'KC' }, undefined],
  ['value wins over value.yaml', { value: 'KC', 'value.yaml': 'not: [a kubeconfig' }, undefined],
  ['an explicit key', { value: 'not: [a kubeconfig', custom: 'KC' }, 'custom'],
])('spec.kubeConfig reads the Secret key as Kluctl does: %s', async (_name, data, key) => {
  const where = await s.namespaces('kc-key');
  await grantNamespace({ kind: 'User', name: user }, where.ns);
  const filled = Object.fromEntries(Object.entries(data).map(([k, v]) => [k, v === 'KC' ? kubeconfig : v]));
  await secret(where.ns, 'kc', filled);
  await s.apply(where, 'app', {
    kubeConfig: { secretRef: { name: 'kc', ...(key ? { key } : {}) } },
  });

  const { kd } = await s.reconcile(where.ns, 'app');

  // A successful prepare clears lastPrepareError (Kluctl omits it when empty).
  expect(kd?.status?.lastPrepareError).toBeUndefined();
  expect(await s.configMap(where.ns, 'cm')).toBeDefined();
});

describe('errors before anything is deployed', () => {
  let where: { ns: string; other: string };
  const marker = join(testEnv().runDir, `exec-ran-${randomBytes(4).toString('hex')}`);
  beforeAll(async () => {
    where = await s.namespaces('kc-err');
    await grantNamespace({ kind: 'User', name: user }, where.ns);
    await secret(where.ns, 'nokey', { other: kubeconfig });
    await secret(where.ns, 'kc', { value: kubeconfig });
    const execDoc = parse(kubeconfig) as { users: { user: Record<string, unknown> }[] };
    execDoc.users[0]!.user = {
      exec: { apiVersion: 'client.authentication.k8s.io/v1', command: 'touch', args: [marker] },
    };
    await secret(where.ns, 'exec', { value: stringify(execDoc) });
  });

  test.each<[string, Record<string, unknown>, (ns: string) => string]>([
    [
      'a missing Secret',
      { kubeConfig: { secretRef: { name: 'missing' } } },
      (ns) => `unable to read KubeConfig secret '${ns}/missing' error: Secret "missing" not found`,
    ],
    [
      'a Secret without value or value.yaml',
      { kubeConfig: { secretRef: { name: 'nokey' } } },
      (ns) => `KubeConfig secret '${ns}/nokey' does not contain a 'value' key with a kubeconfig`,
    ],
    [
      'a missing explicit key',
      { kubeConfig: { secretRef: { name: 'nokey', key: 'foo' } } },
      (ns) => `KubeConfig secret '${ns}/nokey' does not contain a 'foo' key with a kubeconfig`,
    ],
    [
      "the kubeconfig's own context name",
      { kubeConfig: { secretRef: { name: 'kc' } }, context: 'restricted' },
      () => 'context "restricted" does not exist',
    ],
    [
      'spec.context naming no context (gitops_errors_test "invalid context")',
      { context: 'invalid' },
      () => 'context "invalid" does not exist',
    ],
    ["a target's context other than default", { target: 't-foo' }, () => 'context "foo" does not exist'],
    [
      'a missing target, which is reported before the Secret',
      { target: 'nope', kubeConfig: { secretRef: { name: 'missing' } } },
      () => 'target nope not existent in kluctl project config',
    ],
    [
      'an exec credential plugin, which is never run',
      { kubeConfig: { secretRef: { name: 'exec' } } },
      (ns) =>
        `KubeConfig secret '${ns}/exec' key 'value': user "${user}" uses an exec credential plugin (exec)`,
    ],
  ])('%s', async (_name, spec, message) => {
    const kdName = `e-${randomBytes(3).toString('hex')}`;
    await s.apply(where, kdName, spec);

    const { kd } = await s.reconcile(where.ns, kdName);

    expect(readyCondition(kd)).toMatchObject({
      status: 'False',
      reason: 'PrepareFailed',
      message: 'prepare failed. Check status.lastPrepareError for details',
    });
    expect(kd?.status?.lastPrepareError).toContain(message(where.ns));
    expect(await s.configMap(where.ns, 'cm')).toBeUndefined();
    expect(existsSync(marker)).toBe(false);
  });
});

test.each([
  ['target context default', { target: 't-default' }],
  [
    'spec.context default over a target context foo (the fix gitops_errors_test applies)',
    { target: 't-foo', context: 'default' },
  ],
])('the runner cluster serves the context default: %s', async (_name, spec) => {
  const where = await s.namespaces('ctx');
  await s.apply(where, 'app', spec);

  const { kd } = await s.reconcile(where.ns, 'app');

  expect(readyCondition(kd)).toMatchObject({ status: 'True', reason: 'ReconciliationSucceeded' });
  expect((await s.configMap(where.ns, 'cm'))?.data).toMatchObject({ targetContext: 'default' });
});

test('spec.serviceAccountName with spec.kubeConfig impersonates through the kubeconfig user', async () => {
  const where = await s.namespaces('kc-sa');
  // The kubeconfig user may write the namespace but not impersonate: every request is refused.
  await grantNamespace({ kind: 'User', name: user }, where.ns);
  await secret(where.ns, 'kc', { value: kubeconfig });
  await s.apply(where, 'app', {
    kubeConfig: { secretRef: { name: 'kc' } },
    serviceAccountName: 'deployer',
  });

  const { kd } = await s.reconcile(where.ns, 'app');

  expect(readyCondition(kd)).toMatchObject({ status: 'False', reason: 'PrepareFailed' });
  expect(kd?.status?.lastPrepareError).toContain(
    `User "${user}" cannot impersonate resource "serviceaccounts"`,
  );
  expect(await s.configMap(where.ns, 'cm')).toBeUndefined();
});
