// The cluster registries: one Secrets Manager secret per cluster (LocalStack), cached for a short time,
// and the local runner's YAML list with secrets in files. Errors name the secret or file, never a value.
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  CreateSecretCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { FileClusterRegistry } from '../../lib/adapters/file-cluster-registry.js';
import { SecretsClusterRegistry } from '../../lib/adapters/secrets-cluster-registry.js';
import { KsError } from '../../lib/errors.js';
import { localAwsSettings, uniqueSuffix } from '../../devenv/aws-local.js';
import { cli } from '../support/cli.js';
import { LOCALSTACK_CREDENTIALS } from '../../devenv/localstack.js';
import { kubectlJson } from '../support/test-env.js';
import { testEnv } from '../support/test-env.js';

const keyA = Buffer.from('key-of-cluster-a-32-bytes-long!!');
const keyB = Buffer.from('key-of-cluster-b-32-bytes-long!!');

describe('SecretsClusterRegistry', () => {
  let client: SecretsManagerClient;
  let gets = 0;
  const prefix = `ks-test-${uniqueSuffix()}/clusters/`;
  let t = Date.UTC(2026, 11, 6);
  const clock = { now: () => new Date(t) };

  beforeAll(() => {
    client = new SecretsManagerClient(localAwsSettings(testEnv().s3.endpoint));
    client.middlewareStack.add(
      (next, context) => (args) => {
        if (context.commandName === 'GetSecretValueCommand') gets++;
        return next(args);
      },
      { step: 'initialize', name: 'countGets' },
    );
  });
  afterAll(() => client?.destroy());

  it('registers clusters, lists them without reading values, and reads their secrets', async () => {
    const reg = new SecretsClusterRegistry({ client, prefix, clock });
    await reg.register({ id: 'uid-a', displayName: 'dev', kubeconfig: 'kubeconfig-a', shimKey: keyA });
    await reg.register({ id: 'uid-b', kubeconfig: 'kubeconfig-b', shimKey: keyB });
    // Another stack's clusters (another prefix) stay out of the list.
    await new SecretsClusterRegistry({ client, prefix: `${prefix}x/`, clock }).register({
      id: 'uid-c',
      kubeconfig: 'k',
      shimKey: keyA,
    });
    gets = 0;
    expect(await reg.list()).toEqual([
      { id: 'uid-a', displayName: 'dev' },
      { id: 'uid-b', displayName: 'uid-b' },
    ]);
    expect(gets).toBe(0);
    expect(Buffer.from((await reg.shimKey('uid-a'))!)).toEqual(keyA);
    expect(await reg.kubeconfig('uid-b')).toBe('kubeconfig-b');
    expect(await reg.shimKey('uid-unknown')).toBeUndefined();
    expect(await reg.shimKey('../uid-a')).toBeUndefined();
  });

  it('reuses a looked-up secret (and an absence) for the TTL, then reads it again', async () => {
    const reg = new SecretsClusterRegistry({ client, prefix, clock, ttlMs: 60_000 });
    await reg.register({ id: 'uid-rot', kubeconfig: 'k', shimKey: keyA });
    gets = 0;
    expect(Buffer.from((await reg.shimKey('uid-rot'))!)).toEqual(keyA);
    await reg.shimKey('uid-none');
    await client.send(
      new PutSecretValueCommand({
        SecretId: `${prefix}uid-rot`,
        SecretString: JSON.stringify({ kubeconfig: 'k', shimKey: keyB.toString('base64') }),
      }),
    );
    expect(Buffer.from((await reg.shimKey('uid-rot'))!)).toEqual(keyA);
    await reg.kubeconfig('uid-none');
    expect(gets).toBe(2);
    t += 60_001;
    expect(Buffer.from((await reg.shimKey('uid-rot'))!)).toEqual(keyB);
    expect(gets).toBe(3);
  });

  it('refuses a secret of the wrong shape, naming it and not its content', async () => {
    const reg = new SecretsClusterRegistry({ client, prefix, clock });
    const secret = 'top-secret-kubeconfig-token';
    await client.send(
      new CreateSecretCommand({ Name: `${prefix}uid-bad`, SecretString: `{"kubeconfig": "${secret}"` }),
    );
    await client.send(
      new CreateSecretCommand({
        Name: `${prefix}uid-nokey`,
        SecretString: JSON.stringify({ kubeconfig: secret, shimKey: 'c2hvcnQ=' }),
      }),
    );
    for (const [id, message] of [
      ['uid-bad', `secret ${prefix}uid-bad does not hold JSON`],
      ['uid-nokey', `secret ${prefix}uid-nokey: the shim key must be at least 16 bytes in base64`],
    ] as const) {
      const err = await reg.kubeconfig(id).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(KsError);
      expect((err as Error).message).toContain(message);
      expect((err as Error).message).not.toContain(secret);
    }
  });
});

