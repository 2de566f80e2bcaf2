/**
 * The per-item steps of a render after the tree is loaded (kluctl-semantics §2.9, §2.10): build each
 * rendered item dir with kustomize, post-process its objects (labels, annotations, image placeholders)
 * and describe it as a RenderedItem.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fixedImagesFromVars } from '../images/fixed-images.js';
import type { FixedImage } from '../images/fixed-images.js';
import { IMAGE_PLACEHOLDER_BEGIN, resolveImagePlaceholders } from '../images/placeholders.js';
import type { KubeObject } from '../ports.js';
import type { ObjectRefItem } from './deployment-config.js';
import type { PlannedItem, ProjectNode } from './planned-item.js';
import { prepareKustomization } from './prepare-kustomization.js';
import type { KustomizationFlags } from './prepare-kustomization.js';
import { kustomizeBuild } from './kustomize.js';
import { postprocessItemObjects } from './postprocess.js';
import { writeYamlAll } from '../util/yaml.js';

/** One deployment item after rendering, in deployment order. */
export interface RenderedItem {
  /** Item dir relative to its source root, forward slashes; "" for items without a dir (barriers). */
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
  /** Raw `ignoreForDiff` rules of the item's project and its parents (validated by lib/deploy/diff). */
  readonly ignoreForDiff: readonly unknown[];
  /** Raw `conflictResolution` rules of the item's project and its parents, parents first (§2.7). */
  readonly conflictResolution: readonly unknown[];
  readonly objects: KubeObject[];
}

/** Builds a rendered item dir: returns its objects in output order. */
export type ItemBuilder = (dir: string, label: string, signal?: AbortSignal) => Promise<KubeObject[]>;

/** The default builder: the real kustomize binary. */
export function binaryBuilder(binary: string): ItemBuilder {
  return (dir, label, signal) => kustomizeBuild({ binary, dir, label, ...(signal ? { signal } : {}) });
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

/** The output of building one item. */
export interface BuiltItem {
  readonly objects: KubeObject[];
  readonly flags: KustomizationFlags | undefined;
}

/** How {@link buildItem} builds one item. */
export interface BuildItemOptions {
  /** Absolute dir the item was rendered into; undefined for items without a dir. */
  readonly renderedDir: string | undefined;
  readonly build: ItemBuilder;
  /** Dirs of the rendered item that were symlinks to dirs (a generated recursive kustomization skips them). */
  readonly linkedDirs?: readonly string[];
  readonly signal?: AbortSignal;
}

/** Prepares the kustomization of a rendered item and builds it; onlyRender items and barriers build nothing. */
export async function buildItem(p: PlannedItem, o: BuildItemOptions): Promise<BuiltItem> {
  if (!o.renderedDir || p.config.onlyRender) return { objects: [], flags: undefined };
  const ns = overrideNamespace(p.project);
  const flags = await prepareKustomization({
    dir: o.renderedDir,
    relDir: p.relDir,
    recursive: p.config.recursive ?? false,
    ...(ns !== undefined ? { overrideNamespace: ns } : {}),
    ...(o.linkedDirs ? { linkedDirs: o.linkedDirs } : {}),
  });
  return { objects: await o.build(o.renderedDir, p.relDir, o.signal), flags };
}

/** Inputs of {@link finishItem} besides the item itself. */
export interface FinishItemInput {
  readonly discriminator: string;
  /** Absolute dir the item was rendered into (undefined for barriers). */
  readonly renderedDir: string | undefined;
  /** Target images, then fixed-images file / `-F` (controller: target images, then spec.images). */
  readonly fixedImages: readonly FixedImage[];
  /** Collects every resolved image placeholder. */
  readonly seenImages: FixedImage[];
  /** The live object, for `deployedImage` of seen images. */
  readonly remoteObject?: (o: KubeObject) => Promise<KubeObject | undefined>;
}

/** Post-processes one built item (§2.10 steps 1–4) and writes its `.rendered.yml`. */
export async function finishItem(
  p: PlannedItem,
  built: BuiltItem,
  input: FinishItemInput,
): Promise<RenderedItem> {
  const c = p.config;
  const objects = p.absDir
    ? postprocessItemObjects(built.objects, {
        commonLabels: inherited(p.project, 'commonLabels'),
        commonAnnotations: inherited(p.project, 'commonAnnotations'),
        discriminator: input.discriminator,
        tags: p.tags,
        itemDir: p.relDir,
        skipDeleteIfTags: c.skipDeleteIfTags ?? false,
      })
    : [];
  if (objects.length > 0) {
    const varsImages = fixedImagesFromVars(p.vars.images);
    for (const o of objects) {
      // Only objects holding a placeholder cost anything (and only those ask the cluster).
      if (!JSON.stringify(o).includes(IMAGE_PLACEHOLDER_BEGIN)) continue;
      const remote = input.remoteObject ? await input.remoteObject(o) : undefined;
      input.seenImages.push(
        ...resolveImagePlaceholders(o, {
          fixedImages: input.fixedImages,
          varsImages,
          deploymentDir: p.relDir,
          tags: p.tags,
          ...(remote ? { remote } : {}),
        }),
      );
    }
  }
  // Kluctl keeps `.rendered.yml` next to each built item for external tools.
  if (input.renderedDir && !c.onlyRender)
    await writeFile(join(input.renderedDir, '.rendered.yml'), writeYamlAll(objects));
  return {
    dir: p.relDir,
    ...(input.renderedDir ? { renderedDir: input.renderedDir } : {}),
    tags: p.tags,
    barrier: (c.barrier ?? false) || (built.flags?.barrier ?? false),
    ...(c.message !== undefined ? { message: c.message } : {}),
    waitReadiness: (c.waitReadiness ?? false) || (built.flags?.waitReadiness ?? false),
    onlyRender: c.onlyRender ?? false,
    alwaysDeploy: c.alwaysDeploy ?? false,
    skipDeleteIfTags: c.skipDeleteIfTags ?? false,
    deleteObjects: c.deleteObjects ?? [],
    waitReadinessObjects: c.waitReadinessObjects ?? [],
    ignoreForDiff: chain(p.project).flatMap((n) => n.config.ignoreForDiff ?? []),
    conflictResolution: chain(p.project)
      .reverse()
      .flatMap((n) => n.config.conflictResolution ?? []),
    objects,
  };
}
