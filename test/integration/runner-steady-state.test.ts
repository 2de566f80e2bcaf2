/**
 * The local runner's steady state (ADR 0014) against the real API server: with the runner's object
 * caches (lib/adapters/object-caches.ts), a reconcile that finds nothing changed, with validate and
 * drift detection due as on every interval, makes only the requests Kluctl's observable contract needs
 * (counted at the client's transport, where every request of the runner's identity passes), while
 * drift and orphan detection still see what changed out of band: an object deleted, a discriminator
 * label removed, an orphan with the discriminator created.
 */
import type { ObjectCaches } from '../../lib/adapters/object-caches.js';
import { silentLogger } from '../../lib/ports.js';
import type { RequestStats } from '../../lib/adapters/kube-http-transport.js';
import { HttpKubeWatcher } from '../../lib/adapters/http-kube-watcher.js';
import { reconcileDeployment } from '../../lib/reconcile/reconcile.js';
import { LocalRunner } from '../../lib/runner/local-runner.js';
import { DeploymentInformer } from '../../lib/shim/deployment-informer.js';
import type { ReconcileDeps } from '../../lib/reconcile/reconcile.js';
import {
  getKluctlDeployment,
  kluctlDeploymentRef,
  patchKluctlDeploymentSpec,
  readyCondition,
} from '../support/kluctl-deployment.js';
import { startCachedScenario, type CachedScenario } from '../support/reconcile-scenario.js';
import { kubectlApply } from '../support/identity-scenario.js';
import { eventually, kubectlTest } from '../support/test-env.js';
import { CONFIGMAPS } from '../support/resources.js';

let s: CachedScenario;
let caches: ObjectCaches;
let deps: ReconcileDeps;
let ns: string;

beforeAll(async () => {
  s = await startCachedScenario('steady');
  ({ ns, caches, deps } = s);
});

afterAll(async () => {
  await s?.stop();
});

const reconcile = () => reconcileDeployment(deps, { namespace: ns, name: 'app' });
const snapshot = (st: RequestStats) => ({ total: st.total, byVerb: { ...st.byVerb } });
const kubectl = async (args: string[]) => {
  const r = await kubectlTest(args);
  if (r.code !== 0) throw new Error(r.stderr);
};

test('a reconcile with nothing changed makes 4 API requests, none of them a read', async () => {
  expect(await reconcile()).toMatchObject({ outcome: 'succeeded', deployed: true });
  // The first run started the watches; from now on the caches answer. Two validate results exist after
  // the next run, so the counted one also deletes the oldest (Kluctl keeps 2).
  const second = () => new Promise((r) => setTimeout(r, 1100));
  await second();
  await reconcile();
  await second();

  const before = snapshot(s.kube.stats);
  const outcome = await reconcile();
  const after = snapshot(s.kube.stats);

  expect(outcome).toMatchObject({ outcome: 'succeeded', deployed: false });
  const byVerb = Object.fromEntries(
    Object.entries(after.byVerb)
      .map(([verb, n]) => [verb, n - (before.byVerb[verb] ?? 0)] as const)
      .filter(([, n]) => n > 0),
  );
  // One status PATCH; the end event (POST); the validate result (an apply, a PATCH) and the deletion of
  // the oldest one beyond retention (DELETE). The deployment is read from the watched copy. Without
  // the caches the same run lists every resource type by discriminator (about 55 LISTs) and reads the
  // deployment and each of its objects once more.
  expect({ total: after.total - before.total, byVerb }).toEqual({
    total: 4,
    byVerb: { PATCH: 2, POST: 1, DELETE: 1 },
  });
  const kd = await getKluctlDeployment(ns, 'app');
  expect(readyCondition(kd)).toMatchObject({ status: 'True', reason: 'ReconciliationSucceeded' });
  expect(kd.status?.lastDriftDetectionResultMessage).toBe('no drift');
  expect(kd.status?.lastValidateResult?.ready).toBe(true);
  expect(kd.status?.conditions?.some((c) => c.type === 'Reconciling')).toBe(false);
});

test('drift and orphans made out of band are found through the cache on the next reconcile', async () => {
  const discriminator = `e2e-dev-${ns}`;
  await kubectl(['delete', 'configmap', 'app-config', '-n', ns]);
  await kubectl(['label', 'service', 'svc-a', '-n', ns, 'kluctl.io/discriminator-']);
  // An orphan as Kluctl would have left it: its field manager and the discriminator.
  await kubectlApply(
    [
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'stray', namespace: ns, labels: { 'kluctl.io/discriminator': discriminator } },
      },
    ],
    ['--server-side', '--field-manager=kluctl'],
  );
  // The watches report within moments; the next reconcile must see all three changes.
  const selector = `kluctl.io/discriminator=${discriminator}`;
  await eventually(async () => {
    const listed = await caches.kube.list(CONFIGMAPS, { labelSelector: selector });
    expect(listed.map((o) => o.metadata.name).sort()).toEqual(['stray']);
  });

  await reconcile();

  const kd = await getKluctlDeployment(ns, 'app');
  const drifted = (kd.status?.lastDriftDetectionResult?.objects ?? []).map((o) => ({
    name: o.ref.name,
    new: o.new ?? false,
    orphan: o.orphan ?? false,
    changed: (o.changes?.length ?? 0) > 0,
  }));
  expect(drifted.sort((a, b) => a.name.localeCompare(b.name))).toEqual([
    { name: 'app-config', new: true, orphan: false, changed: false },
    { name: 'stray', new: false, orphan: true, changed: false },
    { name: 'svc-a', new: false, orphan: false, changed: true },
  ]);
  expect(kd.status?.lastDriftDetectionResultMessage).toBe('1 new/1 chg/1 orp');
});

test('the deployment is read from the copy only when it is as new as the runner saw it', async () => {
  const ref = kluctlDeploymentRef(ns, 'app');
  const gets = () => s.kube.stats.byVerb.GET ?? 0;
  const before = gets();
  const cached = await caches.kube.get(ref);
  expect(gets()).toBe(before);
  // The runner saw a newer version than the copy holds (its watch was faster): the API server answers.
  const newer = String(BigInt(cached!.metadata.resourceVersion!) + 1000n);
  const read = await caches.kube.get(ref, { minResourceVersion: newer });
  expect(gets()).toBe(before + 1);
  expect(read?.metadata.name).toBe('app');
});

test('the runner with the caches reconciles a spec change at once, reading the deployment from the copy', async () => {
  const outcomes: string[] = [];
  const runner = new LocalRunner(deps, {
    namespace: ns,
    tickMs: 60_000,
    watch: (onChange) =>
      new DeploymentInformer({
        watcher: new HttpKubeWatcher(s.kube),
        namespace: ns,
        onChange,
        logger: silentLogger,
      }),
    onReconciled: (_key, o) => outcomes.push(o.outcome),
  });
  runner.start();
  try {
    await eventually(async () => expect(outcomes.length).toBeGreaterThan(0), { timeoutMs: 60_000 });
    await patchKluctlDeploymentSpec(ns, 'app', { validateInterval: '2s' });
    const generation = (await getKluctlDeployment(ns, 'app')).metadata.generation;
    await eventually(
      async () => {
        const kd = await getKluctlDeployment(ns, 'app');
        expect(kd.status?.observedGeneration).toBe(generation);
        expect(kd.status?.conditions?.some((c) => c.type === 'Reconciling')).toBe(false);
      },
      { timeoutMs: 60_000 },
    );
  } finally {
    await runner.stop();
  }
});
