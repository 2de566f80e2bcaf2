/**
 * Credentials for Helm repositories and OCI registries (kluctl-semantics §4.8, §7.12), matched per
 * request by host (`host:port` as in the URL) and an optional path glob (gobwas/glob, as for Git
 * credentials: lib/util/path-glob.ts). Sources, first match wins: flags, then `KLUCTL_HELM_[n_]*` /
 * `KLUCTL_REGISTRY_[n_]*` environment sets (unnumbered first, then by number). Values are secrets: they
 * are never part of a message or a log line.
 */
import { KsError } from '../../errors.js';
import { compilePathGlob } from '../../util/path-glob.js';

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
  readonly registryPlainHttp?: readonly string[];
  readonly registryInsecureSkipTlsVerify?: readonly string[];
}

function flagEntries(flags: HelmCredentialFlags, prefix: 'helm' | 'registry'): HelmCredentialEntry[] {
  const byKey = new Map<string, MutableEntry>();
  const entry = (flag: string, s: string, expectValue: boolean): [MutableEntry, string] => {
    const eq = s.indexOf('=');
    if (expectValue && eq < 0)
      throw new KsError('InvalidInput', `--${flag} expects <host>/<path>=<value>; the value is missing`);
    const key = eq < 0 ? s : s.slice(0, eq);
    let e = byKey.get(key);
    if (!e) {
      const slash = key.indexOf('/');
      e = slash < 0 ? { host: key } : { host: key.slice(0, slash), path: key.slice(slash + 1) };
      // A malformed glob fails while the flags are read, as in Kluctl, not at the first request.
      if (e.path !== undefined) compilePathGlob(e.path);
      byKey.set(key, e);
    }
    return [e, eq < 0 ? '' : s.slice(eq + 1)];
  };
  const f = flags as Record<string, readonly string[] | undefined>;
  const name = (k: string): string => `${prefix}-${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
  for (const s of f[`${prefix}Username`] ?? []) {
    const [e, v] = entry(name('username'), s, true);
    e.username = v;
  }
  for (const s of f[`${prefix}Password`] ?? []) {
    const [e, v] = entry(name('password'), s, true);
    e.password = v;
  }
  for (const s of f[`${prefix}Creds`] ?? []) {
    const [e, v] = entry(name('creds'), s, true);
    const colon = v.indexOf(':');
    if (colon < 0)
      throw new KsError(
        'InvalidInput',
        `format of --${prefix}-creds values must be <host>/<path>=<username>:<password>`,
      );
    e.username = v.slice(0, colon);
    e.password = v.slice(colon + 1);
  }
  for (const [k, field] of [
    ['CaFile', 'caFile'],
    ['CertFile', 'certFile'],
    ['KeyFile', 'keyFile'],
  ] as const) {
    for (const s of f[`${prefix}${k}`] ?? []) {
      const [e, v] = entry(name(k), s, true);
      e[field] = v;
    }
  }
  for (const s of f[`${prefix}InsecureSkipTlsVerify`] ?? [])
    entry('insecure', s, false)[0].insecureSkipTlsVerify = true;
  for (const s of f[`${prefix}PlainHttp`] ?? []) entry('plain-http', s, false)[0].plainHttp = true;
  return [...byKey.values()];
}

const TRUE = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);

/** Entries from `<PREFIX>[_<n>]_<FIELD>` variables of `env`, unnumbered set first, then by number. */
function envEntries(
  env: Readonly<Record<string, string | undefined>>,
  prefix: string,
  registry: boolean,
): HelmCredentialEntry[] {
  const sets = new Map<number, Record<string, string>>();
  const re = new RegExp(`^${prefix}(_\\d+)?_(.*)$`);
  for (const [k, v] of Object.entries(env)) {
    const m = re.exec(k);
    if (!m || v === undefined) continue;
    const idx = m[1] ? Number(m[1].slice(1)) : -1;
    const set = sets.get(idx) ?? {};
    set[m[2]!] = v;
    sets.set(idx, set);
  }
  const out: HelmCredentialEntry[] = [];
  for (const idx of [...sets.keys()].sort((a, b) => a - b)) {
    const m = sets.get(idx)!;
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
      insecureSkipTlsVerify: TRUE.has(m.INSECURE_SKIP_TLS_VERIFY ?? ''),
      passCredentialsAll: TRUE.has(m.PASS_CREDENTIALS_ALL ?? ''),
      plainHttp: TRUE.has(m.PLAIN_HTTP ?? ''),
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
