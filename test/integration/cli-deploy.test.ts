/**
 * The result-producing CLI commands as a user runs them (kluctl-semantics §6.4, §7.2–7.5, §7.9):
 * deploy shows the diff and asks, results in text/JSON/YAML into files, `--write-command-result`,
 * diff, prune and delete with their deletion lists, validate's exit status. Follows Kluctl's e2e
 * TestDeployWithPrune, TestPrune and validate_test.
 */
import { cp, mkdtemp, readFile, readdir, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { fixtureDir } from '../support/fixtures.js';
import { createTestNamespace, kubectlTest, testEnv } from '../support/test-env.js';
import { cli, NO_GIT_ROOT_WARNING, projectFlags } from '../support/cli.js';

let project: string;
let ns: string;
let base: string[];

beforeAll(async () => {
  project = await mkdtemp(join(tmpdir(), 'ks-cli-deploy-'));
  await cp(fixtureDir('skeleton'), project, { recursive: true });
  ns = await createTestNamespace('cli-deploy');
  base = [
    ...projectFlags(project, { target: 'dev', namespace: ns }),
    '--kubeconfig',
    testEnv().kubeconfigPath,
  ];
});
afterAll(async () => {
  if (project) await rm(project, { recursive: true, force: true });
});

test('deploy without --yes shows the diff, then refuses without a terminal', async () => {
  const r = await cli(['deploy', ...base]);
  expect(r.code).toBe(1);
  expect(r.stdout).toContain('New objects:');
  expect(r.stdout).toContain(`${ns}/ConfigMap/app-config`);
  expect(r.stdout).toContain(
    'The diff succeeded, do you want to proceed? Refusing without a terminal; pass --yes',
  );
  expect(r.stderr).toContain('command failed');
});

test('deploy --yes writes results as YAML and JSON files and into the state folder', async () => {
  const out = await mkdtemp(join(tmpdir(), 'ks-cli-out-'));
  const state = join(out, 'state');
  const r = await cli([
    'deploy',
    ...base,
    '--yes',
    '-o',
    `yaml=${join(out, 'r.yaml')}`,
    '-o',
    `json=${join(out, 'r.json')}`,
    '--write-command-result',
    '--state-dir',
    state,
  ]);
  expect(r.stderr.replace(NO_GIT_ROOT_WARNING, '')).not.toContain('error');
  expect(r.code).toBe(0);
  const y = parse(await readFile(join(out, 'r.yaml'), 'utf8'));
  const j = JSON.parse(await readFile(join(out, 'r.json'), 'utf8'));
  expect(j.id).toBe(y.id);
  expect(y.command.command).toBe('deploy');
  expect(y.objects.filter((o: { new?: boolean }) => o.new)).toHaveLength(3);
  expect(r.stderr).toMatch(/Command result written to .*_cli/);
  const files = await readdir(join(state, 'results'), { recursive: true });
  expect(files.some((f) => f.endsWith('.json.gz'))).toBe(true);
  await rm(out, { recursive: true, force: true });
});

test('diff shows changes and orphans; prune --yes lists and deletes them (TestPrune)', async () => {
  await unlink(join(project, 'services/svc-b.yaml'));
  const cmFile = join(project, 'config/configmap.yaml');
  await writeFile(cmFile, (await readFile(cmFile, 'utf8')).replace('blue', 'red'));
  const d = await cli(['diff', ...base]);
  expect(d.code).toBe(0);
  expect(d.stdout).toContain(`Diff for object ${ns}/ConfigMap/app-config`);
  expect(d.stdout).toMatch(/data\.color\s*\| -blue/);
  expect(d.stdout).toContain(`Orphan objects:\n  ${ns}/Service/svc-b`);
  const p = await cli(['prune', ...base, '--yes']);
  expect(p.code).toBe(0);
  expect(p.stderr).toContain(`The following objects will be deleted:\n  ${ns}/Service/svc-b`);
  expect(p.stdout).toContain(`Deleted objects:\n  ${ns}/Service/svc-b`);
});

test('validate passes for deployed objects and fails with "object not found" for new ones', async () => {
  const ok = await cli(['validate', ...base]);
  expect(ok.stderr).toContain('Validation succeeded');
  expect(ok.code).toBe(0);
  await writeFile(
    join(project, 'config/extra.yaml'),
    `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: extra\n  namespace: ${ns}\n`,
  );
  const bad = await cli(['validate', ...base, '-o', 'yaml']);
  expect(bad.code).toBe(1);
  expect(parse(bad.stdout).errors).toEqual([
    { ref: { version: 'v1', kind: 'ConfigMap', name: 'extra', namespace: ns }, message: 'object not found' },
  ]);
  expect(bad.stderr).toContain('Validation failed');
});

test('delete --dry-run deletes nothing; delete --yes --no-wait deletes them', async () => {
  const dry = await cli(['delete', ...base, '--dry-run']);
  expect(dry.code).toBe(0);
  expect(dry.stderr).toContain('The following objects will be deleted:');
  expect(dry.stderr).toContain(`${ns}/ConfigMap/app-config`);
  // As Kluctl: the deletes were sent as server-side dry runs, which the result counts as deleted
  // (test/parity/controller-delete.test.ts compares the results).
  expect(dry.stdout).toMatch(new RegExp(`Deleted objects:\\n(  .*\\n)*  ${ns}/ConfigMap/app-config`));
  expect((await kubectlTest(['get', 'configmap', 'app-config', '-n', ns])).code).toBe(0);
  const del = await cli(['delete', ...base, '--yes', '--no-wait']);
  expect(del.code).toBe(0);
  expect(del.stdout).toMatch(new RegExp(`Deleted objects:\\n(  .*\\n)*  ${ns}/ConfigMap/app-config`));
});
