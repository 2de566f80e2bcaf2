/** Path helpers for project loading: containment checks, Kluctl's `.yml`/`.yaml` lookup and repo roots. */
import { existsSync, lstatSync, readlinkSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';

/** Whether `child` is `root` or lies below it (both absolute, normalised). */
export function isInside(root: string, child: string): boolean {
  const rel = relative(root, child);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

/** Forward slashes, as Kluctl writes dirs into annotations and results. */
export function toSlash(p: string): string {
  return sep === '/' ? p : p.split(sep).join('/');
}

/**
 * The first existing file among `names` in `dir` (Kluctl tries the `.yml` spelling, then `.yaml`);
 * undefined when none exists.
 */
export function findConfigFile(dir: string, names: readonly string[]): string | undefined {
  for (const name of names) {
    const p = join(dir, name);
    if (existsSync(p)) return p;
  }
  return undefined;
}

/**
 * The Git repository a dir lives in, found as Kluctl finds it: the nearest ancestor (or the dir itself)
 * holding a `.git` *directory*. A `.git` file (worktrees, submodules) does not count, so such a
 * checkout resolves to an outer repository or to none. Undefined when no ancestor has one.
 */
export function detectGitRepositoryRoot(dir: string): string | undefined {
  for (let d = resolve(dir); ; d = dirname(d)) {
    const st = statSync(join(d, '.git'), { throwIfNoEntry: false });
    if (st?.isDirectory()) return d;
    if (dirname(d) === d) return undefined;
  }
}

/** How many symlinks {@link secureJoin} follows before giving up (as filepath-securejoin does). */
const MAX_SYMLINKS = 255;

/**
 * Joins `unsafe` onto `root` the way Kluctl's securejoin does: `..` never climbs above `root` (it stops
 * there), and symlinks met on the way are resolved as if `root` were the file system root. The result
 * always lies inside `root`; parts that do not exist are joined lexically.
 */
export function secureJoin(root: string, unsafe: string): string {
  const base = resolve(root);
  let pending = unsafe.split(/[\\/]+/);
  const parts: string[] = [];
  let links = 0;
  while (pending.length > 0) {
    const part = pending.shift()!;
    if (part === '' || part === '.') continue;
    if (part === '..') {
      parts.pop();
      continue;
    }
    const candidate = join(base, ...parts, part);
    const st = lstatSync(candidate, { throwIfNoEntry: false });
    if (!st?.isSymbolicLink()) {
      parts.push(part);
      continue;
    }
    if (++links > MAX_SYMLINKS) throw new Error(`too many symlinks below ${root} resolving ${unsafe}`);
    const target = readlinkSync(candidate);
    // An absolute link target starts again at the root; a relative one continues from the link's dir.
    if (isAbsolute(target)) parts.length = 0;
    pending = [...target.split(/[\\/]+/), ...pending];
  }
  return join(base, ...parts);
}
