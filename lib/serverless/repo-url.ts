/**
 * The repository key of a Git URL: `host[:port]/path`, the form Kluctl uses to tell whether two URLs
 * name the same repository (its `GitUrl.RepoKey()`, used by the Git cache and `--local-git-override`).
 * The webhook and the repo index key deployments by it, so that `https://github.com/org/repo.git`,
 * `git@github.com:org/repo` and `ssh://git@github.com:22/Org/Repo.git/` meet.
 *
 * Facts followed, as Kluctl v2.28.2 parses (go-git's endpoint parser, then Go's net/url) and normalises:
 * - scp-like `[user@]host:[port:]path` (no `://`, no `/` before the first `:`) is `ssh://`; its path is
 *   taken literally; any other form needs `scheme://`; `file://` and local paths are refused.
 * - userinfo, scheme, query and fragment do not count; the path is percent-decoded (URL form only).
 * - host and path are lower-cased; the port is dropped when it is the scheme's default (http 80,
 *   https 443, ssh/git/git+ssh 22, ftp 21, rsync 873).
 * - a trailing `.git` is dropped unless the last path element is exactly `.git`; then one trailing
 *   `/`. So `org/repo.git/` keeps its `.git` (checked against the real Kluctl in
 *   test/parity/repo-key.test.ts).
 * - one leading and one trailing `/` of the path are dropped.
 */
import { KsError } from '../errors.js';

/** Default ports per scheme; a port equal to its scheme's default is left out of the key. */
const DEFAULT_PORTS: Readonly<Record<string, string>> = {
  http: '80',
  https: '443',
  git: '22',
  'git+ssh': '22',
  ssh: '22',
  ftp: '21',
  rsync: '873',
};

/** go-git's scp-like form: optional user, host without `:` or blanks, optional numeric port, path. */
const SCP_LIKE = /^(?:([^@]+)@)?([^:\s]+):(?:([0-9]{1,5}):)?([^\\].*)$/;

/** A URL split into the parts the key needs. */
interface GitUrlParts {
  readonly scheme: string;
  readonly hostname: string;
  readonly port: string;
  readonly path: string;
}

/**
 * The repository key of `url` (`host[:port]/path`). Throws KsError `InvalidInput` naming the URL for
 * `file://` URLs, local paths and URLs Go's parser would reject.
 */
export function repoKeyOf(url: string): string {
  const u = parseGitUrl(url);
  let path = u.path.toLowerCase();
  if (baseName(path) !== '.git' && path.endsWith('.git')) path = path.slice(0, -'.git'.length);
  if (path.endsWith('/')) path = path.slice(0, -1);
  const port = u.port !== '' && u.port !== DEFAULT_PORTS[u.scheme] ? `:${u.port}` : '';
  const host = `${u.hostname.toLowerCase()}${port}`;
  if (path.startsWith('/')) path = path.slice(1);
  if (path.endsWith('/')) path = path.slice(0, -1);
  return `${host}/${path}`;
}

/** Like {@link repoKeyOf}, but undefined instead of an error (for URLs from untrusted payloads). */
export function tryRepoKeyOf(url: string): string | undefined {
  try {
    return repoKeyOf(url);
  } catch {
    return undefined;
  }
}

function parseGitUrl(url: string): GitUrlParts {
  const hasScheme = /^[^:]+:\/\//.test(url);
  if (!hasScheme) {
    const scp = scpLike(url);
    if (scp) return scp;
    throw invalid(url, 'local paths are not supported; use an https://, ssh:// or user@host:path URL');
  }
  if (url.startsWith('file://')) throw invalid(url, 'file:// URLs are not supported');
  // eslint-disable-next-line no-control-regex -- Go's parser refuses control characters too
  if (/[\x00-\x1f\x7f]/.test(url)) throw invalid(url, 'it contains a control character');
  return parseAbsoluteUrl(url);
}

/** The scp-like form; its path is used as written (Go escapes and unescapes it unchanged). */
function scpLike(url: string): GitUrlParts | undefined {
  const m = SCP_LIKE.exec(url);
  const beforeColon = url.slice(0, url.indexOf(':'));
  if (!m || beforeColon.includes('/')) return undefined;
  const path = m[4]!;
  return { scheme: 'ssh', hostname: m[2]!, port: m[3] ?? '', path: path.startsWith('/') ? path : `/${path}` };
}

/** `scheme://[userinfo@]host[:port][/path][?query][#fragment]` as Go's net/url splits it. */
function parseAbsoluteUrl(url: string): GitUrlParts {
  let rest = url;
  const hash = rest.indexOf('#');
  if (hash >= 0) rest = rest.slice(0, hash);
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/(.*)$/s.exec(rest);
  if (!m) throw invalid(url, 'the scheme must start with a letter');
  const scheme = m[1]!.toLowerCase();
  rest = m[2]!;
  const q = rest.indexOf('?');
  if (q >= 0) rest = rest.slice(0, q);
  const slash = rest.indexOf('/');
  const authority = slash >= 0 ? rest.slice(0, slash) : rest;
  const rawPath = slash >= 0 ? rest.slice(slash) : '';
  const hostPort = authority.slice(authority.lastIndexOf('@') + 1);
  const { hostname, port } = splitHostPort(url, hostPort);
  if (hostname === '') throw invalid(url, 'it names no host');
  return { scheme, hostname, port, path: percentDecode(url, rawPath) };
}

function splitHostPort(url: string, hostPort: string): { hostname: string; port: string } {
  let hostname: string;
  let portPart: string;
  if (hostPort.startsWith('[')) {
    const end = hostPort.indexOf(']');
    if (end < 0) throw invalid(url, "the IPv6 host has no closing ']'");
    hostname = hostPort.slice(1, end);
    portPart = hostPort.slice(end + 1);
    if (portPart !== '' && !portPart.startsWith(':')) throw invalid(url, 'unexpected text after the host');
  } else {
    const colon = hostPort.lastIndexOf(':');
    hostname = colon >= 0 ? hostPort.slice(0, colon) : hostPort;
    portPart = colon >= 0 ? hostPort.slice(colon) : '';
  }
  if (portPart !== '' && !/^:[0-9]*$/.test(portPart)) throw invalid(url, 'the port is not a number');
  return { hostname: percentDecode(url, hostname), port: portPart.slice(1) };
}

function percentDecode(url: string, s: string): string {
  if (!s.includes('%')) return s;
  if (/%(?![0-9A-Fa-f]{2})/.test(s))
    throw invalid(url, "it has a '%' that is not followed by two hex digits");
  try {
    return decodeURIComponent(s);
  } catch {
    // Go keeps bytes that are not UTF-8; keys are compared as text, so decode them one by one.
    return s.replace(/%([0-9A-Fa-f]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
  }
}

/** Go's path.Base: the last element after dropping trailing slashes. */
function baseName(p: string): string {
  const trimmed = p.replace(/\/+$/, '');
  if (trimmed === '') return p === '' ? '.' : '/';
  return trimmed.slice(trimmed.lastIndexOf('/') + 1);
}

function invalid(url: string, why: string): KsError {
  return new KsError('InvalidInput', `invalid Git URL '${redactUserinfo(url)}': ${why}`);
}

/** The URL with any password or token in its userinfo replaced, for messages. */
export function redactUserinfo(url: string): string {
  return url.replace(/^([A-Za-z][A-Za-z0-9+.-]*:\/\/)[^/@]*@/, '$1***@');
}
