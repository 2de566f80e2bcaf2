/**
 * The one `ls-refs` round trip (Git protocol v2, symrefs and peeled tags) that both the GitSource and
 * the GitRefLister on isomorphic-git make, and the credentials callbacks of every isomorphic-git
 * request. Errors are isomorphic-git's; each caller translates them with its own wording.
 */
import git from 'isomorphic-git';
import type { AuthCallback, ServerRef } from 'isomorphic-git';
import http from 'isomorphic-git/http/node';
import type { GitAuth } from '../ports.js';

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

/** The refs `url` advertises (only those starting with `prefix` when given), tags peeled. */
export function lsRefs(url: string, auth: GitAuth | undefined, prefix?: string): Promise<ServerRef[]> {
  return git.listServerRefs({
    http,
    url,
    protocolVersion: 2,
    ...(prefix !== undefined ? { prefix } : {}),
    symrefs: true,
    peelTags: true,
    ...authCallbacks(auth),
  });
}
