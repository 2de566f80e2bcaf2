/**
 * Kluctl's e2e TestIgnoreAnnotation: an object annotated `kluctl.io/ignore: "true"` is dropped from the
 * project; one that was deployed before becomes an orphan (and is pruned with prune), never applied.
 */
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HttpKubeClient } from '../../lib/adapters/http-kube-client.js';
import { deployProject } from '../../lib/deploy/deploy-project.js';
import { renderProject } from '../../lib/project/render-project.js';
import { toolPath } from '../../devenv/tools.js';
import { fixtureDir } from '../support/fixtures.js';
import { createTestNamespace, kubectlJson, testEnv } from '../support/test-env.js';

let kube: HttpKubeClient;
let dir: string;
let ns: string;

beforeAll(async () => {
  kube = await HttpKubeClient.fromKubeconfig({ kubeconfigPath: testEnv().kubeconfigPath });
  dir = await mkdtemp(join(tmpdir(), 'ks-ignore-'));
  await cp(fixtureDir('skeleton'), dir, { recursive: true });
  ns = await createTestNamespace('ignore');
});
afterAll(async () => {
  kube?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function deploy(prune: boolean) {
  const rendered = await renderProject({
    projectDir: dir,
    target: 'dev',
    args: { namespace: ns },
    kustomizePath: toolPath('kustomize'),
    renderDir: await mkdtemp(join(tmpdir(), 'ks-ignore-render-')),
  });
  return { rendered, out: await deployProject(kube, rendered, { prune }) };
}

test('TestIgnoreAnnotation: an ignored object is not applied and becomes an orphan', async () => {
  const first = await deploy(false);
  expect(first.out.errors).toEqual([]);
  expect(first.rendered.objects.map((o) => o.metadata.name)).toContain('svc-b');

  const file = join(dir, 'services/svc-b.yaml');
  const text = await readFile(file, 'utf8');
  await writeFile(
    file,
    text.replace('  name: svc-b\n', '  name: svc-b\n  annotations:\n    kluctl.io/ignore: "true"\n'),
  );
  const second = await deploy(false);
  expect(second.rendered.objects.map((o) => o.metadata.name)).not.toContain('svc-b');
  const entry = second.out.objects.find((o) => o.ref.name === 'svc-b');
  expect(entry).toMatchObject({ orphan: true });
  expect(entry?.applied).toBeUndefined();

  const third = await deploy(true);
  expect(third.out.objects.find((o) => o.ref.name === 'svc-b')).toMatchObject({ deleted: true });
  const svcs = await kubectlJson<{ items: { metadata: { name: string } }[] }>([
    'get',
    'services',
    '-n',
    ns,
    '-o',
    'json',
  ]);
  expect(svcs.items.map((s) => s.metadata.name)).toEqual(['svc-a']);
});
