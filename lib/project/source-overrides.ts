/**
 * Source overrides (Kluctl's `--local-git-override`, `--local-git-group-override`,
 * `--local-oci-override`, `--local-oci-group-override`): a repository, or every repository below a
 * group prefix, is read from a local directory instead of being cloned or pulled.
 *
 * Facts followed (Kluctl v2.28.2, compared with the reference binary in
 * test/integration/source-overrides.test.ts):
 * - a flag is `<repo key>=<dir>`; the key is `[git://|oci://]host[:port]/path`, the scheme defaulting
 *   to the flag's kind. The host must be a DNS name or an IPv4 address, the port a number; an empty key
 *   is accepted and matches nothing. The key is taken as written (no lower-casing, no `.git` trimming),
 *   while the repository's own key is normalised (git: lower-cased, `.git` and default port dropped).
 * - a plain override matches the repository with exactly that key; a group override matches every
 *   repository whose path starts with `<path>/`, and maps it to `<dir>/<rest of the path>`.
 * - an override whose directory does not exist is skipped (the next one is tried, else the repository
 *   is cloned as usual); one naming a file fails; a group mapping leaving its directory fails.
 * - an overridden repository is copied as it is: the ref asked for is ignored and no commit is known.
 */
import { statSync } from 'node:fs';
import { isAbsolute, normalize, posix, relative, resolve, sep } from 'node:path';
import { KsError } from '../errors.js';
import { repoKeyOf } from '../util/repo-url.js';

/** The kind of repository a key names. */
export type RepoKind = 'git' | 'oci';

/** Kluctl's RepoKey: kind, `host[:port]` and path without leading or trailing `/`. */
export interface RepoKey {
  readonly type: RepoKind;
  readonly host: string;
  readonly path: string;
}

/** One override: `repoKey` (a repository, or with `isGroup` a prefix) is read from `override`. */
export interface RepoOverride {
  readonly repoKey: RepoKey | undefined;
  /** Local directory (relative paths are relative to the working directory). */
  readonly override: string;
  readonly isGroup: boolean;
}

const HOST_NAME =
  /^(([a-zA-Z]|[a-zA-Z][a-zA-Z0-9-]*[a-zA-Z0-9])\.)*([A-Za-z]|[A-Za-z][A-Za-z0-9-]*[A-Za-z0-9])$/;
const IPV4 = /^((25[0-5]|(2[0-4]|1\d|[1-9]|)\d)\.?\b){4}$/;

/**
 * Parses a repository key as Kluctl's ParseRepoKey does; `undefined` for the empty key (which Kluctl
 * accepts and which matches nothing). Throws KsError `InvalidInput` `invalid repo key: <key>`.
 */
export function parseRepoKey(text: string, defaultType: RepoKind): RepoKey | undefined {
  if (text === '') return undefined;
  let type = defaultType;
  let rest = text;
  for (const t of ['git', 'oci'] as const) {
    if (rest.startsWith(`${t}://`)) {
      type = t;
      rest = rest.slice(`${t}://`.length);
      break;
    }
  }
  const slash = rest.indexOf('/');
  if (slash < 0) throw invalidKey(rest);
  const hostPort = rest.slice(0, slash);
  const colon = hostPort.indexOf(':');
  const host = colon >= 0 ? hostPort.slice(0, colon) : hostPort;
  const port = colon >= 0 ? hostPort.slice(colon + 1) : '';
  if (!HOST_NAME.test(host) && !IPV4.test(host)) throw invalidKey(rest);
  // Go's ParseInt(port, 10, 32): an optional sign, then decimal digits within int32.
  if (port !== '' && !(/^[+-]?[0-9]+$/.test(port) && Number(port) >= -(2 ** 31) && Number(port) < 2 ** 31))
    throw invalidKey(rest);
  return { type, host: hostPort, path: rest.slice(slash + 1) };
}

function invalidKey(key: string): KsError {
  return new KsError('InvalidInput', `invalid repo key: ${key}`);
}

/** `git://host/path` or `oci://host/path`, as Kluctl prints a key. */
export function repoKeyText(key: RepoKey): string {
  return `${key.type}://${key.host}/${key.path}`;
}

/** The key of a Git URL, normalised as Kluctl's GitUrl.RepoKey (see lib/util/repo-url.ts). */
export function gitRepoKey(url: string): RepoKey {
  const text = repoKeyOf(url);
  const slash = text.indexOf('/');
  return { type: 'git', host: text.slice(0, slash), path: text.slice(slash + 1) };
}

