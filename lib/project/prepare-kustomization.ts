/**
 * Prepares the kustomization of one rendered deployment item (kluctl-semantics §2.5, §2.9): reads it,
 * or generates it from the rendered YAML files when the item has none, applies `overrideNamespace`,
 * pins the output order, and reads Kluctl's item flags from its annotations.
 */
import { readFile, readdir, realpath, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ProjectLoadError } from '../errors.js';
import { isDict } from './merge.js';
import type { Dict } from './merge.js';
import { findConfigFile, isInside } from './paths.js';
import { parseYaml } from '../util/strict-yaml.js';
import { isGoTrue } from '../util/go-bool.js';
import { readYamlTreeAll, writeYaml } from '../util/yaml.js';

const KUSTOMIZATION_NAMES = ['kustomization.yml', 'kustomization.yaml', 'Kustomization'];

/** Flags Kluctl reads from the kustomization's `metadata.annotations` (§2.5). */
export interface KustomizationFlags {
  readonly barrier: boolean;
  readonly waitReadiness: boolean;
}

function isYamlName(name: string): boolean {
  const l = name.toLowerCase();
  return l.endsWith('.yml') || l.endsWith('.yaml');
}

function isHelmFile(name: string): boolean {
  return ['helm-values.yml', 'helm-values.yaml', 'helm-chart.yml', 'helm-chart.yaml'].includes(
    name.toLowerCase(),
  );
}

/**
 * The files of a rendered item as Kluctl lists them for a generated kustomization. Symlinks count as
 * files and are not followed: links left after render-symlinks.ts are listed, and the dirs in
 * `linkedDirs` (links to dirs, now copies) are neither files nor walked into.
 */
async function listFiles(
  dir: string,
  recursive: boolean,
  linkedDirs: readonly string[],
  prefix = '',
): Promise<string[]> {
  const entries = await readdir(join(dir, prefix), { withFileTypes: true });
  const out: string[] = [];
  for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const relPath = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isFile() || e.isSymbolicLink()) out.push(relPath);
    else if (e.isDirectory() && recursive && e.name !== '.git' && !linkedDirs.includes(relPath))
      out.push(...(await listFiles(dir, true, linkedDirs, relPath)));
  }
  return out;
}

async function generateKustomization(
  dir: string,
  recursive: boolean,
  relDir: string,
  linkedDirs: readonly string[],
): Promise<Dict> {
  const files = await listFiles(dir, recursive, linkedDirs);
  if (recursive && files.some((f) => KUSTOMIZATION_NAMES.includes(f.split('/').pop()!))) {
    throw new ProjectLoadError(
      `recursive: true cannot be used when a (nested) kustomization.yaml/yml already exists in ${relDir}`,
    );
  }
  const resources = files.filter((f) => isYamlName(f) && !isHelmFile(f.split('/').pop()!));
  return { resources };
}

/**
 * Checks that local resource files parse as YAML (as kustomize reads them), so errors name the rendered
 * file and line.
 */
async function checkResourceFiles(dir: string, kustomization: Dict, relDir: string): Promise<void> {
  const resources = Array.isArray(kustomization.resources) ? kustomization.resources : [];
  for (const r of resources) {
    if (typeof r !== 'string' || !isYamlName(r)) continue;
    const p = join(dir, r);
    // A link still here points outside the render tree: kustomize refuses it, it is never read here.
    if (!existsSync(p) || !isInside(await realpath(dir), await realpath(p))) continue;
    readYamlTreeAll(await readFile(p, 'utf8'), relDir === '.' ? r : `${relDir}/${r}`, {
      dialect: 'kustomize',
    });
  }
}

/** Inputs of {@link prepareKustomization}. */
export interface PrepareKustomizationInput {
  /** The rendered item dir. */
  readonly dir: string;
  /** The item dir relative to the source root (for messages). */
  readonly relDir: string;
  readonly recursive: boolean;
  /** The nearest `overrideNamespace` of the include chain. */
  readonly overrideNamespace?: string;
  /** Dirs of the item that were symlinks to dirs (see render-symlinks.ts). Default none. */
  readonly linkedDirs?: readonly string[];
}

/**
 * Reads or generates the kustomization of a rendered item, applies overrideNamespace, pins the output
 * order and writes it back. Returns the item flags found in its annotations.
 */
export async function prepareKustomization(input: PrepareKustomizationInput): Promise<KustomizationFlags> {
  const existing = findConfigFile(input.dir, KUSTOMIZATION_NAMES);
  let kustomization: Dict;
  if (existing) {
    if (input.recursive)
      throw new ProjectLoadError(
        `recursive: true cannot be used when a kustomization.yaml/yml already exists in ${input.relDir}`,
      );
    const name = `${input.relDir}/${existing.split(/[\\/]/).pop()}`;
    const parsed = parseYaml(await readFile(existing, 'utf8'), name) ?? {};
    if (!isDict(parsed)) throw new ProjectLoadError('kustomization must be a YAML object', { file: name });
    kustomization = parsed;
  } else {
    kustomization = await generateKustomization(
      input.dir,
      input.recursive,
      input.relDir,
      input.linkedDirs ?? [],
    );
  }
  if (input.overrideNamespace !== undefined && kustomization.namespace === undefined)
    kustomization.namespace = input.overrideNamespace;
  // Kluctl builds in-process without kustomize's legacy kind ordering; the CLI sorts unless told not to.
  if (kustomization.sortOptions === undefined) kustomization.sortOptions = { order: 'fifo' };
  await checkResourceFiles(input.dir, kustomization, input.relDir);
  await writeFile(existing ?? join(input.dir, 'kustomization.yml'), writeYaml(kustomization));
  const annotations =
    isDict(kustomization.metadata) && isDict(kustomization.metadata.annotations)
      ? kustomization.metadata.annotations
      : {};
  return {
    barrier: isGoTrue(annotations['kluctl.io/barrier']),
    waitReadiness: isGoTrue(annotations['kluctl.io/wait-readiness']),
  };
}
