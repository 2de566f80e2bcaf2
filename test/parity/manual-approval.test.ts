/**
 * Manual approval (`spec.manual` + `spec.manualObjectsHash`) side by side with the real Kluctl v2.28.2
 * controller (`kluctl controller run`) on the same test API server: one KluctlDeployment per side, same
 * project, same spec, each in its own namespace; after every step the status fields and the objects
 * that landed are compared. Follows Kluctl's e2e scenario `TestGitOpsManualDeployment`
 * (e2e/gitops_approval_test.go), from a KluctlDeployment that starts with `manual: true`, then goes on
 * with a second commit and with the migration of Kluctl's own KluctlDeployment to our runner.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FsStateStore } from '../../lib/adapters/fs-state-store.js';
import { HttpKubeClient } from '../../lib/adapters/http-kube-client.js';
import type { KluctlDeployment } from '../../lib/api/types.js';
import { prepareProject } from '../../lib/reconcile/prepare.js';
import type { ReconcileDeps } from '../../lib/reconcile/reconcile.js';
import { LocalRunner } from '../../lib/runner/local-runner.js';
import { toolPath } from '../../devenv/tools.js';
import { fixtureFiles } from '../support/fixtures.js';
import {
  applyKluctlDeployment,
  getKluctlDeployment,
  patchKluctlDeploymentSpec,
  readyCondition,
} from '../support/kluctl-deployment.js';
import { testReconcileDeps } from '../support/reconcile-scenario.js';
import { createRepo } from '../../devenv/git-repo.js';
import type { TestRepo } from '../../devenv/git-repo.js';
import { startGitServer } from '../../devenv/git-server.js';
import type { GitServer } from '../../devenv/git-server.js';
import { tailFile } from '../../devenv/processes.js';
import type { ManagedProcess } from '../../devenv/processes.js';
import {
  createTestNamespace,
  eventually,
  installCrds,
  kubectlJson,
  kubectlTest,
  testEnv,
} from '../support/test-env.js';
import { startKluctlController } from './kluctl-controller.js';

/** Kluctl's controller renders, deploys, validates and diffs per step: give each test minutes. */
const STEP_MS = 240_000;

const NAME = 'approval';
let PROJECT: Record<string, string>;
let server: GitServer;
let repo: TestRepo;
let kube: HttpKubeClient;
let controller: ManagedProcess | undefined;
let tmp: string;
let nsK: string;
let nsO: string;
let deps: ReconcileDeps;
let ours: LocalRunner;
/** Hashes by name (`H1`, ...) per namespace, rendered by our engine; statuses are compared by name. */
const hashes = new Map<string, Map<string, string>>();

beforeAll(async () => {
  const env = testEnv();
  await installCrds();
  PROJECT = await fixtureFiles('skeleton');
  server = await startGitServer();
  repo = await createRepo(server, 'approval', PROJECT);
  kube = await HttpKubeClient.fromKubeconfig({ kubeconfigPath: env.kubeconfigPath });
  tmp = await mkdtemp(join(tmpdir(), 'ks-parity-approval-'));
  nsK = await createTestNamespace('approval-kluctl');
  nsO = await createTestNamespace('approval-ours');
  deps = runnerDeps(join(tmp, 'state'));
  ours = new LocalRunner(deps, { namespace: nsO });
  controller = await startKluctlController(nsK, { dryRun: false });
  for (const ns of [nsK, nsO]) {
    await applyKluctlDeployment(ns, NAME, {
      interval: '5m',
      timeout: '2m',
      source: { git: { url: repo.url, ref: { branch: 'main' } } },
      target: 'dev',
      prune: true,
      manual: true,
      args: { namespace: ns },
    });
  }
}, STEP_MS);

