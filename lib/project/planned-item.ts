/**
 * The deployment items as the tree walk (deployment-tree.ts) hands them to rendering (kluctl-semantics
 * §2.8, §2.9): the loaded project nodes, and each item planned with its effective tags, its dir checked
 * as Kluctl checks it, its template search dirs and the dir it is rendered into.
 */
import { existsSync, statSync } from 'node:fs';
import { join, posix, relative } from 'node:path';
import { ProjectLoadError } from '../errors.js';
import type { DeploymentItemConfig, DeploymentProjectConfig } from './deployment-config.js';
import type { Dict } from './merge.js';
import { isInside, secureJoin, toSlash } from './paths.js';

/** One loaded deployment project (a deployment.yaml, or the implicit one of a plain root dir). */
export interface ProjectNode {
  /** Absolute project dir, `relDir` joined onto the source root as Kluctl's securejoin does. */
  readonly absDir: string;
  /** The project dir as written, joined lexically onto its parent's (may start with `../`). */
  readonly relDir: string;
  /** Absolute root of the source this project lives in (the repository, or a git include's checkout). */
  readonly sourceRoot: string;
  /** "" for the root source, the checkout id for git includes. */
  readonly sourceId: string;
  readonly config: DeploymentProjectConfig;
  /** Variables after the project's own `vars:`. */
  readonly vars: Dict;
  readonly parent?: ProjectNode;
  /** The item of the parent that included this project (tags already defaulted). */
  readonly parentInclude?: DeploymentItemConfig;
}

/** One flattened deployment item, ready to be rendered. */
export interface PlannedItem {
  readonly project: ProjectNode;
  /** Item config with default tags applied; a synthetic `{barrier: true}` for include barriers. */
  readonly config: DeploymentItemConfig;
  /** Absolute item dir; undefined for items without `path` (barriers, deleteObjects). */
  readonly absDir?: string;
  /** Item dir relative to the source root, forward slashes; "" when there is no dir. */
  readonly relDir: string;
  /** Dir inside the render dir: relDir, suffixed `-<n>` when the same dir is used again (§2.9). */
  readonly renderedRelDir: string;
  /** Variables for rendering the item's files (project vars plus item `vars:`). */
  readonly vars: Dict;
  /** Effective tags in Kluctl's order, deduplicated (§2.8). */
  readonly tags: readonly string[];
  /** Template search dirs for the item's files: item dir, project dir, parent projects of the same source. */
  readonly searchDirs: readonly string[];
}

/** Below the render dir: where items of git includes are rendered (one dir per checkout). */
export const RENDER_GIT_INCLUDES_DIR = '.git-includes';

/** The project dir and its parents' dirs, up to the first project of another source (§3.1). */
export function searchDirs(node: { absDir: string; sourceRoot: string; parent?: ProjectNode }): string[] {
  const dirs: string[] = [];
  for (
    let n: { absDir: string; sourceRoot: string; parent?: ProjectNode } | undefined = node;
    n && n.sourceRoot === node.sourceRoot;
    n = n.parent
  )
    dirs.push(n.absDir);
  return dirs;
}

/** Kluctl's default tag: the basename of `path`/`include` when the item has no tags (§2.8). */
export function withDefaultTags(item: DeploymentItemConfig): DeploymentItemConfig {
  if (item.tags && item.tags.length > 0) return item;
  const p = item.path ?? item.include;
  const tag = p === undefined ? '' : posix.basename(p.replace(/\\/g, '/').replace(/\/+$/, ''));
  return tag && tag !== '.' && tag !== '..' ? { ...item, tags: [tag] } : item;
}

/**
 * The dir of a `path:` item, checked as Kluctl checks it: the path joined onto the project's dir
 * relative to the source root, with `..` stopping at the root (so a path leaving the repository names a
 * dir inside it, which usually does not exist), must be a dir. The dir rendered is the plain join.
 */
function checkItemPath(node: ProjectNode, p: string): string {
  const checked = secureJoin(node.sourceRoot, join(node.relDir, p));
  if (!existsSync(checked)) throw new ProjectLoadError(`deployment directory does not exist: ${p}`);
  if (!statSync(checked).isDirectory())
    throw new ProjectLoadError(`deployment path is not a directory: ${p}`);
  const abs = join(node.absDir, p);
  // Only reachable when the clamped dir exists but the plain one lies outside (Kluctl then fails late).
  if (!isInside(node.sourceRoot, abs))
    throw new ProjectLoadError(`path/include is not part of the deployment project: ${p}`);
  return abs;
}

/** The tags of the include chain of `node`, nearest first, deduplicated (§2.8). */
function projectTags(node: ProjectNode): string[] {
  const tags: string[] = [];
  const add = (ts: readonly string[] | undefined): void =>
    ts?.forEach((t) => tags.includes(t) || tags.push(t));
  for (let n: ProjectNode | undefined = node; n; n = n.parent) {
    add(n.config.tags);
    add(n.parentInclude?.tags);
  }
  return tags;
}

/**
 * Plans one item of `node` (§2.9): its effective tags, its dir checked as Kluctl checks it, and where
 * it is rendered. `dirUses` counts the item dirs planned so far in this render, so a dir used again
 * renders into `<dir>-<n>`.
 */
export function planItem(
  node: ProjectNode,
  config: DeploymentItemConfig,
  vars: Dict,
  dirUses: Map<string, number>,
): PlannedItem {
  const tags = projectTags(node);
  config.tags?.forEach((t) => tags.includes(t) || tags.push(t));
  const projectDirs = searchDirs(node);
  if (config.path === undefined)
    return { project: node, config, relDir: '', renderedRelDir: '', vars, tags, searchDirs: projectDirs };
  const absDir = checkItemPath(node, config.path);
  const relDir = toSlash(relative(node.sourceRoot, absDir)) || '.';
  const uses = dirUses.get(absDir) ?? 0;
  dirUses.set(absDir, uses + 1);
  // Items of git includes render below a per-checkout dir, so they never collide with the root source.
  const base = node.sourceId ? `${RENDER_GIT_INCLUDES_DIR}/${node.sourceId}/${relDir}` : relDir;
  const renderedRelDir = uses === 0 ? base : `${base}-${uses}`;
  return {
    project: node,
    config,
    absDir,
    relDir,
    renderedRelDir,
    vars,
    tags,
    searchDirs: [absDir, ...projectDirs],
  };
}
