/**
 * The key kinds of `spec.decryption` beyond age, through the reconciler, against real key services:
 * - PGP: port of Kluctl's e2e/gitops_sops_test.go `TestGpgAgentKilled` (an `identity.asc` entry; the
 *   ConfigMap gets test1.test2 = 43 and no gpg-agent of the run is left), with a key pair made here by
 *   GnuPG instead of Kluctl's private.gpg fixture.
 * - AWS KMS in LocalStack with static credentials (`sops.aws-kms`) and with the IRSA role of
 *   `decryption.serviceAccount` (a service account token exchanged at STS, as Kluctl's controller does).
 * - `sops.vault-token` and `sops.azure-kv` are refused by name. No key material reaches the status.
 */
import type { KubeObject } from '../../lib/ports.js';
import {
  createKmsKey,
  generatePgpKey,
  localAwsEnv,
  removePgpKey,
  sessionGpgAgents,
  sopsEncrypt,
  sopsSessionDirs,
  type PgpKey,
} from '../support/sops-keys.js';
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

let s: GitOpsSuite;
let pgp: PgpKey | undefined;

beforeAll(async () => {
  s = await startGitOpsSuite('gitops-sops-keys');
});
afterAll(async () => {
  await removePgpKey(pgp);
  await s?.close();
});

const b64 = (v: string): string => Buffer.from(v).toString('base64');

async function createSecret(name: string, data: Record<string, string>): Promise<void> {
  const secret: KubeObject = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace: s.namespace },
    data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, b64(v)])),
  };
  await s.kube.create(secret, { fieldManager: 'test' });
}

/** A project deploying ConfigMap `cm` with v1 = test1.test2 of the encrypted vars file. */
async function encryptedVarsDeployment(name: string, encrypted: string): Promise<string> {
  const ns = await createScenarioNamespace(name);
  const p = new TestProject(name)
    .updateTarget('test')
    .addKustomizeDeployment('cm', {
      'configmap-cm.yml': configMapYaml('cm', ns, { v1: '{{ test1.test2 }}' }),
    })
    .setVars([{ file: 'encrypted-vars.yaml' }])
    .put('encrypted-vars.yaml', encrypted);
  const repo = await s.createRepo(p);
  await createKluctlDeployment(s, name, { source: { git: { url: repo.url } }, target: 'test' });
  return ns;
}

test('TestGpgAgentKilled: a PGP identity.asc decrypts, and no gpg-agent or key file of the run is left', async () => {
  pgp = await generatePgpKey('gitops-gpg');
  const encrypted = await sopsEncrypt('test1:\n  test2: 43\n', ['--pgp', pgp.fingerprint], {
    GNUPGHOME: pgp.home,
  });
  const ns = await encryptedVarsDeployment('gpg-agent-killed', encrypted);
  await createSecret('sops-secrets-gpg', { 'identity.asc': pgp.armoredPrivate });
  await updateKluctlDeployment(s, 'gpg-agent-killed', {
    decryption: { provider: 'sops', secretRef: { name: 'sops-secrets-gpg' } },
  });

  const { kd } = await reconcile(s, 'gpg-agent-killed');
  expect(kd?.status?.lastPrepareError).toBeUndefined();
  expect(readiness(kd)?.status).toBe('True');
  expect((await getConfigMap(ns, 'cm'))?.data).toEqual({ v1: '43' });
  // verify gpg-agents got killed (and the private GnuPG home is gone)
  expect(await sessionGpgAgents(s.deps.workDir)).toEqual([]);
  expect(await sopsSessionDirs(s.deps.workDir)).toEqual([]);
  expect(JSON.stringify(kd?.status)).not.toContain(pgp.armoredPrivate.split('\n')[3]);
});