afterAll(async () => {
  await ours?.stop();
  await controller?.stop();
  kube?.close();
  await server?.stop();
  await repo?.cleanup();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

function runnerDeps(stateDir: string): ReconcileDeps {
  return testReconcileDeps({
    kube,
    store: new FsStateStore(stateDir),
    workDir: tmp,
    holder: `parity-${stateDir}`,
  });
}

const getKd = (ns: string): Promise<KluctlDeployment> => getKluctlDeployment(ns, NAME);

/** Renders the deployment of `ns` at the current commit with our engine and names the hash. */
async function renderAs(ns: string, name: string): Promise<string> {
  const kd = await getKd(ns);
  const p = await prepareProject(
    { git: deps.git, kube, workDir: tmp, kustomizePath: toolPath('kustomize') },
    { name: NAME, namespace: ns, spec: kd.spec },
  );
  await p.cleanup();
  const byName = hashes.get(ns) ?? new Map<string, string>();
  byName.set(name, p.rendered.objectsHash);
  hashes.set(ns, byName);
  return p.rendered.objectsHash;
}

/** A hash replaced by its name, so both sides compare although their objects (namespaces) differ. */
function named(ns: string, hash: string | undefined): string | undefined {
  if (hash === undefined) return undefined;
  for (const [name, h] of hashes.get(ns) ?? []) if (h === hash) return name;
  return `unknown hash ${hash}`;
}

/** What a user sees: the status fields approval touches and the objects that landed. */
async function observe(ns: string) {
  const kd = await getKd(ns);
  const st = kd.status ?? {};
  const ready = readyCondition(kd);
  const d = st.lastDeployResult;
  const v = st.lastValidateResult;
  const live = await kubectlJson<{ items: { kind: string; metadata: { name: string }; data?: object }[] }>([
    'get',
    'configmaps,services',
    '-n',
    ns,
    '-l',
    `kluctl.io/discriminator=e2e-dev-${ns}`,
  ]);
  return {
    ready: ready && { status: ready.status, reason: ready.reason, message: ready.message },
    reconciling: st.conditions?.some((c) => c.type === 'Reconciling') ?? false,
    observedGeneration: st.observedGeneration === kd.metadata.generation,
    lastObjectsHash: named(ns, st.lastObjectsHash),
    lastManualObjectsHash: named(ns, st.lastManualObjectsHash),
    lastDeployResult: d && {
      newObjects: d.newObjects,
      changedObjects: d.changedObjects,
      deletedObjects: d.deletedObjects,
      orphanObjects: d.orphanObjects,
      errors: d.errors?.length ?? 0,
    },
    lastValidateResult: v && { ready: v.ready, errors: v.errors?.length ?? 0 },
    objects: live.items.map((o) => `${o.kind}/${o.metadata.name} ${JSON.stringify(o.data ?? {})}`).sort(),
  };
}

/** Waits until Kluctl's controller finished the reconcile that `done` recognizes. */
async function kluctlSettled(done: (kd: KluctlDeployment) => boolean): Promise<void> {
  try {
    await eventually(
      async () => {
        const kd = await getKd(nsK);
        const busy = kd.status?.conditions?.some((c) => c.type === 'Reconciling');
        if (busy || !done(kd)) throw new Error(`not settled: ${JSON.stringify(kd.status ?? {})}`);
      },
      { timeoutMs: 120_000, intervalMs: 500 },
    );
  } catch (err) {
    if (controller) process.stderr.write(`kluctl controller log:\n${tailFile(controller.logFile, 60)}\n`);
    throw err;
  }
}

const generationObserved = (kd: KluctlDeployment) =>
  kd.status?.observedGeneration === kd.metadata.generation &&
  readyCondition(kd)?.observedGeneration === kd.metadata.generation;

async function approve(ns: string, hashName: string): Promise<void> {
  await patchKluctlDeploymentSpec(ns, NAME, { manualObjectsHash: hashes.get(ns)?.get(hashName) });
}

/** Asks both sides for a reconcile through Kluctl's `kluctl.io/request-reconcile` annotation. */
async function requestReconcile(ns: string, value: string): Promise<void> {
  const request = JSON.stringify({ requestValue: value });
  const r = await kubectlTest([
    'annotate',
    '--overwrite',
    'kluctldeployment',
    NAME,
    '-n',
    ns,
    `kluctl.io/request-reconcile=${request}`,
  ]);
  expect(r.code).toBe(0);
}

const requestDone = (value: string) => (kd: KluctlDeployment) =>
  kd.status?.reconcileRequestResult?.request.requestValue === value &&
  kd.status.reconcileRequestResult.endTime !== undefined &&
  readyCondition(kd)?.status !== 'Unknown';

/** Observes both sides and checks they agree; returns our side for step-specific assertions. */
async function compare() {
  const [k, o] = await Promise.all([observe(nsK), observe(nsO)]);
  const strip = (x: typeof k) => ({ ...x, objects: x.objects.map((s) => s.replace(/-[0-9a-f]{8}"/g, '"')) });
  expect(strip(o)).toEqual(strip(k));
  return o;
}

test(
  'create with manual: true deploys nothing and shows the hash to approve',
  async () => {
    await Promise.all([renderAs(nsK, 'H1'), renderAs(nsO, 'H1')]);
    await ours.tick();
    await kluctlSettled(generationObserved);
    const o = await compare();
    expect(o.lastObjectsHash).toBe('H1');
    expect(o.lastDeployResult).toBeUndefined();
    expect(o.objects).toEqual([]);
  },
  STEP_MS,
);

test(
  'setting manualObjectsHash to the shown hash deploys (TestGitOpsManualDeployment)',
  async () => {
    await Promise.all([approve(nsK, 'H1'), approve(nsO, 'H1')]);
    await ours.tick();
    await kluctlSettled(generationObserved);
    const o = await compare();
    expect(o.lastManualObjectsHash).toBe('H1');
    expect(o.ready?.status).toBe('True');
    expect(o.objects).toHaveLength(3);
  },
  STEP_MS,
);

test(
  'a new commit is not deployed, not even on a reconcile request, until approved',
  async () => {
    await repo.commit(
      {
        'config/configmap.yaml': PROJECT['config/configmap.yaml']!.replace('color: blue', 'color: green'),
        'services/svc-b.yaml': null,
      },
      'green, no svc-b',
    );
    await Promise.all([renderAs(nsK, 'H2'), renderAs(nsO, 'H2')]);
    await Promise.all([requestReconcile(nsK, 'r-1'), requestReconcile(nsO, 'r-1')]);
    await ours.tick();
    await kluctlSettled(requestDone('r-1'));
    const o = await compare();
    expect(o.lastObjectsHash).toBe('H2');
    expect(o.lastManualObjectsHash).toBe('H1');
    expect(o.objects.join('\n')).toContain('"color":"blue"');
    expect(o.objects.some((s) => s.startsWith('Service/svc-b'))).toBe(true);

    await Promise.all([approve(nsK, 'H2'), approve(nsO, 'H2')]);
    await ours.tick();
    await kluctlSettled(generationObserved);
    const approved = await compare();
    expect(approved.objects.join('\n')).toContain('"color":"green"');
    expect(approved.objects.some((s) => s.startsWith('Service/svc-b'))).toBe(false);
  },
  STEP_MS,
);

test(
  "Kluctl's own KluctlDeployment, moved to our runner with empty state, stays unapproved",
  async () => {
    await repo.commit(
      { 'config/configmap.yaml': PROJECT['config/configmap.yaml']!.replace('color: blue', 'color: red') },
      'red',
    );
    await Promise.all([renderAs(nsK, 'H3'), renderAs(nsO, 'H3')]);
    await Promise.all([requestReconcile(nsK, 'r-2'), requestReconcile(nsO, 'r-2')]);
    await ours.tick();
    await kluctlSettled(requestDone('r-2'));
    const waiting = await compare();
    expect(waiting.lastObjectsHash).toBe('H3');

    // Kluctl's controller goes away; our runner takes over its KluctlDeployment knowing nothing of it.
    await controller!.stop();
    controller = undefined;
    const before = await observe(nsK);
    const seen: boolean[] = [];
    // A fresh runner each time (it reconciles what it sees first), sharing one new state folder.
    const migratedTick = async () => {
      const runner = new LocalRunner(runnerDeps(join(tmp, 'state-migrated')), {
        namespace: nsK,
        onReconciled: (_key, outcome) => seen.push(outcome.deployed),
      });
      await runner.tick();
      await runner.stop();
    };
    await migratedTick();
    expect(seen).toEqual([false]);
    const after = await observe(nsK);
    expect(after.objects).toEqual(before.objects);
    expect(after.ready).toEqual(before.ready);
    expect(after.lastObjectsHash).toBe('H3');

    await approve(nsK, 'H3');
    await migratedTick();
    expect(seen).toEqual([false, true]);
    expect((await observe(nsK)).objects.join('\n')).toContain('"color":"red"');
  },
  STEP_MS,
);
