/**
 * The root folder of this package, found from the running module: the nearest folder above it that
 * holds package.json. The same code runs from the sources (lib/...) and from the bundles of
 * `npm run build` (dist/cli/chunks/...), whose depths differ, so paths like `../tools/versions.env`
 * relative to a module would break in one of them.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: string | undefined;

/** The package root; throws when no package.json is above this module (e.g. inside a Lambda bundle). */
export function packageRoot(): string {
  if (cached !== undefined) return cached;
  const start = dirname(fileURLToPath(import.meta.url));
  for (let dir = start; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return (cached = dir);
    if (dirname(dir) === dir) break;
  }
  throw new Error(`no package.json above ${start}: the repository's files (tools/, crds/) are not here`);
}

/** A file of this package, by its path relative to the package root (e.g. `tools/versions.env`). */
export function packageFile(relPath: string): string {
  return join(packageRoot(), relPath);
}
