/**
 * Reconciles in tests, as the runner does them against the real test cluster: the usual
 * `ReconcileDeps` (state in a local folder, the real Git source and kustomize), one reconcile of a
 * KluctlDeployment with the object read back afterwards, and the setup most reconcile tests share (a
 * project in a real Git server, an admin client, a work folder and a namespace).
 */
import { HttpOciSource } from '../../lib/adapters/http-oci-source.js';
import { HttpKubeClientFactory } from '../../lib/adapters/kube-client-factory.js';
import { KubeSecretsResultStore } from '../../lib/adapters/kube-secrets-result-store.js';
import { startObjectCaches } from '../../lib/adapters/object-caches.js';
import type { ObjectCaches } from '../../lib/adapters/object-caches.js';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FsStateStore } from '../../lib/adapters/fs-state-store.js';
import { HttpKubeClient } from '../../lib/adapters/http-kube-client.js';
import { IsomorphicGitSource } from '../../lib/adapters/isomorphic-git-source.js';
import type { KluctlDeployment } from '../../lib/api/types.js';
import { silentLogger, systemClock } from '../../lib/ports.js';
import { reconcileDeployment } from '../../lib/reconcile/reconcile.js';
import type { ReconcileDeps, ReconcileOutcome } from '../../lib/reconcile/reconcile.js';
import { createRepo, type TestRepo } from '../../devenv/git-repo.js';
import { startGitServer, type GitServer } from '../../devenv/git-server.js';
import { toolPath } from '../../devenv/tools.js';
import { fixtureFiles } from './fixtures.js';
import { applyKluctlDeployment, getKluctlDeployment, kluctlDeploymentRef } from './kluctl-deployment.js';
import { createTestNamespace, installCrds, kubectlTest, testEnv } from './test-env.js';

/** What every test names (client, work folder, lease holder); any other field replaces the default. */
export type TestReconcileDepsOptions = Pick<ReconcileDeps, 'kube' | 'workDir' | 'holder'> &
  Partial<ReconcileDeps>;

/**
 * Reconcile deps as the local runner builds them: state in `<workDir>/state`, the real Git source and
 * the pinned kustomize, the system clock and no logs.
 */
export function testReconcileDeps(opts: TestReconcileDepsOptions): ReconcileDeps {
  return {
    store: new FsStateStore(join(opts.workDir, 'state')),
    git: new IsomorphicGitSource(),
    oci: new HttpOciSource(),
    clock: systemClock,
    logger: silentLogger,
    kustomizePath: toolPath('kustomize'),
    ...opts,
  };
}

/** Runs one reconcile and returns its outcome with the object as `deps.kube` reads it afterwards. */
export async function reconcileOnce(
  deps: ReconcileDeps,
  namespace: string,
  name: string,
): Promise<{ outcome: ReconcileOutcome; kd: KluctlDeployment | undefined }> {
  const outcome = await reconcileDeployment(deps, { namespace, name });
  const kd = (await deps.kube.get(kluctlDeploymentRef(namespace, name))) as KluctlDeployment | undefined;
  return { outcome, kd };
}

/** Applies KluctlDeployment `name` with `spec`, reconciles it once, and returns it as it is afterwards. */
export async function applyAndReconcile(
  deps: ReconcileDeps,
  namespace: string,
  name: string,
  spec: Readonly<Record<string, unknown>>,
): Promise<KluctlDeployment> {
  await applyKluctlDeployment(namespace, name, spec);
  await reconcileDeployment(deps, { namespace, name });
  return getKluctlDeployment(namespace, name);
}

/** Options of {@link startProjectScenario}. */
export interface ProjectScenarioOptions {
  /** Prefix of the namespace; also names the repository and the work folder. */
  readonly name: string;
  /** The project's files, given the namespace; default the `skeleton` fixture project. */
  readonly files?: (namespace: string) => Record<string, string> | Promise<Record<string, string>>;
}

/** What {@link startProjectScenario} starts; `stop()` in afterAll. */
export interface ProjectScenario {
  /** A fresh namespace of this test file. */
  readonly ns: string;
  readonly server: GitServer;
  /** The project, committed on `main`. */
  readonly repo: TestRepo;
  /** An admin client of the test cluster. */
  readonly kube: HttpKubeClient;
  /** A temp folder for the reconciles (clones and state). */
  readonly workDir: string;
  stop(): Promise<void>;
}

/** Installs the CRDs and starts a Git server holding the project, an admin client, a folder and a namespace. */
export async function startProjectScenario(opts: ProjectScenarioOptions): Promise<ProjectScenario> {
  await installCrds();
  const ns = await createTestNamespace(opts.name);
  const files = await (opts.files ?? (() => fixtureFiles('skeleton')))(ns);
  const server = await startGitServer();
  const repo = await createRepo(server, `${opts.name}-project`, files);
  const kube = await HttpKubeClient.fromKubeconfig({ kubeconfigPath: testEnv().kubeconfigPath });
  const workDir = await mkdtemp(join(tmpdir(), `ks-${opts.name}-`));
  return {
    ns,
    server,
    repo,
    kube,
    workDir,
    stop: async () => {
      kube.close();
      await server.stop();
      await repo.cleanup();
      await rm(workDir, { recursive: true, force: true });
    },
  };
}

/** Creates Secret `name` in `namespace` with `username` and `password`, as `spec.credentials` entries reference. */
export async function createCredentialsSecret(
  namespace: string,
  name: string,
  credentials: { readonly username: string; readonly password: string },
): Promise<void> {
  const r = await kubectlTest([
    'create',
    'secret',
    'generic',
    name,
    '-n',
    namespace,
    `--from-literal=username=${credentials.username}`,
    `--from-literal=password=${credentials.password}`,
  ]);
  if (r.code !== 0) throw new Error(`could not create Secret ${namespace}/${name}: ${r.stderr.trim()}`);
}

/** What {@link startCachedScenario} starts; `stop()` in afterAll. */
export interface CachedScenario extends ProjectScenario {
  readonly caches: ObjectCaches;
  /** Deps as the long-lived runner has them: every client behind the watch-backed caches. */
  readonly deps: ReconcileDeps;
}

/**
 * A project scenario reconciled as the long-lived runner does it (ADR 0014): the object caches in
 * front of the admin client, Kluctl's result store through them, and `KluctlDeployment` `app` in the
 * scenario's namespace, validated on every reconcile (`validateInterval: 1s`, as once per interval).
 */
export async function startCachedScenario(
  name: string,
  deps: Partial<ReconcileDeps> = {},
): Promise<CachedScenario> {
  const s = await startProjectScenario({ name });
  const caches = startObjectCaches({
    kube: s.kube,
    clusters: new HttpKubeClientFactory(s.kube),
    logger: silentLogger,
  });
  await applyKluctlDeployment(s.ns, 'app', {
    interval: '10m',
    validateInterval: '1s',
    source: { git: { url: s.repo.url } },
    target: 'dev',
    args: { namespace: s.ns },
  });
  return {
    ...s,
    caches,
    deps: testReconcileDeps({
      kube: caches.kube,
      clusters: caches.clusters,
      kluctlResults: new KubeSecretsResultStore(caches.kube),
      workDir: s.workDir,
      holder: `${name}-test`,
      ...deps,
    }),
    stop: async () => {
      await caches.stop();
      await s.stop();
    },
  };
}