test('AWS KMS (LocalStack): fails without credentials, decrypts with a sops.aws-kms entry', async () => {
  const arn = await createKmsKey('gitops-sops-keys static');
  const encrypted = await sopsEncrypt('test1:\n  test2: 44\n', ['--kms', arn], localAwsEnv());
  const ns = await encryptedVarsDeployment('aws-kms-static', encrypted);

  // A Secret without AWS credentials: the runner's own never reach sops.
  await createSecret('sops-aws-none', { 'unrelated.txt': 'x' });
  await updateKluctlDeployment(s, 'aws-kms-static', {
    decryption: { provider: 'sops', secretRef: { name: 'sops-aws-none' } },
  });
  const failed = await reconcile(s, 'aws-kms-static');
  expect(failed.kd?.status?.lastPrepareError).toContain('cannot get sops data key');
  expect(await getConfigMap(ns, 'cm')).toBeUndefined();

  const accessKey = 'AKIASOPSKEYSTEST0001';
  const secretKey = 'sops-keys-test-secret-access-key-value';
  await createSecret('sops-aws', {
    'sops.aws-kms': `aws_access_key_id: ${accessKey}\naws_secret_access_key: ${secretKey}\n`,
  });
  await updateKluctlDeployment(s, 'aws-kms-static', {
    decryption: { provider: 'sops', secretRef: { name: 'sops-aws' } },
  });
  const { kd } = await reconcile(s, 'aws-kms-static');
  expect(kd?.status?.lastPrepareError).toBeUndefined();
  expect((await getConfigMap(ns, 'cm'))?.data).toEqual({ v1: '44' });
  expect(JSON.stringify(kd?.status)).not.toContain(secretKey);
});

test('decryption.serviceAccount: KMS as the IRSA role of the service account (web identity at STS)', async () => {
  const arn = await createKmsKey('gitops-sops-keys irsa');
  const encrypted = await sopsEncrypt('test1:\n  test2: 45\n', ['--kms', arn], localAwsEnv());
  const ns = await encryptedVarsDeployment('aws-kms-irsa', encrypted);
  const serviceAccount = (name: string, annotations: Record<string, string>): KubeObject => ({
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: { name, namespace: s.namespace, annotations },
  });

  // Missing account: the error names it and the fields it came from.
  await updateKluctlDeployment(s, 'aws-kms-irsa', {
    decryption: { provider: 'sops', serviceAccount: 'kms-decrypter' },
  });
  let r = await reconcile(s, 'aws-kms-irsa');
  expect(r.kd?.status?.lastPrepareError).toMatch(
    /decryption service account '.*\/kms-decrypter' not found \(spec\.decryption\.serviceAccount/,
  );

  // An account without the role annotation brings no key: nothing to decrypt with.
  await s.kube.create(serviceAccount('kms-decrypter', {}), { fieldManager: 'test' });
  r = await reconcile(s, 'aws-kms-irsa');
  expect(r.kd?.status?.lastPrepareError).toContain('cannot get sops data key');
  expect(await getConfigMap(ns, 'cm')).toBeUndefined();

  await s.kube.mergePatch(
    { group: '', version: 'v1', kind: 'ServiceAccount', name: 'kms-decrypter', namespace: s.namespace },
    {
      metadata: {
        annotations: { 'eks.amazonaws.com/role-arn': 'arn:aws:iam::000000000000:role/kms-decrypt' },
      },
    },
    { fieldManager: 'test' },
  );
  r = await reconcile(s, 'aws-kms-irsa');
  expect(r.kd?.status?.lastPrepareError).toBeUndefined();
  expect((await getConfigMap(ns, 'cm'))?.data).toEqual({ v1: '45' });
});

test.each([
  [
    'vault-token',
    'sops.vault-token',
    'hvs.vault-secret-token',
    'HashiCorp Vault token',
    'hvs.vault-secret-token',
  ],
  [
    'azure-kv',
    'sops.azure-kv',
    '{"tenantId":"t","clientId":"c","clientSecret":"azure-secret"}',
    'Azure Key Vault credentials',
    'azure-secret',
  ],
])('%s: the entry is refused by name, its content is not shown', async (name, entry, value, what, secret) => {
  await encryptedVarsDeployment(name, 'test1:\n  test2: 46\n');
  await createSecret(`sops-${name}`, { [entry]: value });
  await updateKluctlDeployment(s, name, {
    decryption: { provider: 'sops', secretRef: { name: `sops-${name}` } },
  });
  const { kd } = await reconcile(s, name);
  expect(readiness(kd)?.status).toBe('False');
  expect(kd?.status?.lastPrepareError).toContain(
    `decryption Secret '${s.namespace}/sops-${name}': entry '${entry}' (${what}) is not supported`,
  );
  expect(JSON.stringify(kd?.status)).not.toContain(secret);
});
