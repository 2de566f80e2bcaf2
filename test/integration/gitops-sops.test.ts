/**
 * Port of Kluctl's e2e/gitops_sops_test.go `TestEncryptedVars`, both halves, through the reconciler:
 * a vars file encrypted with SOPS (age) fails to decrypt without `spec.decryption` ("cannot get sops
 * data key", nothing deployed), and deploys with `spec.decryption.secretRef` naming a Secret with an
 * `identity.agekey`. Kluctl's test reads the message from `reconcileRequestResult.commandError` (its
 * reconcile is a manual request), which carries the same text as `lastPrepareError` asserted here.
 * TestGpgAgentKilled does not apply: decryption runs the sops binary with age keys only, no gpg-agent
 * is ever started (PGP keys in spec.decryption are not supported).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { toolPath } from '../../devenv/tools.js';
import { kubectlTest } from '../support/test-env.js';
import {
  configMapYaml,
  createKluctlDeployment,
  createScenarioNamespace,
  getConfigMap,
  readiness,
  reconcile,
  startGitOpsSuite,
  TestProject,
  updateKluctlDeployment,
} from './gitops-suite.js';
import type { GitOpsSuite } from './gitops-suite.js';

const exec = promisify(execFile);
let s: GitOpsSuite;
let work: string;

beforeAll(async () => {
  s = await startGitOpsSuite('gitops-sops');
  work = await mkdtemp(join(tmpdir(), 'ks-gitops-sops-'));
});
afterAll(async () => {
  await s?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

test('TestEncryptedVars: fails without the sops key, deploys with spec.decryption', async () => {
  // Kluctl's sops_test_resources test.yaml holds test1.test2 = 42 for an age key; ours are made here.
  await exec(toolPath('age-keygen'), ['-o', join(work, 'key.txt')]);
  const identity = await readFile(join(work, 'key.txt'), 'utf8');
  const recipient = /public key: (age1\w+)/.exec(identity)![1]!;
  await writeFile(join(work, 'vars.yaml'), 'test1:\n  test2: 42\n');
  const encrypted = (
    await exec(toolPath('sops'), ['encrypt', '--age', recipient, join(work, 'vars.yaml')], { env: {} })
  ).stdout;

  const ns = await createScenarioNamespace('encrypted-vars');
  const p = new TestProject('encrypted-vars')
    .updateTarget('test')
    .addKustomizeDeployment('cm', {
      'configmap-cm.yml': configMapYaml('cm', ns, { v1: '{{ test1.test2 }}' }),
    })
    .setVars([{ file: 'encrypted-vars.yaml' }])
    .put('encrypted-vars.yaml', encrypted);
  const repo = await s.createRepo(p);
  await createKluctlDeployment(s, 'encrypted-vars', { source: { git: { url: repo.url } }, target: 'test' });

  // deployment with missing sops key fails
  const failed = await reconcile(s, 'encrypted-vars');
  expect(failed.kd?.status?.observedCommit).toBe(await repo.head());
  expect(readiness(failed.kd)?.status).toBe('False');
  expect(failed.kd?.status?.lastPrepareError).toContain('cannot get sops data key');
  expect(await getConfigMap(ns, 'cm')).toBeUndefined();

  // deployment with existing sops key
  const secret = await kubectlTest([
    'create',
    'secret',
    'generic',
    'sops-secrets-age',
    '-n',
    s.namespace,
    `--from-file=identity.agekey=${join(work, 'key.txt')}`,
  ]);
  expect(secret.code).toBe(0);
  await updateKluctlDeployment(s, 'encrypted-vars', {
    decryption: { provider: 'sops', secretRef: { name: 'sops-secrets-age' } },
  });
  const ok = await reconcile(s, 'encrypted-vars');
  expect(readiness(ok.kd)?.status).toBe('True');
  expect((await getConfigMap(ns, 'cm'))?.data).toEqual({ v1: '42' });
});
