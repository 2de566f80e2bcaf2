/**
 * The status writer's progress patches against the real API server (lib/reconcile/status-writer.ts,
 * ADR 0014): progress of a deployment that has Ready waits for the progress delay and is folded into
 * the final write when the step ends sooner; a step that lasts longer shows it (Reconciling names the
 * step, as Kluctl's controller shows it); a deployment without Ready shows Initializing at once.
 */
import { HttpKubeClient } from '../../lib/adapters/http-kube-client.js';
import type { KluctlDeployment } from '../../lib/api/types.js';
import { systemClock } from '../../lib/ports.js';
import { StatusWriter } from '../../lib/reconcile/status-writer.js';
import {
  applyKluctlDeployment,
  getKluctlDeployment,
  kluctlDeploymentRef,
  readyCondition,
} from '../support/kluctl-deployment.js';
import { createTestNamespace, eventually, installCrds, testEnv } from '../support/test-env.js';

let kube: HttpKubeClient;
let ns: string;

beforeAll(async () => {
  await installCrds();
  ns = await createTestNamespace('status-writer');
  kube = await HttpKubeClient.fromKubeconfig({ kubeconfigPath: testEnv().kubeconfigPath });
});

afterAll(() => kube?.close());

const spec = { interval: '10m', source: { git: { url: 'https://example.com/repo.git' } } };
const reconciling = (kd: KluctlDeployment) => kd.status?.conditions?.find((c) => c.type === 'Reconciling');

/** A deployment whose status already has Ready (False here: it never deployed), as after a reconcile. */
async function readyDeployment(name: string): Promise<KluctlDeployment> {
  await applyKluctlDeployment(ns, name, spec);
  const first = new StatusWriter(
    kube,
    kluctlDeploymentRef(ns, name),
    await getKluctlDeployment(ns, name),
    systemClock,
  );
  first.finish(false);
  await first.flush();
  return getKluctlDeployment(ns, name);
}

test('progress of a short step is folded into the one final write', async () => {
  const kd = await readyDeployment('short');
  const patches: unknown[] = [];
  const counting = new Proxy(kube, {
    get: (t, p, r) =>
      p === 'mergePatch'
        ? (...a: Parameters<HttpKubeClient['mergePatch']>) => (patches.push(a[1]), t.mergePatch(...a))
        : (Reflect.get(t, p, r) as unknown),
  });
  const w = new StatusWriter(counting, kluctlDeploymentRef(ns, 'short'), kd, systemClock, {
    progressDelayMs: 2000,
  });
  await w.initializing();
  await w.progressing('Performing kluctl validate');
  w.defer({ lastPrepareError: null });
  w.finish(false);
  await w.flush();
  expect(patches).toHaveLength(1);
  const after = await getKluctlDeployment(ns, 'short');
  expect(reconciling(after)).toBeUndefined();
  expect(readyCondition(after)?.status).toBe(readyCondition(kd)?.status);
});

test('a step that lasts longer than the delay shows its progress until the final write', async () => {
  const kd = await readyDeployment('long');
  const w = new StatusWriter(kube, kluctlDeploymentRef(ns, 'long'), kd, systemClock, {
    progressDelayMs: 100,
  });
  await w.progressing('Performing drift detection');
  await eventually(async () => {
    const now = await getKluctlDeployment(ns, 'long');
    expect(reconciling(now)?.message).toBe('Performing drift detection');
    expect(readyCondition(now)).toMatchObject({ status: 'Unknown', reason: 'Progressing' });
  });
  w.finish(false);
  await w.flush();
  expect(reconciling(await getKluctlDeployment(ns, 'long'))).toBeUndefined();
});

test('a deployment without Ready shows Initializing at once', async () => {
  await applyKluctlDeployment(ns, 'fresh', spec);
  const kd = await getKluctlDeployment(ns, 'fresh');
  const w = new StatusWriter(kube, kluctlDeploymentRef(ns, 'fresh'), kd, systemClock, {
    progressDelayMs: 60_000,
  });
  await w.initializing();
  const now = await getKluctlDeployment(ns, 'fresh');
  expect(reconciling(now)?.message).toBe('Initializing');
  expect(readyCondition(now)).toMatchObject({ status: 'Unknown' });
});
