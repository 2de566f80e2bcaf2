/**
 * `spec.timeout` side by side with the real Kluctl v2.28.2 controller: a deployment whose rollout never
 * completes (stuck-rollout fixture, `waitReadiness: true`) with `timeout: 30s`. Kluctl's controller
 * runs the reconcile under a context with that timeout (calcTimeout), so the readiness wait, which on
 * its own would last 10 minutes, ends at 30 s; ours cancels its command the same way. Compared: how
 * long ours took, the Ready reason, the errors of the deploy result and what landed in the
 * cluster. Ours words the Ready message differently on purpose (it names the timeout).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FsStateStore } from '../../lib/adapters/fs-state-store.js';
import { HttpKubeClient } from '../../lib/adapters/http-kube-client.js';
import { IsomorphicGitSource } from '../../lib/adapters/isomorphic-git-source.js';
import type { KluctlDeployment } from '../../lib/api/types.js';
import { silentLogger, systemClock } from '../../lib/ports.js';
import { reconcileDeployment } from '../../lib/reconcile/reconcile.js';
import { toolPath } from '../../devenv/tools.js';
import { fixtureFiles } from '../support/fixtures.js';
import { createRepo } from '../../devenv/git-repo.js';
import type { TestRepo } from '../../devenv/git-repo.js';
import { startGitServer } from '../../devenv/git-server.js';
import type { GitServer } from '../../devenv/git-server.js';
import type { ManagedProcess } from '../../devenv/processes.js';
import { applyKluctlDeployment } from '../support/kluctl-deployment.js';
import { createTestNamespace, installCrds, kubectlJson, testEnv } from '../support/test-env.js';
import { startKluctlController, waitReconciled } from './kluctl-controller.js';

const STEP_MS = 240_000;
const NAME = 'timeout';
let server: GitServer;
let repo: TestRepo;
let kube: HttpKubeClient;
let controller: ManagedProcess | undefined;
let tmp: string;

beforeAll(async () => {
  await installCrds();
  server = await startGitServer();
  repo = await createRepo(server, 'timeout', await fixtureFiles('stuck-rollout'));
  kube = await HttpKubeClient.fromKubeconfig({ kubeconfigPath: testEnv().kubeconfigPath });
  tmp = await mkdtemp(join(tmpdir(), 'ks-parity-timeout-'));
}, STEP_MS);

afterAll(async () => {
  await controller?.stop();
  kube?.close();
  await server?.stop();
  await repo?.cleanup();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

const spec = (ns: string) => ({
  interval: '10m',
  timeout: '30s',
  source: { git: { url: repo.url } },
  target: 'test',
  args: { namespace: ns },
});

/** What a user sees after the reconcile, with the namespace replaced so both sides compare. */
async function observe(ns: string) {
  const kd = await kubectlJson<KluctlDeployment>(['get', 'kluctldeployment', NAME, '-n', ns]);
  const ready = kd.status?.conditions?.find((c) => c.type === 'Ready');
  const deploy = kd.status?.lastDeployResult;
  const cms = await kubectlJson<{ items: { metadata: { name: string } }[] }>(['get', 'configmaps', '-n', ns]);
  return {
    ready: { status: ready?.status, reason: ready?.reason, message: ready?.message.replaceAll(ns, 'NS') },
    deployErrors: (deploy?.errors ?? []).map((e) => e.message.replaceAll(ns, 'NS')).sort(),
    configMaps: cms.items.map((c) => c.metadata.name).sort(),
  };
}

test(
  'spec.timeout cancels the readiness wait as Kluctl does',
  async () => {
    const nsK = await createTestNamespace('timeout-kluctl');
    const nsO = await createTestNamespace('timeout-ours');
    controller = await startKluctlController(nsK, { dryRun: false });
    await applyKluctlDeployment(nsK, NAME, spec(nsK));
    await applyKluctlDeployment(nsO, NAME, spec(nsO));
    const t0 = Date.now();
    const [, outcome] = await Promise.all([
      waitReconciled(controller, { namespace: nsK, name: NAME }, 1, STEP_MS),
      reconcileDeployment(
        {
          kube,
          store: new FsStateStore(join(tmp, 'state')),
          git: new IsomorphicGitSource(),
          clock: systemClock,
          logger: silentLogger,
          workDir: tmp,
          kustomizePath: toolPath('kustomize'),
          holder: 'parity-timeout',
        },
        { namespace: nsO, name: NAME },
      ),
    ]);
    // Ours stopped at 30 s (not the 10 minutes of the readiness wait), saying why.
    expect(outcome.stopped).toEqual({ step: 'deploy', by: 'timeout' });
    expect(Date.now() - t0).toBeLessThan(60_000);
    const kluctl = await observe(nsK);
    const ours = await observe(nsO);
    expect(ours.ready.status).toBe(kluctl.ready.status);
    expect(ours.ready.reason).toBe(kluctl.ready.reason);
    // Measured with v2.28.2: "deploy failed with 3 errors. 2 new objects. validate failed with 1 errors.",
    // its validate running on the cancelled context. Ours skips validate and names the timeout.
    expect(kluctl.ready.message).toMatch(/^deploy failed with \d+ errors\. 2 new objects\./);
    expect(ours.ready.message).toBe(
      'deploy stopped: reached the timeout of 30s (spec.timeout). deploy failed with 2 errors. 2 new objects.',
    );
    // The wait ends with Kluctl's own words; Kluctl adds the calls its cancelled context failed
    // ("failed listing api resources: context deadline exceeded", ...), ours the reason it stopped.
    const cancelled = 'context cancelled while waiting for readiness of NS/Deployment/web';
    expect(kluctl.deployErrors).toContain(cancelled);
    expect(ours.deployErrors).toEqual([cancelled, 'reached the timeout of 30s (spec.timeout)']);
    // Nothing after the barrier was applied on either side.
    expect(ours.configMaps).toEqual(kluctl.configMaps);
    expect(ours.configMaps).toEqual(['keep', 'kube-root-ca.crt']);
  },
  STEP_MS,
);
