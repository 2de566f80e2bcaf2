/**
 * GitSource on isomorphic-git over HTTP(S) and SSH (lib/adapters/ssh-git-transport.ts). Refs are resolved with one `ls-refs` round trip (the cheap
 * "did the branch move?" probe); branches and tags are checked out shallow, commits from a full fetch
 * because servers need not serve unadvertised commits to a shallow request.
 */
import fs from 'node:fs';
import { mkdir } from 'node:fs/promises';
import git from 'isomorphic-git';
import type { ServerRef } from 'isomorphic-git';
import { GitSourceError } from '../errors.js';
import { safeUrl } from '../util/safe-url.js';
import type { GitAuth, GitCheckout, GitRef, GitSource } from '../ports.js';
import { gitConnection, lsRefs } from './isomorphic-git-ls-refs.js';

/** Node error codes that mean the server could not be reached; a later attempt may succeed. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/** Git access through isomorphic-git, over its Node HTTP client or SSH. */
export class IsomorphicGitSource implements GitSource {
  /** The commit `ref` points to on the remote; the default branch (remote HEAD) when no ref is set. */
  async resolveRef(url: string, ref: GitRef, auth?: GitAuth): Promise<string> {
    const kind = refKind(ref);
    if (kind.type === 'commit') return kind.value;
    const prefix = kind.type === 'head' ? 'HEAD' : kind.fullName;
    let refs: ServerRef[];
    try {
      refs = await lsRefs(url, auth, prefix);
    } catch (err) {
      throw translateError(err, url, kind);
    }
    const found = refs.find((r) => r.ref === prefix);
    if (!found) {
      if (kind.type === 'head')
        throw new GitSourceError(`repository ${safeUrl(url)} has no default branch (HEAD)`);
      throw new GitSourceError(`ref ${kind.fullName} not found`);
    }
    // An annotated tag points to a tag object; the deployable commit is its peeled target.
    return found.peeled ?? found.oid;
  }

  /** Checks out `ref` of `url` into `dir` (created if missing); returns the checked-out commit. */
  async checkout(url: string, ref: GitRef, dir: string, auth?: GitAuth): Promise<GitCheckout> {
    const kind = refKind(ref);
    const cache = {};
    await mkdir(dir, { recursive: true });
    const { close, ...conn } = gitConnection(url, auth);
    try {
      await git.init({ fs, dir });
      await git.addRemote({ fs, dir, remote: 'origin', url });
      let commit: string;
      let checkedOut: GitRef | undefined;
      if (kind.type === 'commit') {
        await git.fetch({ fs, dir, cache, ...conn, singleBranch: false, tags: false });
        commit = kind.value;
      } else {
        const fetched = await git.fetch({
          fs,
          dir,
          cache,
          ...conn,
          ...(kind.type === 'head' ? {} : { ref: kind.fullName }),
          depth: 1,
          singleBranch: true,
          tags: false,
        });
        if (!fetched.fetchHead)
          throw new GitSourceError(`repository ${safeUrl(url)} has no default branch (HEAD)`);
        commit = await peel(dir, fetched.fetchHead, cache);
        const head = fetched.defaultBranch?.replace(/^refs\/heads\//, '');
        if (kind.type === 'head' && head) checkedOut = { branch: head };
      }
      await git.checkout({ fs, dir, cache, ref: commit, force: true });
      checkedOut ??= kind.type === 'head' ? undefined : { [kind.type]: kind.value };
      return { commit, ...(checkedOut ? { ref: checkedOut } : {}) };
    } catch (err) {
      throw translateError(err, url, kind);
    } finally {
      close();
    }
  }
}

/** Follows annotated tag objects down to the commit they name. */
async function peel(dir: string, oid: string, cache: object): Promise<string> {
  let current = oid;
  for (let depth = 0; depth < 10; depth++) {
    const { type } = await git.readObject({ fs, dir, oid: current, cache, format: 'content' });
    if (type !== 'tag') return current;
    current = (await git.readTag({ fs, dir, oid: current, cache })).tag.object;
  }
  throw new GitSourceError(`tag ${oid} is nested too deeply`);
}

/** The one ref of a GitRef, normalized. */
type RefKind =
  | { type: 'head' }
  | { type: 'branch' | 'tag'; value: string; fullName: string }
  | { type: 'commit'; value: string };

function refKind(ref: GitRef): RefKind {
  const set = [ref.branch, ref.tag, ref.commit].filter((v) => v !== undefined && v !== '');
  if (set.length > 1) {
    throw new GitSourceError('a git ref sets more than one of branch, tag and commit; set exactly one');
  }
  if (ref.branch) return { type: 'branch', value: ref.branch, fullName: `refs/heads/${ref.branch}` };
  if (ref.tag) return { type: 'tag', value: ref.tag, fullName: `refs/tags/${ref.tag}` };
  if (ref.commit) {
    if (!/^[0-9a-f]{40}$/i.test(ref.commit)) {
      throw new GitSourceError(`invalid commit '${ref.commit}': expected the full 40-character hash`);
    }
    return { type: 'commit', value: ref.commit.toLowerCase() };
  }
  return { type: 'head' };
}

/** Translates isomorphic-git and network errors into GitSourceError, with Kluctl's wording where known. */
function translateError(err: unknown, url: string, kind: RefKind): GitSourceError {
  if (err instanceof GitSourceError) return err;
  const e = err as { code?: string; data?: { statusCode?: number }; message?: string };
  const where = safeUrl(url);
  const status = e.code === 'HttpError' ? e.data?.statusCode : undefined;
  // Kluctl reports a missing repository as "failed to clone git source: repository not found".
  if (status === 404)
    return new GitSourceError('failed to clone git source: repository not found', { cause: err });
  if (status === 401 || status === 403 || e.code === 'UserCanceledError') {
    return new GitSourceError(`failed to clone git source: authentication required for ${where}`, {
      cause: err,
    });
  }
  if (status !== undefined) {
    const retryable = status >= 500 || status === 429 || status === 408;
    return new GitSourceError(`git server ${where} answered HTTP ${status}`, { cause: err, retryable });
  }
  if (e.code !== undefined && NETWORK_CODES.has(e.code)) {
    return new GitSourceError(`cannot reach git server ${where}: ${e.code}`, { cause: err, retryable: true });
  }
  if (e.code === 'NotFoundError' && (kind.type === 'branch' || kind.type === 'tag')) {
    return new GitSourceError(`ref ${kind.fullName} not found`, { cause: err });
  }
  if ((e.code === 'CommitNotFetchedError' || e.code === 'NotFoundError') && kind.type === 'commit') {
    return new GitSourceError(`commit ${kind.value} not found in ${where}`, { cause: err });
  }
  const detail = String(e.message ?? err)
    .split(url)
    .join(where);
  return new GitSourceError(`failed to clone git source ${where}: ${detail}`, { cause: err });
}
