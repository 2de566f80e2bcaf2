/**
 * The render side of the Kluctl project engine: load `.kluctl.yaml`, pick the target, load the
 * deployment tree, render every item into the render dir, build it with kustomize, post-process the
 * objects and hash them (kluctl-semantics §1, §2, §3, §5.1, §10.4). Pure of the cluster: scope lookups
 * go through the injected `isNamespaced`.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import type { KubeObject } from '../ports.js';
import { toolPath } from '../tools.js';
import { TemplateEngine } from '../templating/template-engine.js';
import { mergeArgs } from './args.js';
import type { ObjectRefItem } from './deployment-config.js';
import { loadDeploymentItems } from './deployment-tree.js';
import type { PlannedItem, ProjectNode } from './deployment-tree.js';
import { prepareKustomization, renderItemDir } from './item-render.js';
import type { KustomizationFlags } from './item-render.js';
import { readKluctlProjectConfig } from './kluctl-config.js';
import { kustomizeBuild } from './kustomize.js';
import type { Dict } from './merge.js';
import { objectsHash } from './objects-hash.js';
import { fixNamespaces, postprocessItemObjects } from './postprocess.js';
import type { IsNamespaced } from './postprocess.js';
import { loadTargets, selectTarget, targetVars } from './targets.js';
import type { Target } from './targets.js';

export type { Target } from './targets.js';
export type { IsNamespaced } from './postprocess.js';

/** Options of {@link renderProject}. */
export interface RenderOptions {
  /** The Kluctl project dir (may be a subdir of the source). */
  readonly projectDir: string;
  /** Root of the source (the Git checkout); includes and vars files must stay inside. Default: projectDir. */
  readonly sourceRoot?: string;
  /** Target name (`-t`, `spec.target`). Required when the project defines targets. */
  readonly target?: string;
  /** Renames the selected target (`-T`, `spec.targetNameOverride`). */
  readonly targetNameOverride?: string;
  /** External args (`-a`, `spec.args`) as a nested dict; they win over target args and defaults. */
  readonly args?: Record<string, unknown>;
  /** Where items are rendered. Default: a new temp dir, which the caller owns (and deletes). */
  readonly renderDir?: string;
  /** kustomize binary. Default: `toolPath('kustomize')`. */
  readonly kustomizePath?: string;
  /** Scope lookup for the namespace fix-up. Default: a built-in table of common kinds. */
  readonly isNamespaced?: IsNamespaced;
  /** Kube context (`--context`, `spec.context`); wins over the target's `context`. */
  readonly contextOverride?: string;
  /** How many kustomize builds run at once. Default 4. */
  readonly kustomizeConcurrency?: number;
  /** Template engine (shares its parse cache). Default: one engine per process. */
  readonly engine?: TemplateEngine;
  readonly signal?: AbortSignal;
}

/** One deployment item after rendering, in deployment order. */
export interface RenderedItem {
  /** Item dir relative to the source root, forward slashes; "" for items without a dir (barriers). */
  readonly dir: string;
  /** Absolute dir the item was rendered into; undefined for items without a dir. */
  readonly renderedDir?: string;
  readonly tags: readonly string[];
  /** Item `barrier` or the kustomization's `kluctl.io/barrier` annotation. */
  readonly barrier: boolean;
  readonly message?: string;
  /** Item `waitReadiness` or the kustomization's `kluctl.io/wait-readiness` annotation. */
  readonly waitReadiness: boolean;
  readonly onlyRender: boolean;
  readonly alwaysDeploy: boolean;
  readonly skipDeleteIfTags: boolean;
  readonly deleteObjects: readonly ObjectRefItem[];
  readonly waitReadinessObjects: readonly ObjectRefItem[];
  readonly objects: KubeObject[];
}

/** The result of {@link renderProject}. */
export interface RenderedProject {
  /** The selected target after rename and context override. */
  readonly target: Target;
  /** The target's discriminator ("" when none). */
  readonly discriminator: string;
  /** The merged args the project was rendered with. */
  readonly args: Record<string, unknown>;
  readonly items: readonly RenderedItem[];
  /** All objects of all items, in order. */
  readonly objects: readonly KubeObject[];
  readonly objectsHash: string;
  readonly renderDir: string;
  /** Non-fatal findings (targets skipped while loading, ...). */
  readonly warnings: readonly string[];
}

let sharedEngine: TemplateEngine | undefined;
function defaultEngine(): TemplateEngine {
  return (sharedEngine ??= new TemplateEngine());
}

/** Runs `fn` over `items` with at most `limit` calls in flight; results keep the input order. */
async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (x: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return out;
}

function chain(node: ProjectNode): ProjectNode[] {
  const nodes: ProjectNode[] = [];
  for (let n: ProjectNode | undefined = node; n; n = n.parent) nodes.push(n);
  return nodes;
}

/** commonLabels/commonAnnotations of the include chain; the nearer project wins (§2.2). */
function inherited(node: ProjectNode, field: 'commonLabels' | 'commonAnnotations'): Record<string, string> {
  return Object.assign(
    {},
    ...chain(node)
      .reverse()
      .map((n) => n.config[field] ?? {}),
  ) as Record<string, string>;
}

