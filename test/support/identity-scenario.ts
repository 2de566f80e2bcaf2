/**
 * Shared setup of the identity tests (integration reconcile-identity and reconcile-kubeconfig, parity
 * controller-identity): the `identity` fixture project in a real Git server, a state folder, the admin
 * client, restricted identities made with RBAC, and one reconcile as the runner does it. The project deploys `allowed/` into the test namespace and
 * `refused/` into a second namespace that the restricted identities may not write.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HttpKubeClient } from '../../lib/adapters/http-kube-client.js';
import { HttpKubeClientFactory } from '../../lib/adapters/kube-client-factory.js';
import type { KluctlDeployment } from '../../lib/api/types.js';
import { jsonLogger } from '../../lib/logging/json-logger.js';
import type { KubeObject } from '../../lib/ports.js';
import type { ReconcileDeps, ReconcileOutcome } from '../../lib/reconcile/reconcile.js';
import { createRepo } from '../../devenv/git-repo.js';
import { startGitServer } from '../../devenv/git-server.js';
import { fixtureFiles } from './fixtures.js';
import { applyKluctlDeployment } from './kluctl-deployment.js';
import { reconcileOnce, testReconcileDeps } from './reconcile-scenario.js';
import { createTestNamespace, installCrds, kubectlTest, testEnv } from './test-env.js';

/** The namespace of a deployment and a second one the restricted identities may not write. */
export interface NamespacePair {
  readonly ns: string;
  readonly other: string;
}

/** What {@link startIdentityScenario} starts; `stop` in afterAll. */
export interface IdentityScenario {
  readonly repoUrl: string;
  readonly admin: HttpKubeClient;
  readonly stateDir: string;
  /** Every log line the reconciles wrote (to prove no credential is logged). */
  readonly logLines: string[];
  /** Reconcile deps as the runner builds them, with `extra` on top. */
  deps(extra?: Partial<ReconcileDeps>): ReconcileDeps;
  /** A namespace for the deployment and a second one the restricted identities may not write. */
  namespaces(prefix: string): Promise<NamespacePair>;
  /** Applies a KluctlDeployment of the fixture project named `name` in `where.ns`. */
  apply(where: NamespacePair, name: string, spec: Record<string, unknown>): Promise<void>;
  /** One reconcile (with `deps`, default {@link deps}), and the object as the admin reads it afterwards. */
  reconcile(
    ns: string,
    name: string,
    deps?: ReconcileDeps,
  ): Promise<{ outcome: ReconcileOutcome; kd: KluctlDeployment | undefined }>;
  /** A ConfigMap as the admin sees it, or undefined. */
  configMap(ns: string, name: string): Promise<KubeObject | undefined>;
  stop(): Promise<void>;
}

/** Starts the Git server with the fixture project and the admin client. */
export async function startIdentityScenario(): Promise<IdentityScenario> {
  await installCrds();
  const server = await startGitServer();
  const repo = await createRepo(server, 'identity', await fixtureFiles('identity'));
  const admin = await HttpKubeClient.fromKubeconfig({ kubeconfigPath: testEnv().kubeconfigPath });
  const stateDir = await mkdtemp(join(tmpdir(), 'ks-identity-'));
  const logLines: string[] = [];
  const base = testReconcileDeps({
    kube: admin,
    logger: jsonLogger((l) => logLines.push(l), 'debug'),
    workDir: stateDir,
    holder: 'identity-test',
    clusters: new HttpKubeClientFactory(admin),
  });
  const deps = (extra: Partial<ReconcileDeps> = {}): ReconcileDeps => ({ ...base, ...extra });
  return {
    repoUrl: repo.url,
    admin,
    stateDir,
    logLines,
    deps,
    namespaces: async (prefix) => ({
      ns: await createTestNamespace(prefix),
      other: await createTestNamespace(`${prefix}-other`),
    }),
    apply: (where, name, spec) =>
      applyKluctlDeployment(where.ns, name, {
        interval: '10m',
        timeout: '2m',
        source: { git: { url: repo.url } },
        target: 't-none',
        args: { namespace: where.ns, other: where.other },
        ...spec,
      }),
    reconcile: (ns, name, d = deps()) => reconcileOnce(d, ns, name),
    configMap: (ns, name) => admin.get({ group: '', version: 'v1', kind: 'ConfigMap', name, namespace: ns }),
    stop: async () => {
      admin.close();
      await server.stop();
      await repo.cleanup();
      await rm(stateDir, { recursive: true, force: true });
    },
  };
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
