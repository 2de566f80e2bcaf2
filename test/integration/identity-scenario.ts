/**
 * Shared setup of the identity tests (reconcile-identity, reconcile-kubeconfig): the `identity` fixture
 * project in a real Git server, a state folder, the admin client, restricted identities made with RBAC,
 * and one reconcile as the runner does it. The project deploys `allowed/` into the test namespace and
 * `refused/` into a second namespace that the restricted identities may not write.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FsStateStore } from '../../lib/adapters/fs-state-store.js';
import { HttpKubeClient } from '../../lib/adapters/http-kube-client.js';
import { HttpKubeClientFactory } from '../../lib/adapters/kube-client-factory.js';
import { IsomorphicGitSource } from '../../lib/adapters/isomorphic-git-source.js';
import type { KluctlDeployment } from '../../lib/api/types.js';
import { jsonLogger } from '../../lib/logging/json-logger.js';
import type { KubeObject } from '../../lib/ports.js';
import { systemClock } from '../../lib/ports.js';
import { reconcileDeployment } from '../../lib/reconcile/reconcile.js';
import type { ReconcileDeps, ReconcileOutcome } from '../../lib/reconcile/reconcile.js';
import { toolPath } from '../../devenv/tools.js';
import { fixtureFiles } from '../support/fixtures.js';
import { createRepo } from '../../devenv/git-repo.js';
import type { TestRepo } from '../../devenv/git-repo.js';
import { startGitServer } from '../../devenv/git-server.js';
import type { GitServer } from '../../devenv/git-server.js';
import { createTestNamespace, installCrds, kubectlTest, testEnv } from '../support/test-env.js';

/** What {@link startIdentityScenario} starts; `stop` in afterAll. */
export interface IdentityScenario {
  readonly repoUrl: string;
  readonly admin: HttpKubeClient;
  readonly stateDir: string;
  /** Every log line the reconciles wrote (to prove no credential is logged). */
  readonly logLines: string[];
  /** Reconcile deps as the runner builds them, with `extra` on top. */
  deps(extra?: Partial<ReconcileDeps>): ReconcileDeps;
  stop(): Promise<void>;
}

/** Starts the Git server with the fixture project and the admin client. */
export async function startIdentityScenario(): Promise<IdentityScenario> {
  await installCrds();
  const server: GitServer = await startGitServer();
  const repo: TestRepo = await createRepo(server, 'identity', await fixtureFiles('identity'));
  const admin = await HttpKubeClient.fromKubeconfig({ kubeconfigPath: testEnv().kubeconfigPath });
  const stateDir = await mkdtemp(join(tmpdir(), 'ks-identity-'));
  const logLines: string[] = [];
  const base: ReconcileDeps = {
    kube: admin,
    store: new FsStateStore(stateDir),
    git: new IsomorphicGitSource(),
    clock: systemClock,
    logger: jsonLogger((l) => logLines.push(l), 'debug'),
    workDir: stateDir,
    kustomizePath: toolPath('kustomize'),
    holder: 'identity-test',
    clusters: new HttpKubeClientFactory(admin),
  };
  return {
    repoUrl: repo.url,
    admin,
    stateDir,
    logLines,
    deps: (extra = {}) => ({ ...base, ...extra }),
    stop: async () => {
      admin.close();
      await server.stop();
      await repo.cleanup();
      await rm(stateDir, { recursive: true, force: true });
    },
  };
}

/** A namespace for the deployment and a second one the restricted identities may not write. */
export async function namespacePair(prefix: string): Promise<{ ns: string; other: string }> {
  const ns = await createTestNamespace(prefix);
  const other = await createTestNamespace(`${prefix}-other`);
  return { ns, other };
}

/** An RBAC subject: a service account or a (client certificate) user. */
export type Subject =
  | { readonly kind: 'ServiceAccount'; readonly name: string; readonly namespace: string }
  | { readonly kind: 'User'; readonly name: string };

/** What {@link grantNamespace} grants beyond ConfigMaps and Secrets in the namespace. */
export interface GrantOptions {
  /** Get and list ConfigMaps and Secrets in every namespace. Default false. */
  readonly readEverywhere?: boolean;
  /** Get and list namespaces (Kluctl reads the kube-system namespace's UID as the cluster id). Default true. */
  readonly readNamespaces?: boolean;
}

