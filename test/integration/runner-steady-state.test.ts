/**
 * The local runner's steady state (ADR 0014) against the real API server: with the runner's object
 * caches (lib/adapters/object-caches.ts), a reconcile that finds nothing changed, with validate and
 * drift detection due as on every interval, makes only the requests Kluctl's observable contract needs
 * (counted at the client's transport, where every request of the runner's identity passes), while
 * drift and orphan detection still see what changed out of band: an object deleted, a discriminator
 * label removed, an orphan with the discriminator created.
 */
import { HttpKubeClientFactory } from '../../lib/adapters/kube-client-factory.js';
import { KubeSecretsResultStore } from '../../lib/adapters/kube-secrets-result-store.js';
import { startObjectCaches } from '../../lib/adapters/object-caches.js';
import type { ObjectCaches } from '../../lib/adapters/object-caches.js';
import { silentLogger } from '../../lib/ports.js';
import type { RequestStats } from '../../lib/adapters/kube-http-transport.js';
import { reconcileDeployment } from '../../lib/reconcile/reconcile.js';
import type { ReconcileDeps } from '../../lib/reconcile/reconcile.js';
import { applyKluctlDeployment, getKluctlDeployment, readyCondition } from '../support/kluctl-deployment.js';
import {
  startProjectScenario,
  testReconcileDeps,
  type ProjectScenario,
} from '../support/reconcile-scenario.js';
import { kubectlApply } from '../support/identity-scenario.js';
import { eventually, kubectlTest } from '../support/test-env.js';

let s: ProjectScenario;
let caches: ObjectCaches;
let deps: ReconcileDeps;
let ns: string;

beforeAll(async () => {
  s = await startProjectScenario({ name: 'steady' });
  ns = s.ns;
  caches = startObjectCaches({
    kube: s.kube,
    clusters: new HttpKubeClientFactory(s.kube),
    logger: silentLogger,
  });
  deps = testReconcileDeps({
    kube: caches.kube,
    clusters: caches.clusters,
    kluctlResults: new KubeSecretsResultStore(caches.kube),
    workDir: s.workDir,
    holder: 'steady-test',
  });
  // validateInterval 1s: validate is due on every reconcile below, as it is once per interval.
  await applyKluctlDeployment(ns, 'app', {
    interval: '10m',
    validateInterval: '1s',
    source: { git: { url: s.repo.url } },
    target: 'dev',
    args: { namespace: ns },
  });
});

afterAll(async () => {
  await caches?.stop();
  await s?.stop();
});

const reconcile = () => reconcileDeployment(deps, { namespace: ns, name: 'app' });
const snapshot = (st: RequestStats) => ({ total: st.total, byVerb: { ...st.byVerb } });
const kubectl = async (args: string[]) => {
  const r = await kubectlTest(args);
  if (r.code !== 0) throw new Error(r.stderr);
};

test('a reconcile with nothing changed makes 5 API requests, none of them a list', async () => {
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
  // GET of the deployment; one status PATCH; the end event (POST); the validate result (an apply, a
  // PATCH) and the deletion of the oldest one beyond retention (DELETE). Without the caches the same
  // run lists every resource type by discriminator (about 55 LISTs) and reads each object once more.
  expect({ total: after.total - before.total, byVerb }).toEqual({
    total: 5,
    byVerb: { GET: 1, PATCH: 2, POST: 1, DELETE: 1 },
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
  const cms = { group: '', version: 'v1', kind: 'ConfigMap', plural: 'configmaps', namespaced: true };
  const selector = `kluctl.io/discriminator=${discriminator}`;
  await eventually(async () => {
    const listed = await caches.kube.list(
      { ...cms, verbs: ['list', 'watch', 'delete'] },
      { labelSelector: selector },
    );
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
