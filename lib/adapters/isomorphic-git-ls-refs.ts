/**
 * How every isomorphic-git request reaches a remote: the HTTP client (Node's, with the CA bundle of
 * the credentials for `caFile`, or the SSH transport for SSH URLs), the URL to give isomorphic-git and
 * the credentials callbacks; plus the one `ls-refs` round trip (Git protocol v2, symrefs and peeled
 * tags) that both the GitSource and the GitRefLister on isomorphic-git make. Errors are
 * isomorphic-git's or GitSourceError; each caller translates the former with its own wording.
 */
import https from 'node:https';
import git from 'isomorphic-git';
import type { AuthCallback, HttpClient, ServerRef } from 'isomorphic-git';
import http from 'isomorphic-git/http/node';
import type { GitAuth } from '../ports.js';
import { safeUrl } from '../util/safe-url.js';
import { SshGitTransport, isSshGitUrl, parseSshGitUrl } from './ssh-git-transport.js';

/** Supplies the credentials once; a second 401 cancels instead of looping with the same credentials. */
export function authCallbacks(auth: GitAuth | undefined): {
  onAuth?: AuthCallback;
  onAuthFailure?: AuthCallback;
} {
  if (!auth || (auth.username === undefined && auth.password === undefined)) return {};
  return {
    onAuth: () => ({ username: auth.username ?? '', password: auth.password ?? '' }),
    onAuthFailure: () => ({ cancel: true }),
  };
}

/** The arguments isomorphic-git needs to reach one remote; `close` frees an SSH connection. */
export interface GitConnection {
  readonly http: HttpClient;
  /** The URL to pass isomorphic-git (a placeholder for SSH remotes, served by `http`). */
  readonly url: string;
  readonly onAuth?: AuthCallback;
  readonly onAuthFailure?: AuthCallback;
  close(): void;
}

/** Opens (lazily) the way to `url`: SSH for SSH URLs, else HTTP(S) trusting `auth.caBundle` if set. */
export function gitConnection(url: string, auth: GitAuth | undefined): GitConnection {
  if (isSshGitUrl(url)) {
    const t = new SshGitTransport(parseSshGitUrl(url), auth ?? {}, safeUrl(url));
    return { http: t.http, url: t.pseudoUrl, close: () => t.close() };
  }
  const ca = auth?.caBundle;
  // The CA replaces the system roots for this remote only, as Kluctl's caFile does.
  const agent = ca ? new https.Agent({ ca, keepAlive: false }) : undefined;
  const client: HttpClient = agent ? { request: (req) => http.request({ ...req, agent }) } : http;
  return { http: client, url, ...authCallbacks(auth), close: () => agent?.destroy() };
}

/** The refs `url` advertises (only those starting with `prefix` when given), tags peeled. */
export async function lsRefs(url: string, auth: GitAuth | undefined, prefix?: string): Promise<ServerRef[]> {
  const { close, ...conn } = gitConnection(url, auth);
  try {
    return await git.listServerRefs({
      ...conn,
      protocolVersion: 2,
      ...(prefix !== undefined ? { prefix } : {}),
      symrefs: true,
      peelTags: true,
    });
  } finally {
    close();
  }
}
