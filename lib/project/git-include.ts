/**
 * Git includes (kluctl-semantics §2.3): `git: <url>` or `git: {url, ref: {branch|tag|commit}, subDir}`
 * items check out another repository through the GitSource port into the render work dir and load it as
 * an included project of its own source. The same URL and ref is checked out once per render.
 */
import { createHash } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { GitSourceError, ProjectLoadError } from '../errors.js';
import type { GitAuth, GitRef, GitSource } from '../ports.js';
import { parseGitRef } from './git-ref.js';
import { isInside } from './paths.js';

/** A git include as written, normalised. */
export interface GitIncludeSpec {
  readonly url: string;
  readonly ref: GitRef;
  readonly subDir: string;
}

/** A checked-out git include. */
export interface GitCheckout {
  /** Absolute dir of the checkout: the root of the included project's source. */
  readonly root: string;
  /** Absolute project dir (root + subDir). */
  readonly projectDir: string;
  readonly commit: string;
  /** Short stable id used in render dir paths. */
  readonly id: string;
}

/** What git includes need from the caller. */
export interface GitIncludeContext {
  readonly git?: GitSource;
  /** Credentials by URL (already matched by host/path), when the source needs them. */
  readonly gitAuth?: (url: string) => GitAuth | undefined;
  /** Absolute dir where checkouts go (inside the render work dir). */
  readonly checkoutDir: string;
  /** Checkouts of this render, keyed by url + ref. */
  readonly checkouts: Map<string, Promise<{ root: string; commit: string; id: string }>>;
}

// Characters Kluctl refuses in subDir (Windows-invalid path characters and control characters).
// eslint-disable-next-line no-control-regex -- control characters are exactly what is refused here
const BAD_SUBDIR = /[\\:*?"<>|^\u0000-\u001f]/;

/** Whether an include's `subDir` is one Kluctl accepts (no refused characters, no `..`). */
export function isValidSubDir(subDir: string): boolean {
  return !BAD_SUBDIR.test(subDir) && !subDir.split('/').includes('..');
}

/** Normalises and validates the `git:` field of an item. `where` names the item in errors. */
export function parseGitInclude(raw: unknown, file: string, where: string): GitIncludeSpec {
  const obj =
    typeof raw === 'string' ? { url: raw } : (raw as { url?: string; ref?: unknown; subDir?: string });
  const url = obj.url;
  if (!url) throw new ProjectLoadError(`${where}: git.url is required`, { file });
  if (url.toLowerCase().startsWith('file://'))
    throw new ProjectLoadError(`${where}: file:// git urls are not supported: ${url}`, { file });
  const ref = parseGitRef(obj.ref, `${where}.git`, file);
  const subDir = (obj.subDir ?? '').replace(/^\/+|\/+$/g, '');
  if (!isValidSubDir(subDir))
    throw new ProjectLoadError(`${where}: git.subDir contains invalid characters or '..': ${subDir}`, {
      file,
    });
  return { url, ref, subDir };
}

function refKey(ref: GitRef): string {
  if (ref.commit) return `commit=${ref.commit}`;
  if (ref.tag) return `tag=${ref.tag}`;
  if (ref.branch) return `branch=${ref.branch}`;
  return 'default';
}

/** Checks out (once per render) the repository of a git include and returns its project dir. */
export async function checkoutGitInclude(
  ctx: GitIncludeContext,
  spec: GitIncludeSpec,
  file: string,
): Promise<GitCheckout> {
  if (!ctx.git)
    throw new ProjectLoadError(`git include ${spec.url} needs Git access, but none was configured`, { file });
  const key = `${spec.url}#${refKey(spec.ref)}`;
  let pending = ctx.checkouts.get(key);
  if (!pending) {
    const id = createHash('sha256').update(key).digest('hex').slice(0, 12);
    const root = join(ctx.checkoutDir, id);
    const git = ctx.git;
    pending = git
      .checkout(spec.url, spec.ref, root, ctx.gitAuth?.(spec.url))
      .then(({ commit }) => ({ root, commit, id }))
      .catch((err: unknown) => {
        throw new GitSourceError(
          `failed to check out git include ${spec.url} (${refKey(spec.ref)}): ${(err as Error).message}`,
          { cause: err },
        );
      });
    ctx.checkouts.set(key, pending);
  }
  const { root, commit, id } = await pending;
  const projectDir = resolve(root, spec.subDir);
  if (!isInside(root, projectDir) || !existsSync(projectDir) || !statSync(projectDir).isDirectory())
    throw new ProjectLoadError(`git include ${spec.url}: subDir ${spec.subDir} does not exist`, { file });
  return { root, projectDir, commit, id };
}
