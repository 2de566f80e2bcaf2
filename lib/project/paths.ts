/** Path helpers for project loading: containment checks and Kluctl's `.yml`/`.yaml` lookup. */
import { existsSync } from 'node:fs';
import { join, relative, isAbsolute, sep } from 'node:path';

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
