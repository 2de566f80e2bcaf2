/**
 * The CLI decrypts with the key services of its environment, as Kluctl's CLI does (the sops library
 * reads GNUPGHOME, AWS_* and VAULT_* itself): TestSopsVars with the vars file encrypted for a PGP key
 * made by GnuPG (found through GNUPGHOME) and for a KMS key in LocalStack (found through
 * AWS_ENDPOINT_URL and the AWS credentials), through `render` and `deploy`.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { cli, NO_GIT_ROOT_WARNING, projectFlags } from '../support/cli.js';
import { writeFiles } from '../support/files.js';
import {
  createKmsKey,
  generatePgpKey,
  localAwsEnv,
  removePgpKey,
  sopsEncrypt,
  type PgpKey,
} from '../support/sops-keys.js';
import { createTestNamespace, kubectlTest, testEnv } from '../support/test-env.js';

let work: string;
let pgp: PgpKey | undefined;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'ks-cli-sops-keys-'));
});
afterAll(async () => {
  await removePgpKey(pgp);
  if (work) await rm(work, { recursive: true, force: true });
});

/** TestSopsVars' project: ConfigMap `cm` in `namespace` with v1 = test1.test2 of the encrypted vars. */
async function project(encryptedVars: string, namespace = 'default'): Promise<string> {
  const dir = await mkdtemp(join(work, 'p-'));
  writeFiles(dir, {
    '.kluctl.yml': stringify({ targets: [{ name: 'test' }] }),
    'deployment.yml': stringify({ vars: [{ file: 'encrypted-vars.yaml' }], deployments: [{ path: 'cm' }] }),
    'encrypted-vars.yaml': encryptedVars,
    'cm/configmap.yml': stringify({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'cm', namespace },
      data: { v1: '{{ test1.test2 }}' },
    }),
  });
  return dir;
}

const render = (dir: string, env: Record<string, string>) =>
  cli(['render', ...projectFlags(dir, { target: 'test' }), '--print-all', '--offline-kubernetes'], env);

test('TestSopsVars with a PGP key: render decrypts through GNUPGHOME, fails without it', async () => {
  pgp = await generatePgpKey('cli-sops');
  const dir = await project(
    await sopsEncrypt('test1:\n  test2: 42\n', ['--pgp', pgp.fingerprint], { GNUPGHOME: pgp.home }),
  );
  const ok = await render(dir, { GNUPGHOME: pgp.home });
  expect(ok.stderr.replace(NO_GIT_ROOT_WARNING, '')).toBe('');
  expect(ok.code).toBe(0);
  expect(ok.stdout).toMatch(/v1: "42"/);

  const empty = await mkdtemp(join(work, 'gnupg-'));
  const failed = await render(dir, { GNUPGHOME: empty });
  expect(failed.code).not.toBe(0);
  expect(failed.stderr).toContain(
    'failed to decrypt vars file encrypted-vars.yaml: cannot get sops data key',
  );
}, 120_000);

test('TestSopsVars with an AWS KMS key (LocalStack): render and deploy decrypt with the AWS environment', async () => {
  const arn = await createKmsKey('cli-sops-keys');
  const ns = await createTestNamespace('cli-sops-kms');
  const dir = await project(await sopsEncrypt('test1:\n  test2: 47\n', ['--kms', arn], localAwsEnv()), ns);
  const ok = await render(dir, localAwsEnv());
  expect(ok.code).toBe(0);
  expect(ok.stdout).toMatch(/v1: "47"/);

  const deployed = await cli(
    ['deploy', ...projectFlags(dir, { target: 'test' }), '--kubeconfig', testEnv().kubeconfigPath, '--yes'],
    localAwsEnv(),
  );
  expect(deployed.stderr.replace(NO_GIT_ROOT_WARNING, '')).not.toContain('error');
  expect(deployed.code).toBe(0);
  const cm = await kubectlTest(['get', 'configmap', 'cm', '-n', ns, '-o', 'jsonpath={.data.v1}']);
  expect(cm.stdout).toBe('47');

  // Without credentials the KMS call cannot be signed: the data key stays locked.
  const { AWS_ACCESS_KEY_ID: _id, AWS_SECRET_ACCESS_KEY: _key, ...noCredentials } = localAwsEnv();
  const failed = await render(dir, {
    ...noCredentials,
    AWS_ACCESS_KEY_ID: '',
    AWS_SECRET_ACCESS_KEY: '',
    AWS_SHARED_CREDENTIALS_FILE: join(work, 'none'),
    AWS_CONFIG_FILE: join(work, 'none'),
  });
  expect(failed.code).not.toBe(0);
  expect(failed.stderr).toContain('cannot get sops data key');
}, 180_000);
