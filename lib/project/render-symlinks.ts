/**
 * Symlinks in deployment items, as Kluctl resolves them. Kluctl copies every symlink of an item into
 * the render tree as it is, renders all items into that one tree and lets kustomize read it with the
 * tree as its file system root: a relative link into another item's dir (an `onlyRender` item, say)
 * then reads that item's *rendered* files; a link to anything that was not rendered dangles, and one
 * leaving the tree is refused. kustomize's own loader refuses files outside the dir it builds, so links
 * that resolve inside the tree are replaced here by copies of what they point to; the others stay
 * links and fail in kustomize when used, as they fail in Kluctl.
 */
import { copyFile, lstat, mkdir, readdir, readlink, realpath, rm, stat, symlink } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { KsError, ProjectLoadError, ToolError } from '../errors.js';
import { RENDER_GIT_CHECKOUTS_DIR } from './deployment-tree.js';
import { RENDER_GIT_INCLUDES_DIR } from './planned-item.js';
import type { PlannedItem } from './planned-item.js';
import type { ItemBuilder } from './build-item.js';
import { isInside, toSlash } from './paths.js';

/** Where a rendered item's links may point: its source's part of the render tree. */
export interface SymlinkScope {
  /** The render tree of the item's source (the render dir, or a git include's part of it). */
  readonly root: string;
  /** Dirs inside `root` that hold no rendered items (git checkouts, other sources). */
  readonly excluded: readonly string[];
}

/** The scope of an item's links: its source's render tree, without the checkouts and other sources. */
export function symlinkScope(renderDir: string, p: PlannedItem): SymlinkScope {
  if (p.project.sourceId)
    return { root: join(renderDir, RENDER_GIT_INCLUDES_DIR, p.project.sourceId), excluded: [] };
  return {
    root: renderDir,
    excluded: [join(renderDir, RENDER_GIT_INCLUDES_DIR), join(renderDir, RENDER_GIT_CHECKOUTS_DIR)],
  };
}

/** Links inside links inside copied dirs, at most; deeper means a loop. */
const MAX_DEPTH = 40;

async function resolveInScope(link: string, scope: SymlinkScope): Promise<string | undefined> {
  const target = resolve(dirname(link), await readlink(link));
  const real = await realpath(target).catch(() => undefined);
  if (real === undefined || !isInside(scope.root, real)) return undefined;
  return scope.excluded.some((d) => isInside(d, real)) ? undefined : real;
}

/** Copies `src` (a real path) to `dest`; links met below are resolved against their real location. */
async function copyResolved(src: string, dest: string, scope: SymlinkScope, depth: number): Promise<void> {
  if (depth > MAX_DEPTH)
    throw new ProjectLoadError(
      `symlinks loop below ${toSlash(relative(scope.root, src))}: a link points to a dir that holds it`,
    );
  if (!(await stat(src)).isDirectory()) {
    await copyFile(src, dest);
    return;
  }
  await mkdir(dest, { recursive: true });
  for (const e of await readdir(src, { withFileTypes: true })) {
    const s = join(src, e.name);
    const d = join(dest, e.name);
    if (e.isSymbolicLink()) {
      const real = await resolveInScope(s, scope);
      // Out of scope or dangling: an absolute link to where it pointed, so kustomize fails as Kluctl's does.
      if (real === undefined) await symlink(resolve(src, await readlink(s)), d);
      else await copyResolved(real, d, scope, depth + 1);
    } else if (e.isDirectory()) await copyResolved(s, d, scope, depth + 1);
    else await copyFile(s, d);
  }
}

/** A link that stays a link: it dangles or leaves the render tree. */
export interface UnresolvedLink {
  /** Path of the link below the rendered item dir, forward slashes. */
  readonly path: string;
  /** What it points to, as written. */
  readonly target: string;
}

/** What {@link materialiseSymlinks} did in one rendered item dir. */
export interface MaterialisedLinks {
  /** Links left as they are. */
  readonly unresolved: UnresolvedLink[];
  /** Dirs below the item dir that were links to dirs (paths with forward slashes). */
  readonly linkedDirs: string[];
}

async function materialiseIn(
  top: string,
  dir: string,
  scope: SymlinkScope,
  out: MaterialisedLinks,
): Promise<void> {
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) await materialiseIn(top, p, scope, out);
    else if (e.isSymbolicLink()) {
      const real = await resolveInScope(p, scope);
      if (real === undefined) {
        out.unresolved.push({ path: toSlash(relative(top, p)), target: await readlink(p) });
        continue;
      }
      await rm(p);
      await copyResolved(real, p, scope, 0);
      if ((await stat(p)).isDirectory()) out.linkedDirs.push(toSlash(relative(top, p)));
    }
  }
}

/**
 * Replaces every symlink below the rendered item dir `dir` that resolves inside `scope` by a copy of
 * its target (recursively for dirs). Run after all items are rendered, so links see rendered files.
 */
export async function materialiseSymlinks(dir: string, scope: SymlinkScope): Promise<MaterialisedLinks> {
  const out: MaterialisedLinks = { unresolved: [], linkedDirs: [] };
  if ((await lstat(dir).catch(() => undefined))?.isDirectory()) await materialiseIn(dir, dir, scope, out);
  return out;
}

/**
 * Wraps an item builder so that a failed build of an item holding unresolved links says why they do
 * not resolve (kustomize only reports a missing file or a security violation).
 */
export function withLinkHint(build: ItemBuilder, links: readonly UnresolvedLink[] | undefined): ItemBuilder {
  if (!links || links.length === 0) return build;
  return async (dir, label, signal) => {
    try {
      return await build(dir, label, signal);
    } catch (err) {
      if (!(err instanceof KsError)) throw err;
      const list = links.map((l) => `${label}/${l.path} -> ${l.target}`).join(', ');
      throw new ToolError(
        `${err.message}\nsymlinks that do not resolve: ${list}. A symlink may only point to files of ` +
          'deployment items of the same project, which are rendered side by side (Kluctl renders no other files).',
        { cause: err },
      );
    }
  };
}
