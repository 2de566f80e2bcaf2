/**
 * `spec.sourceOverrides` side by side with the real Kluctl v2.28.2 controller: an override whose URL
 * is not a `grpc+source-override://` proxy URL fails the prepare step in Kluctl's controller with
 * `unsupported source override url scheme: <scheme>`. Ours fails the same step with the same reason and
 * that text, prefixed with the field it comes from (spec-source-overrides.ts).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HttpKubeClient } from '../../lib/adapters/http-kube-client.js';
import type { KluctlDeployment } from '../../lib/api/types.js';
import { createRepo } from '../../devenv/git-repo.js';
import type { TestRepo } from '../../devenv/git-repo.js';
import { startGitServer } from '../../devenv/git-server.js';
import type { GitServer } from '../../devenv/git-server.js';
import type { ManagedProcess } from '../../devenv/processes.js';
import { fixtureFiles } from '../support/fixtures.js';
import { applyKluctlDeployment } from '../support/kluctl-deployment.js';
import { applyAndReconcile, testReconcileDeps } from '../support/reconcile-scenario.js';
import { createTestNamespace, installCrds, kubectlJson, testEnv } from '../support/test-env.js';
import { startKluctlController, waitForOutcome } from './kluctl-controller.js';

let server: GitServer;
let repo: TestRepo;
let kube: HttpKubeClient;
let controller: ManagedProcess | undefined;
let tmp: string;
let nsK: string;
let nsO: string;

beforeAll(async () => {
  await installCrds();
  server = await startGitServer();
  repo = await createRepo(server, 'srcov', await fixtureFiles('skeleton'));
  kube = await HttpKubeClient.fromKubeconfig({ kubeconfigPath: testEnv().kubeconfigPath });
  tmp = await mkdtemp(join(tmpdir(), 'ks-parity-srcov-'));
  nsK = await createTestNamespace('srcov-kluctl');
  nsO = await createTestNamespace('srcov-ours');
  controller = await startKluctlController(nsK, { dryRun: true });
}, 240_000);

afterAll(async () => {
  await controller?.stop();
  kube?.close();
  await server?.stop();
  await repo?.cleanup();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

const spec = (ns: string, url: string) => ({
  interval: '10m',
  source: { git: { url: repo.url } },
  target: 'test',
  args: { namespace: ns },
  sourceOverrides: [{ repoKey: `${new URL(repo.url).host}/srcov`, url }],
});

test.each([
  ['file', 'file:///tmp/override'],
  ['https', 'https://example.com/override.git'],
])(
  'an override URL with scheme %s fails the prepare step in both',
  async (name, url) => {
    await applyKluctlDeployment(nsK, name, spec(nsK, url));
    const theirs = await waitForOutcome(controller!, nsK, name, 180_000);
    const kdK = await kubectlJson<KluctlDeployment>(['get', 'kluctldeployment', name, '-n', nsK]);
    const message = `unsupported source override url scheme: ${name}`;
    expect(theirs.lastPrepareError).toBe(message);

    const deps = testReconcileDeps({ kube, workDir: tmp, holder: 'parity-source-overrides' });
    const ours = await applyAndReconcile(deps, nsO, name, spec(nsO, url));
    const ready = (kd: KluctlDeployment) => kd.status?.conditions?.find((c) => c.type === 'Ready');
    expect({ status: ready(ours)?.status, reason: ready(ours)?.reason }).toEqual({
      status: ready(kdK)?.status,
      reason: ready(kdK)?.reason,
    });
    expect(ours.status?.lastPrepareError).toContain(`spec.sourceOverrides[0].url: ${message} (`);
  },
  240_000,
);
