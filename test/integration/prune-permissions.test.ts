/**
 * Orphan search with a user who may only work in one namespace (kluctl-semantics §7.8): listing by
 * discriminator cluster-wide is forbidden, so it falls back to the project's namespaces and warns as
 * Kluctl does. Follows Kluctl's e2e TestOnlyOneNamespacePrune and TestRemoteObjectUtils_PermissionErrors.
 */
import { HttpKubeClient } from '../../lib/adapters/http-kube-client.js';
import type { CommandProject } from '../../lib/deploy/commands/command-base.js';
import { runDeploy } from '../../lib/deploy/commands/deploy-command.js';
import { LIST_PERMISSION_WARNING, NAMESPACE_FALLBACK_WARNING } from '../../lib/deploy/remote-objects.js';
import type { KubeObject } from '../../lib/ports.js';
import { createTestNamespace, kubectlTest, restrictedKubeconfig, testEnv } from '../support/test-env.js';

const clients: HttpKubeClient[] = [];
afterAll(() => clients.forEach((c) => c.close()));

async function client(kubeconfigPath: string): Promise<HttpKubeClient> {
  const c = await HttpKubeClient.fromKubeconfig({ kubeconfigPath });
  clients.push(c);
  return c;
}

/** Kluctl's buildSingleNamespaceRbac: the namespace itself, and configmaps inside it. */
async function grantSingleNamespace(user: string, ns: string): Promise<void> {
  const verbs = ['create', 'update', 'patch', 'get', 'list', 'watch', 'delete'];
  const docs = [
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: user },
      rules: [{ apiGroups: [''], resources: ['namespaces'], resourceNames: [ns], verbs }],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: user, namespace: ns },
      rules: [{ apiGroups: [''], resources: ['configmaps'], verbs }],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: user },
      subjects: [{ kind: 'User', name: user }],
      roleRef: { kind: 'ClusterRole', name: user, apiGroup: 'rbac.authorization.k8s.io' },
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: user, namespace: ns },
      subjects: [{ kind: 'User', name: user }],
      roleRef: { kind: 'Role', name: user, apiGroup: 'rbac.authorization.k8s.io' },
    },
  ];
  const res = await kubectlTest(['apply', '-f', '-'], {
    input: docs.map((d) => JSON.stringify(d)).join('\n'),
  });
  if (res.code !== 0) throw new Error(res.stderr);
}

function project(ns: string, names: string[]): CommandProject {
  const disc = `perm-${ns}`;
  const objects: KubeObject[] = names.map((name) => ({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, namespace: ns, labels: { 'kluctl.io/discriminator': disc } },
    data: { aa: name },
  }));
  return { target: { name: 'test' }, discriminator: disc, items: [{ dir: 'cms', barrier: false, objects }] };
}

test('prune with single-namespace rights lists per namespace and warns (TestOnlyOneNamespacePrune)', async () => {
  const ns = await createTestNamespace('perm');
  const user = `user-${ns}`;
  await grantSingleNamespace(user, ns);
  const admin = await client(testEnv().kubeconfigPath);
  const first = await runDeploy({ kube: admin }, project(ns, ['cm1', 'cm2', 'cm3']));
  expect(first.errors).toEqual([]);

  const withAdmin = await runDeploy({ kube: admin }, project(ns, ['cm1', 'cm3']), { prune: true });
  expect(withAdmin.errors).toEqual([]);
  expect(withAdmin.warnings.map((w) => w.message)).not.toContain(NAMESPACE_FALLBACK_WARNING);
  expect((await kubectlTest(['get', 'configmap', 'cm2', '-n', ns])).code).not.toBe(0);

  const restricted = await client(await restrictedKubeconfig(user));
  const r = await runDeploy({ kube: restricted }, project(ns, ['cm1']), { prune: true });
  expect(r.errors).toEqual([]);
  expect(r.warnings.map((w) => w.message)).toEqual(
    expect.arrayContaining([NAMESPACE_FALLBACK_WARNING, LIST_PERMISSION_WARNING]),
  );
  expect(r.objects.filter((o) => o.deleted).map((o) => o.ref.name)).toEqual(['cm3']);
  expect((await kubectlTest(['get', 'configmap', 'cm3', '-n', ns])).code).not.toBe(0);
  expect(r.clusterInfo.clusterId).toBe('');
});
