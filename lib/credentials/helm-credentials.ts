/**
 * Credentials for Helm repositories and OCI registries (kluctl-semantics §4.8, §7.12), matched per
 * request by host (`host:port` as in the URL) and an optional path glob (gobwas/glob, as for Git
 * credentials: lib/util/path-glob.ts). Sources, first match wins: flags, then `KLUCTL_HELM_[n_]*` /
 * `KLUCTL_REGISTRY_[n_]*` environment sets (unnumbered first, then by number). Values are secrets: they
 * are never part of a message or a log line.
 */
import { KsError } from '../errors.js';
import { isGoTrue } from '../util/go-bool.js';
import { compilePathGlob } from '../util/path-glob.js';
import { FlagEntries, envConfigSets } from './credential-inputs.js';

/** One credentials entry. File fields are paths to PEM files. */
export interface HelmCredentialEntry {
  readonly host: string;
  /** Path glob without leading slash; undefined matches every path. */
  readonly path?: string;
  readonly username?: string;
  readonly password?: string;
  readonly caFile?: string;
  readonly certFile?: string;
  readonly keyFile?: string;
  readonly insecureSkipTlsVerify?: boolean;
  readonly passCredentialsAll?: boolean;
  /** Registries only: talk plain HTTP. */
  readonly plainHttp?: boolean;
}

/** Credentials for classic Helm repositories (`helm`) and OCI registries (`registry`). */
export interface HelmCredentials {
  readonly helm: readonly HelmCredentialEntry[];
  readonly registry: readonly HelmCredentialEntry[];
}

/** No credentials at all. */
export const noHelmCredentials: HelmCredentials = { helm: [], registry: [] };

/** Whether an entry applies to `url` (host equal, path glob matching the URL path). */
function credentialMatches(e: HelmCredentialEntry, url: URL): boolean {
  if (e.host !== url.host) return false;
  if (e.path === undefined || e.path === '') return true;
  return compilePathGlob(e.path).test(url.pathname.replace(/^\/+/, ''));
}

/** The first entry matching `url`, or undefined. `oci://` URLs are looked up among registry entries. */
export function findHelmCredential(creds: HelmCredentials, url: string): HelmCredentialEntry | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return undefined;
  }
  const list = u.protocol === 'oci:' ? creds.registry : creds.helm;
  return list.find((e) => credentialMatches(e, u));
}

/**
 * Which credentials a request to `url` used, for error messages: the entry's host and path glob, never
 * its values; when none carry a username, how to pass them.
 */
export function describeCredential(e: HelmCredentialEntry | undefined, url: string): string {
  if (e?.username !== undefined)
    return `used the credentials given for ${e.host}${e.path ? `/${e.path}` : ''}`;
  const u = new URL(url);
  const flag =
    u.protocol === 'oci:' ? '--registry-creds / KLUCTL_REGISTRY_*' : '--helm-creds / KLUCTL_HELM_*';
  return `no credentials match ${u.host}${u.pathname.replace(/\/+$/, '')}; pass them with ${flag}`;
}

type MutableEntry = { -readonly [K in keyof HelmCredentialEntry]: HelmCredentialEntry[K] };

/** Raw flag values (each `<host>[/<path>]=<value>`, or just `<host>[/<path>]` for switches). */
export interface HelmCredentialFlags {
  readonly helmUsername?: readonly string[];
  readonly helmPassword?: readonly string[];
  readonly helmCreds?: readonly string[];
  readonly helmCaFile?: readonly string[];
  readonly helmCertFile?: readonly string[];
  readonly helmKeyFile?: readonly string[];
  readonly helmInsecureSkipTlsVerify?: readonly string[];
  readonly registryUsername?: readonly string[];
  readonly registryPassword?: readonly string[];
  readonly registryCreds?: readonly string[];
  readonly registryCaFile?: readonly string[];
  readonly registryCertFile?: readonly string[];
  readonly registryKeyFile?: readonly string[];
  readonly registryPlainHttp?: readonly string[];
  readonly registryInsecureSkipTlsVerify?: readonly string[];
}

/** The string fields set by one flag each: `--<prefix>-<field in kebab case> <host>[/<path>]=<value>`. */
const VALUE_FLAGS = ['username', 'password', 'caFile', 'certFile', 'keyFile'] as const;

function flagEntries(flags: HelmCredentialFlags, prefix: 'helm' | 'registry'): HelmCredentialEntry[] {
  const entries = new FlagEntries<MutableEntry>();
  const f = flags as Record<string, readonly string[] | undefined>;
  const values = (field: string): readonly string[] =>
    f[`${prefix}${field[0]!.toUpperCase()}${field.slice(1)}`] ?? [];
  const flagName = (field: string): string =>
    `${prefix}-${field.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
  for (const field of VALUE_FLAGS) {
    for (const arg of values(field)) {
      const [e, v] = entries.take(flagName(field), arg);
      e[field] = v;
    }
  }
  for (const arg of values('creds')) {
    const [e, v] = entries.take(flagName('creds'), arg);
    const colon = v.indexOf(':');
    if (colon < 0)
      throw new KsError(
        'InvalidInput',
        `format of --${prefix}-creds values must be <host>/<path>=<username>:<password>`,
      );
    e.username = v.slice(0, colon);
    e.password = v.slice(colon + 1);
  }
  for (const arg of values('insecureSkipTlsVerify'))
    entries.take(flagName('insecureSkipTlsVerify'), arg, false)[0].insecureSkipTlsVerify = true;
  for (const arg of values('plainHttp')) entries.take(flagName('plainHttp'), arg, false)[0].plainHttp = true;
  return entries.entries();
}

/** Entries from the `<PREFIX>[_<n>]_<FIELD>` sets of `env`, unnumbered set first, then by number. */
function envEntries(
  env: Readonly<Record<string, string | undefined>>,
  prefix: string,
  registry: boolean,
): HelmCredentialEntry[] {
  const out: HelmCredentialEntry[] = [];
  for (const m of envConfigSets(env, prefix)) {
    if (!m.HOST) continue;
    const path = registry ? m.REPOSITORY : m.PATH;
    if (path) compilePathGlob(path);
    out.push({
      host: m.HOST,
      ...(path ? { path } : {}),
      ...(m.USERNAME !== undefined ? { username: m.USERNAME } : {}),
      ...(m.PASSWORD !== undefined ? { password: m.PASSWORD } : {}),
      ...(m.CA_FILE ? { caFile: m.CA_FILE } : {}),
      ...(m.CERT_FILE ? { certFile: m.CERT_FILE } : {}),
      ...(m.KEY_FILE ? { keyFile: m.KEY_FILE } : {}),
      insecureSkipTlsVerify: isGoTrue(m.INSECURE_SKIP_TLS_VERIFY),
      passCredentialsAll: isGoTrue(m.PASS_CREDENTIALS_ALL),
      plainHttp: isGoTrue(m.PLAIN_HTTP),
    });
  }
  return out;
}

/**
 * Builds the credentials Kluctl's CLI would use: flag entries first, then the environment sets
 * `KLUCTL_HELM_*` and `KLUCTL_REGISTRY_*`. `env` is passed in (lib/ never reads process.env).
 */
export function buildHelmCredentials(
  flags: HelmCredentialFlags,
  env: Readonly<Record<string, string | undefined>> = {},
): HelmCredentials {
  return {
    helm: [...flagEntries(flags, 'helm'), ...envEntries(env, 'KLUCTL_HELM', false)],
    registry: [...flagEntries(flags, 'registry'), ...envEntries(env, 'KLUCTL_REGISTRY', true)],
  };
}
