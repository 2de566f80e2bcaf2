/** Fixture projects of test/fixtures/projects/, as folders and as file maps for test Git repositories. */
import { fileURLToPath } from 'node:url';
import { readTree } from '../../devenv/git-repo.js';

/** The folder of a fixture project under test/fixtures/projects/. */
export function fixtureDir(name: string): string {
  return fileURLToPath(new URL(`../fixtures/projects/${name}`, import.meta.url));
}

/** Every file of fixture project `name`, keyed by its relative path (what `createRepo` pushes). */
export function fixtureFiles(name: string): Promise<Record<string, string>> {
  return readTree(fixtureDir(name));
}
