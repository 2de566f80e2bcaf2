/**
 * What the ports of Kluctl's gitops e2e scenarios (e2e/gitops_*_test.go) share, shaped like Kluctl's
 * GitopsTestSuite and TestProject: a real Git server with a project laid out as Kluctl's tests lay it
 * out (`.kluctl.yml` with the discriminator `<slug>-{{ target.name or 'no-name' }}`, one kustomize
 * deployment per item), KluctlDeployments applied and patched with kubectl in a namespace of their
 * own, and a reconcile run through the reconciler with its state in LocalStack S3. Kluctl's tests
 * trigger a reconcile with a `kluctl.io/request-reconcile` annotation and wait for it; here the test
 * runs that reconcile itself (`reconcile`), which is the same full reconcile.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { HttpKubeClient } from '../../lib/adapters/http-kube-client.js';
import { IsomorphicGitSource } from '../../lib/adapters/isomorphic-git-source.js';
import { SopsCliDecryptor } from '../../lib/adapters/sops-cli.js';
import type { Condition, KluctlDeployment } from '../../lib/api/types.js';
import type { KubeObject, StateStore } from '../../lib/ports.js';
import { silentLogger, systemClock } from '../../lib/ports.js';
import { reconcileDeployment } from '../../lib/reconcile/reconcile.js';
import type { ReconcileDeps, ReconcileOutcome } from '../../lib/reconcile/reconcile.js';
import { toolPath } from '../../devenv/tools.js';
import { applyKluctlDeployment, patchKluctlDeploymentSpec } from '../support/kluctl-deployment.js';
import { createRepo } from '../../devenv/git-repo.js';
import type { TestRepo } from '../../devenv/git-repo.js';
import { startGitServer } from '../../devenv/git-server.js';
import type { GitServer } from '../../devenv/git-server.js';
import { createTestNamespace, installCrds, kubectlJson, kubectlTest, testEnv } from '../support/test-env.js';
import { newS3Store } from './function-fixtures.js';

/** A Kluctl test project: its files, edited in memory and pushed with {@link TestProject.push}. */
export class TestProject {
  readonly files: Record<string, string> = {};
  private readonly targets: Record<string, unknown>[] = [];
  private readonly deployments: Record<string, unknown>[] = [];
  private discriminator: string | undefined;

  /** `slug` names the project (Kluctl's TestSlug); `subDir` places it below the repository root. */
  constructor(
    readonly slug: string,
    readonly subDir = '',
  ) {
    this.discriminator = `${slug}-{{ target.name or 'no-name' }}`;
    this.writeConfig();
  }

  /** Adds (or replaces) a target. */
  updateTarget(name: string, extra: Record<string, unknown> = {}): this {
    const i = this.targets.findIndex((t) => t.name === name);
    if (i >= 0) this.targets[i] = { name, ...extra };
    else this.targets.push({ name, ...extra });
    this.writeConfig();
    return this;
  }

  /** Sets (or, with undefined, removes) the top-level discriminator. */
  setDiscriminator(discriminator: string | undefined): this {
    this.discriminator = discriminator;
    this.writeConfig();
    return this;
  }

  /** A kustomize deployment item `dir` holding `resources` (file name → YAML). */
  addKustomizeDeployment(dir: string, resources: Record<string, string>, tags?: string[]): this {
    this.put(
      `${dir}/kustomization.yml`,
      stringify({
        apiVersion: 'kustomize.config.k8s.io/v1beta1',
        kind: 'Kustomization',
        resources: Object.keys(resources),
      }),
    );
    for (const [name, text] of Object.entries(resources)) this.put(`${dir}/${name}`, text);
    this.deployments.push({ path: dir, ...(tags ? { tags } : {}) });
    this.writeConfig();
    return this;
  }

  /** Removes deployment item number `index` from `deployment.yml` (its files stay). */
  removeDeploymentItem(index: number): this {
    this.deployments.splice(index, 1);
    this.writeConfig();
    return this;
  }

  /** Sets `deployment.yml`'s `vars`. */
  setVars(vars: unknown[]): this {
    this.vars = vars;
    this.writeConfig();
    return this;
  }

  /** Writes a file of the project. */
  put(path: string, text: string): this {
    this.files[this.path(path)] = text;
    return this;
  }

  /** A file of the project. */
  get(path: string): string {
    return this.files[this.path(path)]!;
  }

  private vars: unknown[] | undefined;

  private path(p: string): string {
    return this.subDir ? `${this.subDir}/${p}` : p;
  }

  private writeConfig(): void {
    this.put(
      '.kluctl.yml',
      stringify({
        ...(this.discriminator !== undefined ? { discriminator: this.discriminator } : {}),
        ...(this.targets.length > 0 ? { targets: this.targets } : {}),
      }),
    );
    this.put(
      'deployment.yml',
      stringify({ ...(this.vars ? { vars: this.vars } : {}), deployments: this.deployments }),
    );
  }
}

