/**
 * Real SOPS keys for tests: a PGP key pair made by GnuPG, a KMS key in the test environment's
 * LocalStack, and encryption with the pinned sops. Nothing is faked: decryption needs the same key
 * services a user's cluster would.
 */
import { execFile } from 'node:child_process';
import { readdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { toolPath } from '../../devenv/tools.js';
import { openSopsKeySession } from '../../lib/adapters/sops-keyring.js';
import type { SopsKeys, SopsKeySession } from '../../lib/ports.js';
import { testEnv } from './test-env.js';

const exec = promisify(execFile);

/** A PGP key pair in its own GnuPG home (for the CLI's GNUPGHOME). */
export interface PgpKey {
  readonly fingerprint: string;
  /** The ASCII-armored private key, as a `*.asc` entry of a decryption Secret holds it. */
  readonly armoredPrivate: string;
  /** The GnuPG home that made it; {@link removePgpKey} stops its agent and removes it. */
  readonly home: string;
}

/** Generates an RSA key pair without passphrase with GnuPG (/usr/bin/gpg). */
export async function generatePgpKey(name: string): Promise<PgpKey> {
  const home = await mkdtemp(join(tmpdir(), 'ks-test-gpg-'));
  const env = { GNUPGHOME: home };
  await exec(
    'gpg',
    [
      '--batch',
      '--passphrase',
      '',
      '--quick-gen-key',
      `${name} <${name}@example.test>`,
      'rsa2048',
      'encr',
      'never',
    ],
    { env },
  );
  const { stdout } = await exec('gpg', ['--batch', '--with-colons', '--list-secret-keys'], { env });
  const fingerprint = /^fpr:+([0-9A-F]{40}):/m.exec(stdout)![1]!;
  const armoredPrivate = (
    await exec('gpg', ['--batch', '--armor', '--export-secret-keys', fingerprint], { env })
  ).stdout;
  return { fingerprint, armoredPrivate, home };
}

/** Stops the agent of the key's GnuPG home and removes it. */
export async function removePgpKey(key: PgpKey | undefined): Promise<void> {
  if (!key) return;
  await exec('gpgconf', ['--homedir', key.home, '--kill', 'gpg-agent']).catch(() => {});
  await rm(key.home, { recursive: true, force: true });
}

/** The environment under which the pinned sops reaches the test environment's LocalStack (KMS, STS). */
export function localAwsEnv(): Record<string, string> {
  const s3 = testEnv().s3;
  return {
    AWS_ENDPOINT_URL: s3.endpoint,
    AWS_ACCESS_KEY_ID: s3.accessKeyId,
    AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
    AWS_REGION: s3.region,
    AWS_EC2_METADATA_DISABLED: 'true',
  };
}

/** Creates a symmetric KMS key in LocalStack (its JSON API; LocalStack does not check signatures). */
export async function createKmsKey(description: string): Promise<string> {
  const { endpoint, region } = testEnv().s3;
  const res = await fetch(`${endpoint}/`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-amz-json-1.1',
      'x-amz-target': 'TrentService.CreateKey',
      authorization: `AWS4-HMAC-SHA256 Credential=test/20260101/${region}/kms/aws4_request, SignedHeaders=host, Signature=0`,
    },
    body: JSON.stringify({ Description: description }),
  });
  if (!res.ok) throw new Error(`KMS CreateKey answered ${res.status}: ${await res.text()}`);
  return ((await res.json()) as { KeyMetadata: { Arn: string } }).KeyMetadata.Arn;
}

/** Encrypts YAML `plain` with the pinned sops and the key flags given (`--pgp FPR`, `--kms ARN`, ...). */
export async function sopsEncrypt(
  plain: string,
  keyFlags: readonly string[],
  env: Record<string, string> = {},
): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'ks-test-sops-plain-'));
  try {
    const file = join(dir, 'plain.yaml');
    await writeFile(file, plain);
    return (
      await exec(toolPath('sops'), ['encrypt', ...keyFlags, file], {
        env: { PATH: process.env.PATH ?? '', ...env },
      })
    ).stdout;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The key session dirs (`ks-sops-keys-*`) in `dir` now. */
export async function sopsSessionDirs(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((f) => f.startsWith('ks-sops-keys-'));
}

/** The pids of live gpg-agents whose home is in a key session dir below `dir`. */
export async function sessionGpgAgents(dir: string): Promise<string[]> {
  const { stdout } = await exec('ps', ['-eo', 'pid=,stat=,args=']);
  return stdout
    .split('\n')
    .filter((l) => l.includes('gpg-agent') && l.includes(`--homedir ${join(dir, 'ks-sops-keys-')}`))
    .filter((l) => !/^\s*\d+\s+Z/.test(l))
    .map((l) => l.trim().split(/\s+/)[0]!);
}

/**
 * How the runner opens key sessions in tests: only the keys of spec.decryption, never the
 * environment's, with AWS (KMS, STS) at the test environment's LocalStack; key files below `tmpDir`.
 */
export function testSopsKeySessions(tmpDir: string): (keys: SopsKeys) => Promise<SopsKeySession> {
  const endpoint = testEnv().s3.endpoint;
  return (keys) =>
    openSopsKeySession(keys, {
      binary: toolPath('sops'),
      // sops' web identity client reads only the STS-specific variable, not AWS_ENDPOINT_URL.
      runnerEnv: { AWS_ENDPOINT_URL_KMS: endpoint, AWS_ENDPOINT_URL_STS: endpoint },
      tmpDir,
    });
}
