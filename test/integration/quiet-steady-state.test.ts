/**
 * `run --quiet-steady-state` (lib/reconcile/run-report.ts, project-steps.ts) against the real API
 * server, with the runner's object caches: a scheduled reconcile that changes nothing writes the status
 * and nothing else (Kluctl also stores a validate result and records an event every interval), while
 * anything that changes (new validate findings, drift, a reconcile request) is still stored and
 * reported as Kluctl does it.
 */
import type { RequestStats } from '../../lib/adapters/kube-http-transport.js';
import type { KubeObject } from '../../lib/ports.js';
import { reconcileDeployment } from '../../lib/reconcile/reconcile.js';
import { LABEL_VALIDATE_RESULT_ID } from '../../lib/results/kluctl-result-format.js';
import { KLUCTL_RESULTS_NAMESPACE } from '../../lib/results/kluctl-result-store.js';
import { getKluctlDeployment, readyCondition } from '../support/kluctl-deployment.js';
import { startCachedScenario, type CachedScenario } from '../support/reconcile-scenario.js';
import { kubectlJson, kubectlTest } from '../support/test-env.js';

let s: CachedScenario;
let ns: string;

beforeAll(async () => {
  s = await startCachedScenario('quiet', { quietSteadyState: true });
  ns = s.ns;
});

afterAll(async () => {
  await s?.stop();
});

const reconcile = () => reconcileDeployment(s.deps, { namespace: ns, name: 'app' });
const validateDue = () => new Promise((r) => setTimeout(r, 1100));
const kubectl = async (args: string[]) => {
  const r = await kubectlTest(args);
  if (r.code !== 0) throw new Error(r.stderr);
};

/** The requests `run` made, by verb (counted at the client's transport). */
async function requestsOf(run: () => Promise<unknown>): Promise<Record<string, number>> {
  const st: RequestStats = s.kube.stats;
  const before = { ...st.byVerb };
  await run();
  return Object.fromEntries(
    Object.entries(st.byVerb)
      .map(([verb, n]) => [verb, n - (before[verb] ?? 0)] as const)
      .filter(([, n]) => n > 0),
  );
}

/** How many end events the deployment has: repeats raise one event's count. */
async function endEvents(): Promise<number> {
  const list = await kubectlJson<{
    items: (KubeObject & { involvedObject: { name: string }; message: string; count?: number })[];
  }>(['get', 'events', '-n', ns]);
  return list.items
    .filter((e) => e.involvedObject.name === 'app' && e.message.startsWith('Reconciliation finished'))
    .reduce((n, e) => n + (e.count ?? 1), 0);
}

/** The ids of the stored validate results of this test's deployment (others' tests write theirs too). */
async function storedValidateIds(): Promise<string[]> {
  const list = await kubectlJson<{ items: KubeObject[] }>([
    'get',
    'secrets',
    '-n',
    KLUCTL_RESULTS_NAMESPACE,
    '-l',
    LABEL_VALIDATE_RESULT_ID,
  ]);
  const ids = new Set<string>();
  for (const secret of list.items) {
    const a = secret.metadata.annotations ?? {};
    if (a['kluctl.io/result-deployment-namespace'] !== ns || a['kluctl.io/result-deployment-name'] !== 'app')
      continue;
    const id = secret.metadata.labels?.[LABEL_VALIDATE_RESULT_ID];
    if (id) ids.add(id);
  }
  return [...ids].sort();
}

test('a reconcile that changes nothing writes only the status', async () => {
  expect(await reconcile()).toMatchObject({ outcome: 'succeeded', deployed: true });
  await validateDue();
  const first = await getKluctlDeployment(ns, 'app');
  const storedBefore = await storedValidateIds();
  const eventsBefore = await endEvents();

  const byVerb = await requestsOf(reconcile);

  // Kluctl's controller (and `run` without the flag, runner-steady-state.test.ts) would also apply a
  // validate result, delete the oldest beyond retention and record an end event.
  expect(byVerb).toEqual({ PATCH: 1 });
  const kd = await getKluctlDeployment(ns, 'app');
  expect(readyCondition(kd)).toMatchObject({ status: 'True', reason: 'ReconciliationSucceeded' });
  expect(kd.status?.lastDriftDetectionResultMessage).toBe('no drift');
  // The status shows this validate's times under the id of the stored result with the same findings.
  const shown = kd.status?.lastValidateResult;
  expect(shown?.id).toBe(first.status?.lastValidateResult?.id);
  expect(storedBefore).toContain(shown?.id);
  expect(Date.parse(shown!.endTime)).toBeGreaterThan(Date.parse(first.status!.lastValidateResult!.endTime));
  expect(kd.status?.lastDriftDetectionResult?.id).not.toBe(first.status?.lastDriftDetectionResult?.id);
  expect(await storedValidateIds()).toEqual(storedBefore);
  expect(await endEvents()).toBe(eventsBefore);
});

test('new validate findings are stored and reported', async () => {
  const before = await getKluctlDeployment(ns, 'app');
  const eventsBefore = await endEvents();
  // Kluctl turns a validate-result.kluctl.io/ annotation on a live object into a validate result entry.
  await kubectl(['annotate', 'configmap', 'app-config', '-n', ns, 'validate-result.kluctl.io/owner=team-a']);
  await validateDue();

  await reconcile();

  const kd = await getKluctlDeployment(ns, 'app');
  const result = kd.status?.lastValidateResult;
  expect(result?.results?.map((r) => r.message)).toEqual(['team-a']);
  expect(result?.id).not.toBe(before.status?.lastValidateResult?.id);
  expect(await storedValidateIds()).toContain(result?.id);
  expect(await endEvents()).toBeGreaterThan(eventsBefore);

  // The same findings once more: quiet again, pointing at the result just stored.
  await validateDue();
  const eventsAfter = await endEvents();
  expect(await requestsOf(reconcile)).toEqual({ PATCH: 1 });
  expect((await getKluctlDeployment(ns, 'app')).status?.lastValidateResult?.id).toBe(result?.id);
  expect(await endEvents()).toBe(eventsAfter);
});

test('a reconcile request is reported in full even when nothing changed', async () => {
  await validateDue();
  expect(await requestsOf(reconcile)).toEqual({ PATCH: 1 });

  const storedBefore = await storedValidateIds();
  const eventsBefore = await endEvents();
  await kubectl([
    'annotate',
    'kluctldeployment',
    'app',
    '-n',
    ns,
    `kluctl.io/request-reconcile={"requestValue":"${new Date().toISOString()}"}`,
  ]);
  await validateDue();

  await reconcile();

  const kd = await getKluctlDeployment(ns, 'app');
  expect(kd.status?.reconcileRequestResult?.endTime).toBeDefined();
  expect(await storedValidateIds()).toContain(kd.status?.lastValidateResult?.id);
  expect(await storedValidateIds()).not.toEqual(storedBefore);
  expect(await endEvents()).toBeGreaterThan(eventsBefore);
});

test('drift found out of band records the end event', async () => {
  const eventsBefore = await endEvents();
  // A field the deployment owns: drift detection sees it changed.
  await kubectl(['label', 'service', 'svc-a', '-n', ns, 'kluctl.io/discriminator-']);
  await validateDue();

  await reconcile();

  const kd = await getKluctlDeployment(ns, 'app');
  expect(kd.status?.lastDriftDetectionResultMessage).not.toBe('no drift');
  expect(await endEvents()).toBeGreaterThan(eventsBefore);
});
