/**
 * Issue 8 part 4, controller path: a KluctlDeployment whose `source.git.path` names a sub-folder of the
 * repository. The reference Kluctl controller (`kluctl controller run`, watching one namespace) deploys
 * it; our reconciler's prepare step renders the same spec. Both name item dirs from the repository root
 * (`kluctl.io/deployment-item-dir: proj/app`) and both let the project include `../shared`.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HttpKubeClient } from '../../lib/adapters/http-kube-client.js';
import { IsomorphicGitSource } from '../../lib/adapters/isomorphic-git-source.js';
import type { KluctlDeploymentSpec } from '../../lib/api/types.js';
import type { KubeObject } from '../../lib/ports.js';
import { prepareProject } from '../../lib/reconcile/prepare.js';
import { toolPath } from '../../devenv/tools.js';
import { createRepo } from '../../devenv/git-repo.js';
import { startGitServer } from '../../devenv/git-server.js';
import type { GitServer } from '../../devenv/git-server.js';
import { tailFile } from '../../devenv/processes.js';
import type { ManagedProcess } from '../../devenv/processes.js';
import { createTestNamespace, eventually, installCrds, kubectlJson, testEnv } from '../support/test-env.js';
import { applyKluctlDeployment } from '../support/kluctl-deployment.js';
import { startKluctlController } from './kluctl-controller.js';

const cm = (name: string): string =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n  namespace: "{{ args.namespace }}"\n`;
const PROJECT = {
  'proj/.kluctl.yaml': 'targets:\n  - name: t\n',
  'proj/deployment.yaml': 'deployments:\n  - path: app\n  - include: ../shared\n',
  'proj/app/cm.yaml': cm('app'),
  'shared/deployment.yaml': 'deployments:\n  - path: x\n',
  'shared/x/cm.yaml': cm('shared'),
};

let server: GitServer;
let controller: ManagedProcess | undefined;
const temp: string[] = [];

beforeAll(async () => {
  await installCrds();
  server = await startGitServer();
});

afterAll(async () => {
  await controller?.stop();
  await server?.stop();
  await Promise.all(temp.map((d) => rm(d, { recursive: true, force: true })));
});

const spec = (url: string, namespace: string): KluctlDeploymentSpec =>
  ({
    interval: '10m',
    timeout: '2m',
    source: { git: { url, path: 'proj' } },
    target: 't',
    args: { namespace },
  }) as KluctlDeploymentSpec;

const itemDirs = (objects: readonly KubeObject[]): Record<string, unknown> =>
  Object.fromEntries(
    objects.map((o) => [o.metadata.name, o.metadata.annotations?.['kluctl.io/deployment-item-dir']]),
  );

it('names item dirs from the repository root for source.path, with Kluctl controller and ours', async () => {
  const repo = await createRepo(server, 'parity-item-dir', PROJECT);
  const kluctlNs = await createTestNamespace('parity-kluctl');
  const oursNs = await createTestNamespace('parity-ours');
  const controllerNs = await createTestNamespace('parity-ctrl');

  // Kluctl's controller deploys the KluctlDeployment; the deployed ConfigMaps carry its annotations.
  controller = await startKluctlController(kluctlNs, { dryRun: false, controllerNamespace: controllerNs });
  await applyKluctlDeployment(kluctlNs, 'item-dir', { ...spec(repo.url, kluctlNs) });
  const deployed = await eventually(
    async () => {
      const list = await kubectlJson<{ items: KubeObject[] }>([
        'get',
        'configmaps',
        '-n',
        kluctlNs,
        '-l',
        'kluctl.io/tag-0',
      ]);
      if (list.items.length < 2)
        throw new Error(`not deployed yet; controller log:\n${tailFile(controller!.logFile)}`);
      return list.items;
    },
    { timeoutMs: 240_000, intervalMs: 2000 },
  );

  // Ours: the prepare step of the reconciler renders the same spec from the same repository.
  const kube = await HttpKubeClient.fromKubeconfig({ kubeconfigPath: testEnv().kubeconfigPath });
  const workDir = await mkdtemp(join(tmpdir(), 'ks-parity-prepare-'));
  temp.push(workDir);
  const prepared = await prepareProject(
    { git: new IsomorphicGitSource(), kube, workDir, kustomizePath: toolPath('kustomize') },
    { name: 'item-dir', namespace: oursNs, spec: spec(repo.url, oursNs) },
  );
  try {
    expect(itemDirs(prepared.rendered.objects)).toEqual(itemDirs(deployed));
    expect(itemDirs(prepared.rendered.objects)).toEqual({ app: 'proj/app', shared: 'shared/x' });
  } finally {
    await prepared.cleanup();
    kube.close();
  }
}, 400_000);
