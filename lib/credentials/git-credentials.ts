/**
 * Git credentials as Kluctl matches them (kluctl-semantics §7.12, §9.4): a list of entries, each with
 * a host (`host[:port]`, `*` = any host but never for http(s) URLs), an optional path glob on the
 * repository path and basic-auth values or an SSH key. For a URL the first entry that matches host,
 * path and user and has what the scheme needs (username and password for http(s), a key for SSH) wins. Entries come from `--git-username/--git-password`
 * flags, `KLUCTL_GIT_[n_]*` environment sets and, in the controller, `spec.credentials.git`.
 * Values are secrets: no function here puts them into a message.
 */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { KsError } from '../errors.js';
import type { GitAuth } from '../ports.js';
import { compilePathGlob } from '../util/path-glob.js';
import { FlagEntries, envConfigSets } from './credential-inputs.js';

/** One credentials entry. */
export interface GitCredentialEntry {
  /** `host[:port]` as in the URL (default ports omitted), or `*`. */
  readonly host: string;
  /** Glob on the repository path (no leading slash, lower case, without `.git`); undefined = any. */
  readonly path?: string;
  readonly username?: string;
  readonly password?: string;
  /** SSH private key (Secret key `identity`); required for SSH URLs. */
  readonly identity?: string;
  /** known_hosts content for SSH URLs (Secret key `known_hosts`). */
  readonly knownHosts?: string;
  /** PEM CA bundle for https URLs (Secret key `caFile`). */
  readonly caFile?: string;
}

/** A Git URL reduced to what matching looks at, normalised as Kluctl does. */
export interface NormalizedGitUrl {
  readonly ssh: boolean;
  /** Lower-case host, with the port unless it is the scheme's default. */
  readonly host: string;
  /** Lower-case path without leading and trailing `/` and without a trailing `.git`. */
  readonly path: string;
  /** User name embedded in the URL, "" when none. */
  readonly username: string;
}

const DEFAULT_PORTS: Readonly<Record<string, string>> = {
  'http:': '80',
  'https:': '443',
  'ssh:': '22',
  'git:': '22',
  'git+ssh:': '22',
};

/** Normalises a clone URL (`https://`, `ssh://` or scp-like `user@host:path`); undefined if unparsable. */
export function normalizeGitUrl(url: string): NormalizedGitUrl | undefined {
  let u: URL;
  const scp = /^(?:([^@/]+)@)?([^:/]+):(?!\/\/)(.*)$/.exec(url);
  try {
    u =
      scp && !/^[a-z][a-z0-9+.-]*:\/\//i.test(url)
        ? new URL(`ssh://${scp[1] ? `${scp[1]}@` : ''}${scp[2]}/${scp[3]}`)
        : new URL(url);
  } catch {
    return undefined;
  }
  const ssh = ['ssh:', 'git:', 'git+ssh:'].includes(u.protocol);
  let path = decodeURIComponent(u.pathname).toLowerCase();
  if (!path.endsWith('/.git')) path = path.replace(/\.git$/, '');
  path = path.replace(/\/+$/, '').replace(/^\/+/, '');
  const port = u.port && u.port !== DEFAULT_PORTS[u.protocol] ? `:${u.port}` : '';
  return { ssh, host: `${u.hostname.toLowerCase()}${port}`, path, username: decodeURIComponent(u.username) };
}

interface Compiled {
  readonly entry: GitCredentialEntry;
  readonly glob: RegExp | undefined;
}

function compile(entries: readonly GitCredentialEntry[]): Compiled[] {
  return entries.map((entry) => ({
    entry,
    glob: entry.path ? compilePathGlob(entry.path) : undefined,
  }));
}

function matchCompiled(
  list: readonly Compiled[],
  url: string,
  defaultKnownHosts?: string,
): GitAuth | undefined {
  const u = normalizeGitUrl(url);
  if (!u) return undefined;
  for (const { entry: e, glob } of list) {
    // Kluctl never sends credentials of a wildcard host over http(s); SSH URLs may use one.
    if (e.host === '*' && !u.ssh) continue;
    if (e.host !== '*' && e.host.toLowerCase() !== u.host) continue;
    if (glob && !glob.test(u.path)) continue;
    if (!e.username) continue;
    if (u.username && e.username !== '*' && u.username !== e.username) continue;
    const username = u.username || e.username;
    if (username === '*') continue;
    if (u.ssh) {
      // An entry without a key does not serve SSH URLs; a later entry may.
      if (!e.identity) continue;
      const knownHosts = e.knownHosts ?? defaultKnownHosts;
      return {
        username,
        sshIdentity: e.identity,
        ...(knownHosts !== undefined ? { sshKnownHosts: knownHosts } : {}),
      };
    }
    if (!e.password) continue;
    // Kluctl hands the CA bundle over only together with basic-auth credentials.
    return { username, password: e.password, ...(e.caFile ? { caBundle: e.caFile } : {}) };
  }
  return undefined;
}

/** The credentials of the first entry matching `url`, or undefined. */
export function matchGitCredential(entries: readonly GitCredentialEntry[], url: string): GitAuth | undefined {
  return matchCompiled(compile(entries), url);
}

