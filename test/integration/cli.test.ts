/**
 * The CLI as a user runs it (`kluctl-serverless render|deploy|list-targets`) on a local project folder,
 * against the real API server and the real kustomize. Follows Kluctl's e2e `TestRenderPrintAll`,
 * `TestDeployWithPrune` and `TestNoTarget`-style error cases.
 */
import { cp, mkdtemp, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { fixtureDir } from '../support/fixtures.js';
import { createTestNamespace, kubectlJson, testEnv } from '../support/test-env.js';
import { cli, NO_GIT_ROOT_WARNING, projectFlags } from '../support/cli.js';

let project: string;
let ns: string;

beforeAll(async () => {
  project = await mkdtemp(join(tmpdir(), 'ks-cli-'));
  await cp(fixtureDir('skeleton'), project, { recursive: true });
  ns = await createTestNamespace('cli');
});

afterAll(async () => {
  if (project) await rm(project, { recursive: true, force: true });
});

test('render --print-all prints the final objects with Kluctl metadata (TestRenderPrintAll)', async () => {
  const r = await cli([
    'render',
    ...projectFlags(project, { target: 'prod', namespace: ns }),
    '--print-all',
    '--offline-kubernetes',
  ]);
  // The project was copied out of any Git repository: Kluctl warns the same way and goes on.
  expect(r.stderr).toBe(NO_GIT_ROOT_WARNING);
  expect(r.code).toBe(0);
  const docs = parseAllDocuments(r.stdout).map((d) => d.toJS());
  expect(docs.map((d) => `${d.kind}/${d.metadata.name}`)).toEqual([
    'ConfigMap/app-config',
    'Service/svc-a',
    'Service/svc-b',
  ]);
  expect(docs[0].data).toEqual({ env: 'prod', color: 'blue' });
  expect(docs[0].metadata.labels['kluctl.io/discriminator']).toBe(`e2e-prod-${ns}`);
});

test('list-targets prints the targets', async () => {
  const r = await cli(['list-targets', ...projectFlags(project, { namespace: ns }), '--only-names']);
  expect(r.stdout).toBe('dev\nprod\n');
});

test('an unknown target is an error that names it', async () => {
  const r = await cli([
    'render',
    ...projectFlags(project, { target: 'staging', namespace: ns }),
    '--offline-kubernetes',
  ]);
  expect(r.code).toBe(1);
  expect(r.stderr).toContain('target staging not existent in kluctl project config');
});

test('deploy -y applies with field manager kluctl, and --prune removes what is no longer rendered (TestDeployWithPrune)', async () => {
  const { kubeconfigPath } = testEnv();
  const base = [
    'deploy',
    ...projectFlags(project, { target: 'dev', namespace: ns }),
    '--kubeconfig',
    kubeconfigPath,
    '-y',
  ];
  const first = await cli(base);
  expect(first.code).toBe(0);
  expect(first.stdout).toContain(
    `New objects:\n  ${ns}/ConfigMap/app-config\n  ${ns}/Service/svc-a\n  ${ns}/Service/svc-b\n`,
  );
  const cm = await kubectlJson<{
    metadata: { managedFields: { manager: string }[]; labels: Record<string, string> };
  }>(['get', 'configmap', 'app-config', '-n', ns, '-o', 'json', '--show-managed-fields']);
  expect(cm.metadata.managedFields.map((m) => m.manager)).toContain('kluctl');
  expect(cm.metadata.labels['kluctl.io/discriminator']).toBe(`e2e-dev-${ns}`);

  await unlink(join(project, 'services/svc-b.yaml'));
  const cmFile = join(project, 'config/configmap.yaml');
  await writeFile(cmFile, (await readFile(cmFile, 'utf8')).replace('blue', 'red'));
  const second = await cli([...base, '--prune']);
  expect(second.code).toBe(0);
  expect(second.stdout).toContain(`Deleted objects:\n  ${ns}/Service/svc-b`);
  expect(second.stdout).toContain(`Changed objects:\n  ${ns}/ConfigMap/app-config`);
  expect(second.stdout).not.toContain('New objects:');
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

test('deploy without --yes and without a terminal refuses and says what to do', async () => {
  const { kubeconfigPath } = testEnv();
  const r = await cli([
    'deploy',
    ...projectFlags(project, { target: 'dev', namespace: ns }),
    '--kubeconfig',
    kubeconfigPath,
  ]);
  expect(r.code).toBe(1);
  expect(r.stderr).toContain('pass --yes');
});