describe('FileClusterRegistry', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ks-clusters-'));
    await writeFile(join(dir, 'a.kubeconfig'), 'kubeconfig-a');
    await writeFile(join(dir, 'a.key'), `${keyA.toString('base64')}\n`);
    await writeFile(join(dir, 'short.key'), 'c2hvcnQ=');
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  async function load(yaml: string): Promise<FileClusterRegistry> {
    const file = join(dir, `clusters-${uniqueSuffix()}.yaml`);
    await writeFile(file, yaml);
    return FileClusterRegistry.load(file);
  }

  it('reads the list and each secret from its file', async () => {
    const reg = await load(
      'clusters:\n  - id: uid-a\n    displayName: dev\n    kubeconfigFile: a.kubeconfig\n    shimKeyFile: a.key\n',
    );
    expect(await reg.list()).toEqual([{ id: 'uid-a', displayName: 'dev' }]);
    expect(Buffer.from((await reg.shimKey('uid-a'))!)).toEqual(keyA);
    expect(await reg.kubeconfig('uid-a')).toBe('kubeconfig-a');
    expect(await reg.shimKey('uid-b')).toBeUndefined();
  });

  it.each([
    [
      'a missing field',
      'clusters:\n  - id: uid-a\n    kubeconfigFile: a.kubeconfig\n',
      'clusters[0] has no shimKeyFile',
    ],
    [
      'an unknown field',
      'clusters:\n  - id: uid-a\n    shimKey: abc\n',
      ':3:5: unknown field "shimKey" in clusters[0]',
    ],
    [
      'a repeated id',
      'clusters:\n  - {id: a, kubeconfigFile: x, shimKeyFile: y}\n  - {id: a, kubeconfigFile: x, shimKeyFile: y}\n',
      "clusters[1].id 'a' is listed twice",
    ],
  ])('refuses %s, naming file and field', async (_name, yaml, message) => {
    await expect(load(yaml)).rejects.toThrow(message);
  });

  it('refuses a short key without quoting it', async () => {
    const reg = await load('clusters:\n  - {id: s, kubeconfigFile: a.kubeconfig, shimKeyFile: short.key}\n');
    const err = (await reg.shimKey('s').then(
      () => undefined,
      (e: unknown) => e,
    )) as Error | undefined;
    expect(err?.message).toContain(`the shim key file of cluster s (${join(dir, 'short.key')})`);
    expect(err?.message).not.toContain('c2hvcnQ');
  });
});

describe('kluctl-serverless cluster register', () => {
  it('stores the cluster under its kube-system UID with a new shim key, and lists it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ks-register-'));
    try {
      const { kubeconfigPath, s3 } = testEnv();
      const prefix = `ks-test-${uniqueSuffix()}/clusters/`;
      const keyFile = join(dir, 'shim.key');
      const env = {
        AWS_ACCESS_KEY_ID: LOCALSTACK_CREDENTIALS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: LOCALSTACK_CREDENTIALS.secretAccessKey,
      };
      const flags = ['--secret-prefix', prefix, '--endpoint', s3.endpoint, '--region', 'us-east-1'];
      const reg = await cli(
        [
          'cluster',
          'register',
          '--kubeconfig',
          kubeconfigPath,
          '--shim-key-file',
          keyFile,
          '--display-name',
          'test',
          ...flags,
        ],
        env,
      );
      const uid = (await kubectlJson<{ metadata: { uid: string } }>(['get', 'namespace', 'kube-system']))
        .metadata.uid;
      expect(reg).toMatchObject({
        code: 0,
        stdout: `registered cluster ${uid} (test) as secret ${prefix}${uid}\n`,
      });
      expect(reg.stderr).toBe(`wrote a new shim key to ${keyFile}\n`);
      expect((await stat(keyFile)).mode & 0o777).toBe(0o600);
      const key = Buffer.from((await readFile(keyFile, 'utf8')).trim(), 'base64');
      expect(reg.stdout + reg.stderr).not.toContain(key.toString('base64'));

      const registry = new SecretsClusterRegistry({
        client: new SecretsManagerClient(localAwsSettings(s3.endpoint)),
        prefix,
      });
      expect(Buffer.from((await registry.shimKey(uid))!)).toEqual(key);
      expect(await registry.kubeconfig(uid)).toBe(await readFile(kubeconfigPath, 'utf8'));
      expect(await cli(['cluster', 'list', ...flags], env)).toMatchObject({
        code: 0,
        stdout: `${uid}\ttest\n`,
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