/**
 * A `gitAuth(url)` hook over `entries` (globs compiled once; a bad glob throws here, naming it).
 * `defaultKnownHosts` serves SSH entries without their own known_hosts (the CLI's user files).
 */
export function gitAuthResolver(
  entries: readonly GitCredentialEntry[],
  defaultKnownHosts?: string,
): (url: string) => GitAuth | undefined {
  const list = compile(entries);
  return (url) => matchCompiled(list, url, defaultKnownHosts);
}

/** Raw `--git-username` / `--git-password` values, each `<host>[/<path>]=<value>`. */
export interface GitCredentialFlags {
  readonly gitUsername?: readonly string[];
  readonly gitPassword?: readonly string[];
  /** `--git-ssh-key-file <host>[/<path>]=<file>`. */
  readonly gitSshKeyFile?: readonly string[];
  /** `--git-ssh-known-hosts-file <host>[/<path>]=<file>`. */
  readonly gitSshKnownHostsFile?: readonly string[];
  /** `--git-ca-file <host>[/<path>]=<file>`. */
  readonly gitCaFile?: readonly string[];
}

/** Reads a file a credentials flag names; an unreadable one is an error naming the flag and file. */
function readFlagFile(flag: string, file: string): string {
  try {
    return readFileSync(expandHome(file), 'utf8');
  } catch (err) {
    throw new KsError('InvalidInput', `--${flag}: cannot read ${file}: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** Entries from the flags, one per distinct `<host>/<path>` key, in the order keys first appear. */
export function gitCredentialsFromFlags(flags: GitCredentialFlags): GitCredentialEntry[] {
  const entries = new FlagEntries<Mutable<GitCredentialEntry>>();
  for (const arg of flags.gitUsername ?? []) {
    const [e, v] = entries.take('git-username', arg);
    e.username = v;
  }
  for (const arg of flags.gitPassword ?? []) {
    const [e, v] = entries.take('git-password', arg);
    e.password = v;
  }
  for (const [flag, field, values] of [
    ['git-ssh-key-file', 'identity', flags.gitSshKeyFile],
    ['git-ssh-known-hosts-file', 'knownHosts', flags.gitSshKnownHostsFile],
    ['git-ca-file', 'caFile', flags.gitCaFile],
  ] as const) {
    for (const arg of values ?? []) {
      const [e, file] = entries.take(flag, arg);
      e[field] = readFlagFile(flag, file);
    }
  }
  return entries.entries();
}

/**
 * Entries from `<prefix>[_<n>]_HOST|PATH|USERNAME|PASSWORD|SSH_KEY|CA_BUNDLE` variables of `env` (Kluctl's prefix is
 * `KLUCTL_GIT`): the unnumbered set first, then by number. The deprecated `PATH_PREFIX` becomes
 * `<prefix>**`. Sets without HOST are skipped.
 */
export function gitCredentialsFromEnv(
  env: Readonly<Record<string, string | undefined>>,
  prefix = 'KLUCTL_GIT',
): GitCredentialEntry[] {
  const out: GitCredentialEntry[] = [];
  for (const s of envConfigSets(env, prefix)) {
    if (!s.HOST) continue;
    const path = s.PATH ?? (s.PATH_PREFIX !== undefined ? `${s.PATH_PREFIX}**` : undefined);
    if (path) compilePathGlob(path);
    // Key and CA bundle are file paths; like Kluctl, an unreadable one leaves the entry without it.
    const identity = s.SSH_KEY ? readQuietly(s.SSH_KEY) : undefined;
    const caFile = s.CA_BUNDLE ? readQuietly(s.CA_BUNDLE) : undefined;
    out.push({
      host: s.HOST,
      ...(path ? { path } : {}),
      ...(s.USERNAME !== undefined ? { username: s.USERNAME } : {}),
      ...(s.PASSWORD !== undefined ? { password: s.PASSWORD } : {}),
      ...(identity !== undefined ? { identity } : {}),
      ...(caFile !== undefined ? { caFile } : {}),
    });
  }
  return out;
}

function expandHome(file: string): string {
  return file.replace(/^~(?=\/|$)/, homedir());
}

function readQuietly(file: string): string | undefined {
  try {
    return readFileSync(expandHome(file), 'utf8');
  } catch {
    return undefined;
  }
}

/**
 * The known_hosts the CLI checks SSH hosts against when an entry has none: the files of
 * `SSH_KNOWN_HOSTS` (path list), else `~/.ssh/known_hosts`, as Kluctl reads them; unreadable ones are
 * skipped (an unknown host is then refused, never added: nobody is asked).
 */
export function userKnownHosts(env: Readonly<Record<string, string | undefined>>): string {
  const files = env.SSH_KNOWN_HOSTS
    ? env.SSH_KNOWN_HOSTS.split(':').filter((f) => f !== '')
    : [`${homedir()}/.ssh/known_hosts`];
  return files.map((f) => readQuietly(f) ?? '').join('\n');
}

/** The CLI's entries: flags first, then the `KLUCTL_GIT_*` sets of `env` (passed in; lib never reads it). */
export function buildGitCredentials(
  flags: GitCredentialFlags,
  env: Readonly<Record<string, string | undefined>> = {},
): GitCredentialEntry[] {
  return [...gitCredentialsFromFlags(flags), ...gitCredentialsFromEnv(env)];
}
