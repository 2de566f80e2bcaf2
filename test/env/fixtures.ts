/** Fixture projects as file maps, for pushing into test Git repositories. */
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The folder of a fixture project under test/fixtures/projects/. */
export function fixtureDir(name: string): string {
  return fileURLToPath(new URL(`../fixtures/projects/${name}`, import.meta.url));
}

/** Every file below `dir`, keyed by its path relative to `dir` (forward slashes). */
export async function readTree(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const walk = async (d: string): Promise<void> => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else out[relative(dir, p).split('\\').join('/')] = await readFile(p, 'utf8');
    }
  };
  await walk(dir);
  return out;
}