/** The key of an `oci://host/repo` URL as Kluctl's OCI cache forms it: host as written, path decoded. */
export function ociRepoKey(url: string): RepoKey {
  let rest = url.replace(/^oci:\/\//, '');
  rest = rest.replace(/[?#].*$/s, '');
  const slash = rest.indexOf('/');
  const host = slash >= 0 ? rest.slice(0, slash) : rest;
  const rawPath = slash >= 0 ? rest.slice(slash) : '';
  let path: string;
  try {
    path = decodeURIComponent(rawPath);
  } catch {
    path = rawPath;
  }
  return {
    type: 'oci',
    host: host.replace(/^[^@]*@/, ''),
    // NewRepoKey trims one trailing, then one leading `/`.
    path: path.replace(/\/$/, '').replace(/^\//, ''),
  };
}

/** Where `ro` maps `key` to, when it covers it (Kluctl's RepoOverride.Match). */
export function matchOverride(ro: RepoOverride, key: RepoKey): string | undefined {
  const own = ro.repoKey;
  if (!own || own.type !== key.type || own.host !== key.host) return undefined;
  if (!ro.isGroup) return own.path === key.path ? ro.override : undefined;
  const prefix = `${own.path}/`;
  if (!key.path.startsWith(prefix)) return undefined;
  return posix.join(ro.override, key.path.slice(prefix.length));
}

/**
 * The local directory that replaces the repository `key`, or undefined to fetch it as usual: the first
 * override that covers it and whose directory exists. Throws KsError `InvalidInput` when that path is a
 * file or a group mapping leaves the group's directory.
 */
export function resolveOverride(overrides: readonly RepoOverride[], key: RepoKey): string | undefined {
  for (const ro of overrides) {
    const dir = matchOverride(ro, key);
    if (dir === undefined) continue;
    const st = statSync(normalize(dir), { throwIfNoEntry: false });
    if (!st) continue;
    if (!st.isDirectory())
      throw new KsError(
        'InvalidInput',
        `can not override repo ${repoKeyText(key)}. ${dir} is not a directory`,
      );
    if (!insideOrSame(ro.override, dir))
      throw new KsError(
        'InvalidInput',
        `can not override repo ${repoKeyText(key)} with ${dir}: path ${dir} is not inside directory ${ro.override}`,
      );
    return dir;
  }
  return undefined;
}

function insideOrSame(root: string, path: string): boolean {
  const rel = relative(resolve(root), resolve(path));
  return rel === '' || (!isAbsolute(rel) && rel !== '..' && !rel.startsWith(`..${sep}`));
}

/** The CLI's override flags, as commander collects them. */
export interface SourceOverrideFlags {
  readonly localGitOverride?: readonly string[];
  readonly localGitGroupOverride?: readonly string[];
  readonly localOciOverride?: readonly string[];
  readonly localOciGroupOverride?: readonly string[];
}

/**
 * The overrides of the four `--local-*-override` flags, in Kluctl's order (git, git group, oci, oci
 * group; the first match wins). Throws KsError `InvalidInput` naming the flag for a malformed value.
 */
export function overridesFromFlags(flags: SourceOverrideFlags): RepoOverride[] {
  const kinds = [
    ['--local-git-override', flags.localGitOverride, 'git', false],
    ['--local-git-group-override', flags.localGitGroupOverride, 'git', true],
    ['--local-oci-override', flags.localOciOverride, 'oci', false],
    ['--local-oci-group-override', flags.localOciGroupOverride, 'oci', true],
  ] as const;
  const out: RepoOverride[] = [];
  for (const [flag, values, type, isGroup] of kinds) {
    for (const value of values ?? []) {
      const eq = value.indexOf('=');
      if (eq < 0)
        throw new KsError(
          'InvalidInput',
          `invalid ${flag}: ${value} (expected <repo key>=<local directory>)`,
        );
      let repoKey: RepoKey | undefined;
      try {
        repoKey = parseRepoKey(value.slice(0, eq), type);
      } catch (err) {
        throw new KsError('InvalidInput', `invalid ${flag}: ${(err as Error).message}`, { cause: err });
      }
      out.push({ repoKey, override: value.slice(eq + 1), isGroup });
    }
  }
  return out;
}