/** Lets `subject` do everything with ConfigMaps and Secrets in `ns`, and what `opts` adds. */
export async function grantNamespace(subject: Subject, ns: string, opts: GrantOptions = {}): Promise<void> {
  const name = `ks-${subject.kind === 'User' ? subject.name : `${ns}-${subject.name}`}`;
  const rbacSubject =
    subject.kind === 'User'
      ? { kind: 'User', name: subject.name, apiGroup: 'rbac.authorization.k8s.io' }
      : { kind: 'ServiceAccount', name: subject.name, namespace: subject.namespace };
  const clusterRules = [
    ...(opts.readNamespaces === false
      ? []
      : [{ apiGroups: [''], resources: ['namespaces'], verbs: ['get', 'list'] }]),
    ...(opts.readEverywhere
      ? [{ apiGroups: [''], resources: ['configmaps', 'secrets'], verbs: ['get', 'list'] }]
      : []),
  ];
  const docs = [
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name, namespace: ns },
      rules: [{ apiGroups: [''], resources: ['configmaps', 'secrets'], verbs: ['*'] }],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name, namespace: ns },
      subjects: [rbacSubject],
      roleRef: { kind: 'Role', name, apiGroup: 'rbac.authorization.k8s.io' },
    },
    ...(clusterRules.length === 0
      ? []
      : [
          {
            apiVersion: 'rbac.authorization.k8s.io/v1',
            kind: 'ClusterRole',
            metadata: { name },
            rules: clusterRules,
          },
          {
            apiVersion: 'rbac.authorization.k8s.io/v1',
            kind: 'ClusterRoleBinding',
            metadata: { name },
            subjects: [rbacSubject],
            roleRef: { kind: 'ClusterRole', name, apiGroup: 'rbac.authorization.k8s.io' },
          },
        ]),
  ];
  await kubectlApply(docs);
}

/** `kubectl apply` of objects as the admin; throws with kubectl's stderr. */
export async function kubectlApply(
  docs: readonly object[],
  extraArgs: readonly string[] = [],
): Promise<void> {
  const res = await kubectlTest(['apply', ...extraArgs, '-f', '-'], {
    input: docs.map((d) => JSON.stringify(d)).join('\n'),
  });
  if (res.code !== 0) throw new Error(res.stderr);
}

/** Applies a KluctlDeployment of the fixture project named `name` in `ns`. */
export async function applyDeployment(
  s: IdentityScenario,
  where: { ns: string; other: string },
  name: string,
  spec: Record<string, unknown>,
): Promise<void> {
  await kubectlApply([
    {
      apiVersion: 'gitops.kluctl.io/v1beta1',
      kind: 'KluctlDeployment',
      metadata: { name, namespace: where.ns },
      spec: {
        interval: '10m',
        timeout: '2m',
        source: { git: { url: s.repoUrl } },
        target: 't-none',
        args: { namespace: where.ns, other: where.other },
        ...spec,
      },
    },
  ]);
}

/** Runs one reconcile and returns its outcome with the object as the admin reads it afterwards. */
export async function reconcileOnce(
  deps: ReconcileDeps,
  ns: string,
  name: string,
): Promise<{ outcome: ReconcileOutcome; kd: KluctlDeployment | undefined }> {
  const outcome = await reconcileDeployment(deps, { namespace: ns, name });
  const kd = (await deps.kube.get(kdRef(ns, name))) as KluctlDeployment | undefined;
  return { outcome, kd };
}

/** The ref of a KluctlDeployment. */
export function kdRef(ns: string, name: string) {
  return { group: 'gitops.kluctl.io', version: 'v1beta1', kind: 'KluctlDeployment', name, namespace: ns };
}

/** A ConfigMap as the admin sees it, or undefined. */
export function configMap(s: IdentityScenario, ns: string, name: string): Promise<KubeObject | undefined> {
  return s.admin.get({ group: '', version: 'v1', kind: 'ConfigMap', name, namespace: ns });
}

/** The Ready condition of a deployment. */
export function readyOf(kd: KluctlDeployment | undefined) {
  return kd?.status?.conditions?.find((c) => c.type === 'Ready');
}
