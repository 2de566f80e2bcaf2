/**
 * The controller's credentials (kluctl-semantics §9.4): `spec.credentials.git|helm|oci` entries whose
 * values live in Secrets of the KluctlDeployment's namespace. Git entries become
 * {@link GitCredentialEntry}s (Secret keys `username`, `password`, `identity`, `known_hosts`,
 * `caFile`); helm and oci entries become the
 * Helm render's credentials, with PEM contents written to files in a private dir because helm reads
 * them from files. Messages name the Secret and the entry, never a value.
 */
import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ProjectCredentials } from '../api/types.js';
import { KsError } from '../errors.js';
import type { KubeClient } from '../ports.js';
import type { HelmCredentialEntry, HelmCredentials } from './helm-credentials.js';
import type { GitCredentialEntry } from './git-credentials.js';
import { isGoTrue } from '../util/go-bool.js';
import { compilePathGlob } from '../util/path-glob.js';

/** Reads the decoded data of a Secret by name; undefined when it does not exist. */
export type SecretReader = (name: string) => Promise<Readonly<Record<string, string>> | undefined>;

/** A {@link SecretReader} over the Kubernetes API for one namespace (`data` decoded, `stringData` ignored). */
export function kubeSecretReader(kube: KubeClient, namespace: string): SecretReader {
  return async (name) => {
    const s = await kube.get({ group: '', version: 'v1', kind: 'Secret', name, namespace });
    if (!s) return undefined;
    const data = (s.data ?? {}) as Record<string, string>;
    return Object.fromEntries(
      Object.entries(data).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]),
    );
  };
}

/** Reads a Secret named by `where` (a spec field), failing with a message naming the field when it is missing. */
export async function mustRead(
  read: SecretReader,
  name: string,
  where: string,
): Promise<Readonly<Record<string, string>>> {
  const data = await read(name);
  if (!data)
    throw new KsError(
      'InvalidInput',
      `${where}: Secret ${name} not found in the KluctlDeployment's namespace`,
    );
  return data;
}

/** `spec.credentials.git` as entries, in spec order (the first match wins). */
export async function gitCredentialsFromSpec(
  creds: ProjectCredentials | undefined,
  read: SecretReader,
): Promise<GitCredentialEntry[]> {
  const out: GitCredentialEntry[] = [];
  for (const [i, e] of (creds?.git ?? []).entries()) {
    const where = `spec.credentials.git[${i}]`;
    if (e.path) compilePathGlob(e.path);
    const data = await mustRead(read, e.secretRef.name, where);
    out.push({
      host: e.host,
      ...(e.path ? { path: e.path } : {}),
      // Kluctl's controller defaults the user to `*`: the URL's user (`git@...`) is then taken.
      username: data.username ?? '*',
      ...(data.password !== undefined ? { password: data.password } : {}),
      ...(data.identity !== undefined ? { identity: data.identity } : {}),
      ...(data.known_hosts !== undefined ? { knownHosts: data.known_hosts } : {}),
      ...(data.caFile !== undefined ? { caFile: data.caFile } : {}),
    });
  }
  return out;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** Builds one helm/registry entry from Secret data; PEM contents go to files under `dir`. */
async function helmEntry(
  base: { host: string; path?: string | undefined },
  data: Readonly<Record<string, string>>,
  dir: string,
  prefix: string,
): Promise<HelmCredentialEntry> {
  const e: Mutable<HelmCredentialEntry> = { host: base.host, ...(base.path ? { path: base.path } : {}) };
  if (data.username !== undefined) e.username = data.username;
  if (data.password !== undefined) e.password = data.password;
  for (const [field, keys] of [
    ['certFile', ['cert', 'certFile']],
    ['keyFile', ['key', 'keyFile']],
    ['caFile', ['ca', 'caFile']],
  ] as const) {
    const pem = keys.map((k) => data[k]).find((v) => v !== undefined && v !== '');
    if (pem === undefined) continue;
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const file = join(dir, `${prefix}-${field}.pem`);
    await writeFile(file, pem, { mode: 0o600 });
    e[field] = file;
  }
  if (isGoTrue(data.insecure) || isGoTrue(data.insecureSkipTlsVerify)) e.insecureSkipTlsVerify = true;
  if (isGoTrue(data.passCredentialsAll)) e.passCredentialsAll = true;
  if (isGoTrue(data.plainHttp)) e.plainHttp = true;
  return e;
}

/** Helm credentials plus a key that differs whenever any credential value differs. */
export interface SpecHelmCredentials extends HelmCredentials {
  /**
   * sha256 over hosts, paths and Secret data ("" when there are no entries): chart caches are kept
   * apart per credential set, so a deployment never reads a chart pulled with another's credentials.
   */
  readonly cacheKey: string;
}

/**
 * `spec.credentials.helm` (Helm repositories) and `spec.credentials.oci` (registries, also for OCI
 * charts) as the Helm render's credentials. `fileDir` receives PEM files; it should be private to the
 * reconcile and removed with it.
 */
export async function helmCredentialsFromSpec(
  creds: ProjectCredentials | undefined,
  read: SecretReader,
  fileDir: string,
): Promise<SpecHelmCredentials> {
  const hash = createHash('sha256');
  const add = (
    kind: string,
    host: string,
    path: string | undefined,
    data: Readonly<Record<string, string>>,
  ): void => {
    const sorted = Object.keys(data)
      .sort()
      .map((k) => [k, data[k]]);
    hash.update(JSON.stringify([kind, host, path ?? '', sorted]));
  };
  const helm: HelmCredentialEntry[] = [];
  for (const [i, e] of (creds?.helm ?? []).entries()) {
    const data = await mustRead(read, e.secretRef.name, `spec.credentials.helm[${i}]`);
    add('helm', e.host, e.path, data);
    helm.push(await helmEntry({ host: e.host, path: e.path }, data, fileDir, `helm-${i}`));
  }
  const registry: HelmCredentialEntry[] = [];
  for (const [i, e] of (creds?.oci ?? []).entries()) {
    const data = await mustRead(read, e.secretRef.name, `spec.credentials.oci[${i}]`);
    add('oci', e.registry, e.repository, data);
    registry.push(await helmEntry({ host: e.registry, path: e.repository }, data, fileDir, `oci-${i}`));
  }
  const cacheKey = helm.length + registry.length > 0 ? hash.digest('hex').slice(0, 16) : '';
  return { helm, registry, cacheKey };
}