/** The running suite. */
export interface GitOpsSuite {
  readonly kube: HttpKubeClient;
  readonly store: StateStore;
  readonly deps: ReconcileDeps;
  /** Namespace of the KluctlDeployments (Kluctl's gitopsNamespace). */
  readonly namespace: string;
  /** Creates the repository of `p` on the Git server. */
  createRepo(p: TestProject): Promise<TestRepo>;
  close(): Promise<void>;
}

/** Starts the Git server and the clients; one suite per test file. */
export async function startGitOpsSuite(name: string): Promise<GitOpsSuite> {
  await installCrds();
  const git: GitServer = await startGitServer();
  const kube = await HttpKubeClient.fromKubeconfig({ kubeconfigPath: testEnv().kubeconfigPath });
  const workDir = await mkdtemp(join(tmpdir(), `ks-${name}-`));
  const store = await newS3Store(name);
  const repos: TestRepo[] = [];
  const deps: ReconcileDeps = {
    kube,
    store,
    git: new IsomorphicGitSource(),
    clock: systemClock,
    logger: silentLogger,
    workDir,
    kustomizePath: toolPath('kustomize'),
    helmPath: toolPath('helm'),
    // As the runner composes it: only the age keys of spec.decryption, never the environment's.
    sopsWithKeys: (ageKeys) => new SopsCliDecryptor({ binary: toolPath('sops'), env: {}, ageKeys }),
    holder: `${name}-test`,
  };
  const namespace = await createTestNamespace(`${name}-gitops`);
  return {
    kube,
    store,
    deps,
    namespace,
    async createRepo(p) {
      const repo = await createRepo(git, p.slug, p.files);
      repos.push(repo);
      return repo;
    },
    async close() {
      kube.close();
      for (const r of repos) await r.cleanup();
      await git.stop();
      await rm(workDir, { recursive: true, force: true });
    },
  };
}

/** Kluctl's createKluctlDeployment: interval 5s-like, timeout, the target and args given. */
export async function createKluctlDeployment(
  s: GitOpsSuite,
  name: string,
  spec: Record<string, unknown>,
): Promise<void> {
  await applyKluctlDeployment(s.namespace, name, { interval: '5m', timeout: '5m', ...spec });
}

/** Merge-patches the spec (Kluctl's updateKluctlDeployment). */
export function updateKluctlDeployment(
  s: GitOpsSuite,
  name: string,
  spec: Record<string, unknown>,
): Promise<void> {
  return patchKluctlDeploymentSpec(s.namespace, name, spec);
}

/** Runs one reconcile and returns the deployment as it is afterwards (undefined once it is gone). */
export async function reconcile(
  s: GitOpsSuite,
  name: string,
): Promise<{ outcome: ReconcileOutcome; kd: KluctlDeployment | undefined }> {
  const outcome = await reconcileDeployment(s.deps, { namespace: s.namespace, name });
  return { outcome, kd: await getKluctlDeployment(s, name) };
}

/** The KluctlDeployment, or undefined. */
export async function getKluctlDeployment(
  s: GitOpsSuite,
  name: string,
): Promise<KluctlDeployment | undefined> {
  return (await s.kube.get({
    group: 'gitops.kluctl.io',
    version: 'v1beta1',
    kind: 'KluctlDeployment',
    name,
    namespace: s.namespace,
  })) as KluctlDeployment | undefined;
}

/** Kluctl's deleteKluctlDeployment: delete, let the finalizer run, and check the object is gone. */
export async function deleteKluctlDeployment(s: GitOpsSuite, name: string): Promise<ReconcileOutcome> {
  const r = await kubectlTest(['delete', 'kluctldeployment', name, '-n', s.namespace, '--wait=false']);
  if (r.code !== 0) throw new Error(`deleting KluctlDeployment ${name} failed: ${r.stderr}`);
  const { outcome, kd } = await reconcile(s, name);
  expect(outcome.outcome).toBe('finalized');
  expect(kd).toBeUndefined();
  return outcome;
}

/** The Ready condition. */
export function readiness(kd: KluctlDeployment | undefined): Condition | undefined {
  return kd?.status?.conditions?.find((c) => c.type === 'Ready');
}

/** A ConfigMap in the target namespace, or undefined. */
export async function getConfigMap(namespace: string, name: string): Promise<KubeObject | undefined> {
  const r = await kubectlTest(['get', 'configmap', name, '-n', namespace, '-o', 'json']);
  return r.code === 0 ? (JSON.parse(r.stdout) as KubeObject) : undefined;
}

/** A ConfigMap `name` in `namespace` as Kluctl's tests write it (`data` as given). */
export function configMapYaml(name: string, namespace: string, data: Record<string, string>): string {
  return stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace }, data });
}

/** Kluctl's createNamespace: the target namespace of one scenario. */
export function createScenarioNamespace(slug: string): Promise<string> {
  return createTestNamespace(slug);
}

/** Reads `kubectl get -o json` output. */
export { kubectlJson };
