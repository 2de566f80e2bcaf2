/**
 * Objects hash parity with Kluctl's controller: for every comparable project and target (Kluctl's
 * examples and our fixtures), the same KluctlDeployment (source on the test Git server, `context:
 * default`) is reconciled by the real `kluctl controller run` and prepared by our reconciler's own
 * prepare step (clone + render). Kluctl's `status.lastObjectsHash` must equal our objects hash for the
 * same commit, so that a KluctlDeployment moved from Kluctl's controller to ours does not redeploy.
 * The deployments are `manual: true` and the controller runs with `--dry-run`: nothing is deployed.
 */
import { mkdtemp } from 'node:fs/promises';
import { join } from 'node:path';
import { HttpKubeClient } from '../../lib/adapters/http-kube-client.js';
import { IsomorphicGitSource } from '../../lib/adapters/isomorphic-git-source.js';
import { prepareProject } from '../../lib/reconcile/prepare.js';
import { git } from '../../devenv/git-repo.js';
import { startGitServer } from '../../devenv/git-server.js';
import type { GitServer } from '../../devenv/git-server.js';
import type { ManagedProcess } from '../../devenv/processes.js';
import { createTestNamespace, installCrds, testEnv } from '../support/test-env.js';
import {
  applyDeployments,
  parityDeployment,
  startKluctlController,
  waitForOutcome,
} from './kluctl-controller.js';
import type { ParityDeployment } from './kluctl-controller.js';
import { kubeYamlReader } from './kube-yaml.js';
import { discoverCases } from './projects.js';
import type { ParityCase } from './projects.js';
import { ourRender } from './render-both.js';
import { explainHashMismatch } from './report.js';
import { prepareWorkspace } from './workspace.js';

const ws = await prepareWorkspace();
const cases = [ws.examples, ...ws.fixtures].flatMap((r) => discoverCases(r).cases);

let server: GitServer;
let controller: ManagedProcess | undefined;
let kube: HttpKubeClient;
let namespace: string;
let deployments: Map<string, ParityDeployment>;
let workDir: string;

/** A DNS-label name per case, unique by its index. */
const deploymentName = (c: ParityCase, i: number): string =>
  `p${i}-${c.id.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`.slice(0, 63).replace(/-+$/, '');

beforeAll(async () => {
  await installCrds();
  await kubeYamlReader();
  server = await startGitServer();
  for (const repo of [ws.examples, ...ws.fixtures]) {
    await git(server.root, ['init', '--quiet', '--bare', '--initial-branch=main', `${repo.name}.git`]);
    await git(repo.dir, ['remote', 'set-url', 'origin', server.url(repo.name)]);
    await git(repo.dir, ['push', '--quiet', 'origin', 'main']);
  }
  namespace = await createTestNamespace('parity-hash');
  deployments = new Map(
    cases.map((c, i) => [
      c.id,
      parityDeployment(c, deploymentName(c, i), namespace, server.url(c.repo.name)),
    ]),
  );
  await applyDeployments([...deployments.values()]);
  controller = await startKluctlController(namespace);
  kube = await HttpKubeClient.fromKubeconfig({
    kubeconfigPath: testEnv().kubeconfigPath,
    context: 'default',
  });
  workDir = await mkdtemp(join(testEnv().runDir, 'parity-prepare-'));
}, 300_000);

afterAll(async () => {
  await controller?.stop();
  kube?.close();
  await server?.stop();
  await ws.dispose();
});

describe("Kluctl controller's status.lastObjectsHash", () => {
  it.each(cases.map((c) => [c.id, c] as const))(
    '%s: equals the objects hash our reconciler computes for the same commit',
    async (_id, c) => {
      const kd = deployments.get(c.id)!;
      const prepared = await prepareProject({ git: new IsomorphicGitSource(), kube, workDir }, kd);
      await prepared.cleanup();
      // Kluctl's controller reconciles all deployments (4 at a time) meanwhile.
      const kluctl = await waitForOutcome(controller!, namespace, kd.name, 540_000);
      expect(kluctl.lastPrepareError ?? '').toBe('');
      const ours = await ourRender(prepared.rendered.objects, prepared.rendered.objectsHash, c.id);
      // When they differ, explain it field by field against `kluctl render` on the same cluster.
      const m = { kind: 'cluster', kubeconfig: testEnv().kubeconfigPath, context: 'default' } as const;
      const explanation =
        kluctl.lastObjectsHash === ours.objectsHash
          ? ''
          : await explainHashMismatch(
              c,
              m,
              await mkdtemp(join(workDir, 'kluctl-')),
              ours,
              kluctl.lastObjectsHash!,
            );
      expect(explanation).toBe('');
    },
    600_000,
  );
});
