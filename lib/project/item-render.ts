/**
 * Renders one deployment item dir into the render dir (kluctl-semantics §2.5, 2.9, 3.1) and prepares
 * its kustomization: every file is rendered as a template (files without `{`, `.git` dirs and Helm
 * chart dirs are copied verbatim, symlinks are copied as links); a missing kustomization.yml is
 * generated from the rendered YAML files.
 */
import { mkdir, readFile, readdir, readlink, realpath, symlink, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ProjectLoadError } from '../errors.js';
import type { TemplateEngine } from '../templating/template-engine.js';
import { isDict } from './merge.js';
import type { Dict } from './merge.js';
import { findConfigFile, isInside, toSlash } from './paths.js';
import { parseYaml } from '../util/strict-yaml.js';
import { readYamlTreeAll, writeYaml } from '../util/yaml.js';
import type { TemplateGlobals } from './template-functions.js';
import { TemplateIgnore } from './template-ignore.js';
import { decodeTemplateFile } from './utf8-text.js';

const KUSTOMIZATION_NAMES = ['kustomization.yml', 'kustomization.yaml', 'Kustomization'];

/** Strings Go's strconv.ParseBool reads as true; Kluctl parses boolean annotations with it. */
const TRUE_STRINGS = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);

/** Whether an annotation value means true. */
export function isTrueAnnotation(v: unknown): boolean {
  return typeof v === 'string' && TRUE_STRINGS.has(v);
}

/** Inputs of {@link renderItemDir}. */
export interface RenderItemDirInput {
  readonly engine: TemplateEngine;
  readonly sourceRoot: string;
  readonly srcDir: string;
  readonly destDir: string;
  readonly vars: Dict;
  /** `.templateignore` scopes down to srcDir. Default: collected from the source root to srcDir. */
  readonly templateIgnore?: TemplateIgnore;
  /** The template globals (load_template, images.get_image, ...) for one file (absolute path). */
  readonly globalsFor?: (file: string) => TemplateGlobals;
  /** Inside a Helm chart dir: copy everything below verbatim. */
  readonly verbatim?: boolean;
}

/** Kluctl hands a file to Jinja only when it contains `{`; any other file is copied as it is. */
function mayBeTemplate(buf: Buffer): boolean {
  return buf.includes(0x7b);
}

/** Renders every file below srcDir into destDir, mirroring the layout. */
export async function renderItemDir(input: RenderItemDirInput): Promise<void> {
  const ignores = (input.templateIgnore ?? TemplateIgnore.forDir(input.sourceRoot, input.srcDir)).withDir(
    input.sourceRoot,
    input.srcDir,
  );
  await mkdir(input.destDir, { recursive: true });
  const entries = await readdir(input.srcDir, { withFileTypes: true });
  // A Helm chart is never rendered by Kluctl: its Go templates would break Jinja.
  const verbatim = input.verbatim === true || entries.some((e) => e.isFile() && e.name === 'Chart.yaml');
  for (const e of entries) {
    const src = join(input.srcDir, e.name);
    const dest = join(input.destDir, e.name);
    const rel = toSlash(relative(input.sourceRoot, src));
    if (e.isSymbolicLink()) {
      // Copied as they are, like Kluctl; lib/project/render-symlinks.ts resolves them once all items are rendered.
      await symlink(await readlink(src), dest);
    } else if (e.isDirectory()) {
      if (e.name === '.git') continue;
      await renderItemDir({ ...input, srcDir: src, destDir: dest, templateIgnore: ignores, verbatim });
    } else if (e.isFile()) {
      const buf = await readFile(src);
      const globals = input.globalsFor?.(src);
      // Not UTF-8 while holding `{` fails as in Kluctl, whose Jinja reads templates as UTF-8.
      const rendered =
        verbatim || !mayBeTemplate(buf) || ignores.isFileIgnored(rel)
          ? buf
          : await input.engine.render(decodeTemplateFile(buf, rel), input.vars, {
              file: rel,
              ...(globals ? { globals } : {}),
            });
      await writeFile(dest, rendered);
    }
  }
}

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
    barrier: isTrueAnnotation(annotations['kluctl.io/barrier']),
    waitReadiness: isTrueAnnotation(annotations['kluctl.io/wait-readiness']),
  };
}
