/**
 * A SOPS key session of one reconcile on the pinned `sops` binary: the keys of `spec.decryption`
 * (lib/reconcile/decryption-keys.ts) become the environment of the sops processes, the way Kluctl's
 * controller hands them to its key services.
 * - PGP keys are imported into a private GnuPG home (Kluctl: a fresh `gpg-*` temp dir per project),
 *   which sops' GnuPG mode uses through `GNUPGHOME`; its gpg-agent is killed and the home removed on
 *   `close`, as Kluctl's controller does once a project is done.
 * - Static AWS credentials go in as `AWS_*`.
 * - A service account's AWS role becomes a web identity (`AWS_ROLE_ARN` and a token file), the same
 *   mechanism as IRSA. With static credentials too, it is a second attempt: Kluctl's controller asks
 *   the Secret's key service first, then the service account's.
 * Nothing of the runner's own environment reaches sops except the endpoint settings in `runnerEnv`.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SopsError } from '../errors.js';
import type { SopsKeySession, SopsKeys } from '../ports.js';
import { runProcess } from '../util/run-process.js';
import { SopsCliDecryptor } from './sops-cli.js';

/**
 * Settings of the runner that sops may see: where AWS is (e.g. LocalStack), never credentials.
 */
export const SOPS_RUNNER_ENV_KEYS = [
  'AWS_ENDPOINT_URL',
  'AWS_ENDPOINT_URL_KMS',
  'AWS_ENDPOINT_URL_STS',
  'AWS_REGION',
  'AWS_DEFAULT_REGION',
  'AWS_STS_REGIONAL_ENDPOINTS',
  'HTTPS_PROXY',
  'HTTP_PROXY',
  'NO_PROXY',
  'SSL_CERT_FILE',
] as const;

/** Options of {@link openSopsKeySession}. */
export interface SopsKeyringOptions {
  /** Path of the sops binary, or a function giving it on first use. */
  readonly binary: string | (() => string);
  /** GnuPG's `gpg`, imported PGP keys go through it; default `/usr/bin/gpg`. */
  readonly gpgPath?: string;
  /** GnuPG's `gpgconf`, which stops the agent of the private home; default `/usr/bin/gpgconf`. */
  readonly gpgconfPath?: string;
  /** The runner's environment; only {@link SOPS_RUNNER_ENV_KEYS} are passed on. Default none. */
  readonly runnerEnv?: Readonly<Record<string, string | undefined>>;
  /** Parent of the session's private dir; default the OS temp dir (short, for gpg-agent's socket). */
  readonly tmpDir?: string;
}

/**
 * A decryptor holding `keys`, with their files in a private dir that `close` removes. Throws SopsError
 * when a PGP key cannot be imported (naming its Secret entry, never its content).
 */
export async function openSopsKeySession(keys: SopsKeys, opts: SopsKeyringOptions): Promise<SopsKeySession> {
  const base: Record<string, string> = { AWS_EC2_METADATA_DISABLED: 'true' };
  for (const k of SOPS_RUNNER_ENV_KEYS) {
    const v = opts.runnerEnv?.[k];
    if (v) base[k] = v;
  }
  const needsDir = keys.pgpKeys.length > 0 || keys.awsWebIdentity !== undefined;
  const dir = needsDir ? await mkdtemp(join(opts.tmpDir ?? tmpdir(), 'ks-sops-keys-')) : undefined;
  const gnupgHome = dir && keys.pgpKeys.length > 0 ? join(dir, 'gnupg') : undefined;
  const gpgconf = opts.gpgconfPath ?? '/usr/bin/gpgconf';
  const close = async (): Promise<void> => {
    if (!dir) return;
    // Importing a secret key (and every decryption) starts a gpg-agent bound to the home.
    if (gnupgHome) await runProcess(gpgconf, ['--homedir', gnupgHome, '--kill', 'gpg-agent']).catch(() => {});
    await rm(dir, { recursive: true, force: true });
  };
  try {
    if (gnupgHome) {
      const gpg = opts.gpgPath ?? '/usr/bin/gpg';
      await importPgpKeys(gpg, gnupgHome, keys.pgpKeys);
      Object.assign(base, { GNUPGHOME: gnupgHome, SOPS_GPG_EXEC: gpg });
    }
    const envs: Record<string, string>[] = [];
    if (keys.awsCredentials) {
      const c = keys.awsCredentials;
      envs.push({
        ...base,
        AWS_ACCESS_KEY_ID: c.accessKeyId,
        AWS_SECRET_ACCESS_KEY: c.secretAccessKey,
        ...(c.sessionToken ? { AWS_SESSION_TOKEN: c.sessionToken } : {}),
      });
    }
    if (keys.awsWebIdentity && dir) {
      const tokenFile = join(dir, 'web-identity-token');
      await writeFile(tokenFile, keys.awsWebIdentity.token, { mode: 0o600 });
      envs.push({
        ...base,
        AWS_ROLE_ARN: keys.awsWebIdentity.roleArn,
        AWS_WEB_IDENTITY_TOKEN_FILE: tokenFile,
        AWS_ROLE_SESSION_NAME: keys.awsWebIdentity.sessionName,
      });
    }
    const [env, ...alternativeEnvs] = envs.length > 0 ? envs : [base];
    const dec = new SopsCliDecryptor({ binary: opts.binary, env, alternativeEnvs, ageKeys: keys.ageKeys });
    return { decrypt: (text, format, file) => dec.decrypt(text, format, file), close };
  } catch (err) {
    await close();
    throw err;
  }
}

/** Imports armored private keys into a new GnuPG home (mode 0700, as gpg demands). */
async function importPgpKeys(gpg: string, home: string, pgpKeys: SopsKeys['pgpKeys']): Promise<void> {
  await mkdir(home, { mode: 0o700 });
  for (const { entry, armored } of pgpKeys) {
    const res = await runProcess(gpg, ['--homedir', home, '--batch', '--no-tty', '--import'], {
      env: { GNUPGHOME: home },
      input: armored,
    }).catch((err: unknown) => {
      throw new SopsError(
        `failed to import '${entry}' data from decryption Secret: GnuPG (${gpg}) could not be run: ` +
          `${(err as Error).message}; PGP keys need GnuPG installed on the runner`,
        { cause: err },
      );
    });
    if (res.code !== 0) {
      // gpg's report names the key's id and the reason, not key material.
      const why = res.stderr.split('\n').filter((l) => /error|invalid|no valid|failed/i.test(l));
      throw new SopsError(
        `failed to import '${entry}' data from decryption Secret: gpg exited with ${res.code}` +
          `${why.length > 0 ? `: ${why.join('; ')}` : ''}`,
      );
    }
  }
}
