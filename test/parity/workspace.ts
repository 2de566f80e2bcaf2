/**
 * The inputs of the parity suite laid out as users have them: Kluctl's examples extracted from their
 * tarball into one Git repository (the projects are sub-folders of it, as in a clone of
 * kluctl-examples), and each fixture project of ours (test/fixtures/projects/*, examples/demo) as the
 * root of its own repository. Every repository has one commit and an `origin` remote, so both tools
 * find the Git root and the project key the way they do in a real checkout.
 */
import { cp, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { commitAll } from '../../devenv/git-repo.js';
import { extractExamples } from '../../devenv/reference-kluctl.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** A Git repository of the workspace. */
export interface WorkspaceRepo {
  /** Short name, also the repository name on the test Git server. */
  readonly name: string;
  /** The work tree. */
  readonly dir: string;
}

/** The prepared inputs; `dispose()` removes them. */
export interface Workspace {
  readonly root: string;
  /** kluctl-examples at commit 8dcccb8. */
  readonly examples: WorkspaceRepo;
  /** One repository per fixture project of ours, named `fixture-<name>` (`fixture-demo` for examples/demo). */
  readonly fixtures: readonly WorkspaceRepo[];
  dispose(): Promise<void>;
}

/** The fixture projects of ours: every folder of test/fixtures/projects, and examples/demo. */
export async function fixtureProjectDirs(): Promise<{ name: string; dir: string }[]> {
  const base = join(ROOT, 'test/fixtures/projects');
  const names = (await readdir(base, { withFileTypes: true })).filter((e) => e.isDirectory());
  return [
    ...names.map((e) => ({ name: e.name, dir: join(base, e.name) })),
    { name: 'demo', dir: join(ROOT, 'examples/demo') },
  ].sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * Prepares the workspace in a new temp folder. `originOf(name)` gives each repository's remote URL
 * (the test Git server's, or any URL when nothing is pushed).
 */
export async function prepareWorkspace(
  originOf: (name: string) => string = (n) => `https://git.invalid/${n}.git`,
): Promise<Workspace> {
  const root = await mkdtemp(join(tmpdir(), 'ks-parity-'));
  const examplesDir = await extractExamples(root);
  await commitAll(examplesDir, originOf('kluctl-examples'));
  const fixtures: WorkspaceRepo[] = [];
  for (const f of await fixtureProjectDirs()) {
    const name = `fixture-${f.name}`;
    const dir = join(root, name);
    await cp(f.dir, dir, { recursive: true });
    await commitAll(dir, originOf(name));
    fixtures.push({ name, dir });
  }
  return {
    root,
    examples: { name: 'kluctl-examples', dir: examplesDir },
    fixtures,
    dispose: () => rm(root, { recursive: true, force: true }),
  };
}