function overrideNamespace(node: ProjectNode): string | undefined {
  return chain(node).find((n) => n.config.overrideNamespace !== undefined)?.config.overrideNamespace;
}

/** Lists the targets of a project (for `list-targets`): rendered, sorted by name. */
export async function listTargets(
  projectDir: string,
  opts: { args?: Record<string, unknown>; engine?: TemplateEngine } = {},
): Promise<Target[]> {
  const config = readKluctlProjectConfig(resolve(projectDir));
  const loaded = await loadTargets(config, opts.args ?? {}, opts.engine ?? defaultEngine());
  return [...loaded.targets];
}

/** Renders a Kluctl project for one target into objects, in deployment order, with their hash. */
export async function renderProject(opts: RenderOptions): Promise<RenderedProject> {
  const engine = opts.engine ?? defaultEngine();
  const projectDir = resolve(opts.projectDir);
  const sourceRoot = resolve(opts.sourceRoot ?? projectDir);
  const externalArgs: Dict = opts.args ?? {};

  const config = readKluctlProjectConfig(projectDir);
  const loaded = await loadTargets(config, externalArgs, engine);
  const target = selectTarget(loaded, {
    name: opts.target,
    nameOverride: opts.targetNameOverride,
    contextOverride: opts.contextOverride,
  });
  const args = mergeArgs({ declarations: config.args, targetArgs: target.args, externalArgs });
  const discriminator = target.discriminator ?? '';

  const planned = await loadDeploymentItems({
    engine,
    sourceRoot,
    projectDir,
    vars: { target: targetVars(target), args },
  });
  const renderDir = opts.renderDir
    ? resolve(opts.renderDir)
    : await mkdtemp(join(tmpdir(), 'kluctl-render-'));
  const dest = (p: PlannedItem): string => join(renderDir, p.renderedRelDir);

  // Render everything first: kustomizations may use other rendered items (onlyRender bases) (§4.1).
  await mapLimit(planned, 4, async (p) => {
    if (p.absDir)
      await renderItemDir({ engine, sourceRoot, srcDir: p.absDir, destDir: dest(p), vars: p.vars });
  });
  const kustomize = opts.kustomizePath ?? toolPath('kustomize');
  const built = await mapLimit(planned, opts.kustomizeConcurrency ?? 4, async (p) => {
    if (!p.absDir || p.config.onlyRender) return { objects: [] as KubeObject[], flags: undefined };
    const flags = await prepareKustomization({
      dir: dest(p),
      relDir: p.relDir,
      recursive: p.config.recursive ?? false,
      overrideNamespace: overrideNamespace(p.project),
    });
    const objects = await kustomizeBuild({
      binary: kustomize,
      dir: dest(p),
      label: p.relDir,
      signal: opts.signal,
    });
    return { objects, flags };
  });

  const items = await Promise.all(
    planned.map((p, i) => finishItem(p, built[i]!, discriminator, p.absDir ? dest(p) : undefined)),
  );
  const objects = items.flatMap((i) => i.objects);
  await fixNamespaces(objects, opts.isNamespaced);
  return {
    target,
    discriminator,
    args,
    items,
    objects,
    objectsHash: objectsHash(objects),
    renderDir,
    warnings: loaded.warnings,
  };
}

async function finishItem(
  p: PlannedItem,
  built: { objects: KubeObject[]; flags: KustomizationFlags | undefined },
  discriminator: string,
  renderedDir: string | undefined,
): Promise<RenderedItem> {
  const c = p.config;
  const objects = p.absDir
    ? postprocessItemObjects(built.objects, {
        commonLabels: inherited(p.project, 'commonLabels'),
        commonAnnotations: inherited(p.project, 'commonAnnotations'),
        discriminator,
        tags: p.tags,
        itemDir: p.relDir,
        skipDeleteIfTags: c.skipDeleteIfTags ?? false,
      })
    : [];
  // Kluctl keeps `.rendered.yml` next to each built item for external tools.
  if (renderedDir && !c.onlyRender)
    await writeFile(join(renderedDir, '.rendered.yml'), objects.map((o) => stringify(o)).join('---\n'));
  return {
    dir: p.relDir,
    ...(renderedDir ? { renderedDir } : {}),
    tags: p.tags,
    barrier: (c.barrier ?? false) || (built.flags?.barrier ?? false),
    ...(c.message !== undefined ? { message: c.message } : {}),
    waitReadiness: (c.waitReadiness ?? false) || (built.flags?.waitReadiness ?? false),
    onlyRender: c.onlyRender ?? false,
    alwaysDeploy: c.alwaysDeploy ?? false,
    skipDeleteIfTags: c.skipDeleteIfTags ?? false,
    deleteObjects: c.deleteObjects ?? [],
    waitReadinessObjects: c.waitReadinessObjects ?? [],
    objects,
  };
}
