/**
 * GitRefLister on isomorphic-git: one protocol-v2 `ls-refs` round trip lists branches and tags (tags
 * peeled to their commits) and where the remote HEAD points, for `gitFiles` vars sources.
 */
import type { ServerRef } from 'isomorphic-git';
import { GitSourceError } from '../errors.js';
import { safeUrl } from '../util/safe-url.js';
import type { GitAuth, GitRefLister, RemoteRefs } from '../ports.js';
import { lsRefs } from './isomorphic-git-ls-refs.js';

/** Lists the refs of a remote over HTTP(S) or SSH. */
export class IsomorphicGitRefLister implements GitRefLister {
  /** Branches and tags with their commits, and the default branch. */
  async listRefs(url: string, auth?: GitAuth): Promise<RemoteRefs> {
    let refs: ServerRef[];
    try {
      refs = await lsRefs(url, auth);
    } catch (err) {
      if (err instanceof GitSourceError) throw err;
      const status = (err as { data?: { statusCode?: number } }).data?.statusCode;
      if (status === 404)
        throw new GitSourceError('failed to clone git source: repository not found', { cause: err });
      throw new GitSourceError(`failed to list refs of ${safeUrl(url)}: ${(err as Error).message}`, {
        cause: err,
        retryable: status === undefined || status >= 500,
      });
    }
    const out: Record<string, string> = {};
    let head: string | undefined;
    for (const r of refs) {
      if (r.ref === 'HEAD') head = r.target;
      else if (r.ref.startsWith('refs/heads/') || r.ref.startsWith('refs/tags/'))
        out[r.ref] = r.peeled ?? r.oid;
    }
    return { refs: out, ...(head ? { head } : {}) };
  }
}
