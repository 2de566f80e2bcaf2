/**
 * Loads the tree of deployment projects (kluctl-semantics §2.1–2.4, 2.8) and flattens it into the
 * ordered list of deployment items (§2.9): includes are expanded in place, an include with
 * `barrier: true` is followed by a barrier-only item, items whose `when` is false are dropped.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, posix, relative } from 'node:path';
import { ProjectLoadError } from '../errors.js';
import type { GitAuth, GitSource } from '../ports.js';
import type { TemplateEngine } from '../templating/template-engine.js';
import { mergeArgs } from './args.js';
import { parseDeploymentConfig } from './deployment-config.js';
import type { DeploymentItemConfig, DeploymentProjectConfig } from './deployment-config.js';
import { checkoutGitInclude, parseGitInclude } from './git-include.js';
import type { GitCheckout } from './git-include.js';
import { deepClone } from './merge.js';
import type { Dict } from './merge.js';
import { findConfigFile, isInside, secureJoin, toSlash } from './paths.js';
import { S, decodeYaml } from '../util/strict-yaml.js';
import type { TemplateGlobals } from './template-functions.js';
import { loadVarsList } from './vars-loader.js';
import type { VarsRuntime } from './vars/vars-runtime.js';

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

/** Inputs of {@link loadDeploymentItems}. */
export interface LoadTreeOptions {
  readonly engine: TemplateEngine;
  /** Absolute source root (repository root). */
  readonly sourceRoot: string;
  /** Absolute root project dir. */
  readonly projectDir: string;
  /** Root variables: `target`, `args`. */
  readonly vars: Dict;
  /** Git access for git includes. */
  readonly git?: GitSource;
  readonly gitAuth?: (url: string) => GitAuth | undefined;
  /** Where git includes are checked out. Required when the project has git includes. */
  readonly checkoutDir?: string;
  /** Template globals (load_template, ...) for a file rendered with the given search dirs. */
  readonly globalsFor?: (file: string, searchDirs: readonly string[], vars: Dict) => TemplateGlobals;
  /** Services and caches of the vars sources of this render. */
  readonly varsRuntime?: VarsRuntime;
}

/** Below the render dir: where items of git includes are rendered (one dir per checkout). */
export const RENDER_GIT_INCLUDES_DIR = '.git-includes';
/** Below the render dir: where git includes are checked out (never rendered themselves). */
export const RENDER_GIT_CHECKOUTS_DIR = '.git-checkouts';

const DEPLOYMENT_NAMES = ['deployment.yml', 'deployment.yaml'];
const KUSTOMIZATION_NAMES = ['kustomization.yml', 'kustomization.yaml', 'Kustomization'];
const LIBRARY_NAMES = ['.kluctl-library.yml', '.kluctl-library.yaml'];

interface TreeCtx extends LoadTreeOptions {
  readonly dirUses: Map<string, number>;
  readonly checkouts: Map<string, Promise<{ root: string; commit: string; id: string }>>;
  /** "" for the root source; git includes get their own ctx with their checkout as sourceRoot. */
  readonly sourceId: string;
}

function rel(ctx: TreeCtx, abs: string): string {
  return toSlash(relative(ctx.sourceRoot, abs)) || '.';
}

/** The project dir and its parents' dirs, up to the first project of another source (§3.1). */
function searchDirs(node: { absDir: string; sourceRoot: string; parent?: ProjectNode }): string[] {
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
function withDefaultTags(item: DeploymentItemConfig): DeploymentItemConfig {
  if (item.tags && item.tags.length > 0) return item;
  const p = item.path ?? item.include;
  const tag = p === undefined ? '' : posix.basename(p.replace(/\\/g, '/').replace(/\/+$/, ''));
  return tag && tag !== '.' && tag !== '..' ? { ...item, tags: [tag] } : item;
}

async function readProjectConfig(
  ctx: TreeCtx,
  absDir: string,
  vars: Dict,
  parent?: ProjectNode,
): Promise<DeploymentProjectConfig> {
  const file = findConfigFile(absDir, DEPLOYMENT_NAMES);
  if (!file) {
    // A root without deployment.yaml is one plain kustomize/manifests item (§1.7).
    if (!parent) return { deployments: [{ path: '.' }] };
    if (findConfigFile(absDir, KUSTOMIZATION_NAMES)) {
      throw new ProjectLoadError(
        `deployment.yml not found but folder ${rel(ctx, absDir)} contains a kustomization.yml`,
      );
    }
    throw new ProjectLoadError(`${rel(ctx, join(absDir, 'deployment.yml'))} not found`);
  }
  const name = rel(ctx, file);
  const globals = ctx.globalsFor?.(file, searchDirs({ absDir, sourceRoot: ctx.sourceRoot, parent }), vars);
  const text = await ctx.engine.render(readFileSync(file, 'utf8'), vars, {
    file: name,
    ...(globals ? { globals } : {}),
  });
  const config = parseDeploymentConfig(text, name);
  if (!parent && config.when)
    throw new ProjectLoadError("the root deployment project can not contain 'when'", { file: name });
  return config;
}

/**
 * The dir of a `path:` item, checked as Kluctl checks it: the path joined onto the project's dir
 * relative to the source root, with `..` stopping at the root (so a path leaving the repository names a
 * dir inside it, which usually does not exist), must be a dir. The dir rendered is the plain join.
 */
function checkItemPath(ctx: TreeCtx, node: ProjectNode, p: string): string {
  const checked = secureJoin(ctx.sourceRoot, join(node.relDir, p));
  if (!existsSync(checked)) throw new ProjectLoadError(`deployment directory does not exist: ${p}`);
  if (!statSync(checked).isDirectory())
    throw new ProjectLoadError(`deployment path is not a directory: ${p}`);
  const abs = join(node.absDir, p);
  // Only reachable when the clamped dir exists but the plain one lies outside (Kluctl then fails late).
  if (!isInside(ctx.sourceRoot, abs))
    throw new ProjectLoadError(`path/include is not part of the deployment project: ${p}`);
  return abs;
}

/**
 * The dir of an `include:` project: `..` may leave the project dir but stops at the source root (the
 * Git repository), so an include outside the repository names a dir inside it, as in Kluctl.
 */
function includeDir(ctx: TreeCtx, node: ProjectNode, p: string, file: string): { abs: string; rel: string } {
  const relDir = join(node.relDir, p);
  const abs = secureJoin(ctx.sourceRoot, relDir);
  if (!statSync(abs, { throwIfNoEntry: false })?.isDirectory())
    throw new ProjectLoadError(`include ${p}: ${rel(ctx, abs)} does not exist or is not a directory`, {
      file,
    });
  return { abs, rel: relDir };
}

/** Variables an include starts with: a copy of the parent's, or a library's own args (§2.4). */
async function includeVars(
  ctx: TreeCtx,
  node: ProjectNode,
  item: DeploymentItemConfig,
  absDir: string,
): Promise<Dict> {
  const libFile = findConfigFile(absDir, LIBRARY_NAMES);
  let vars: Dict;
  if (!libFile) {
    vars = deepClone(node.vars);
  } else {
    const lib = decodeYaml<{ args?: { name: string; default?: unknown }[] }>(
      readFileSync(libFile, 'utf8'),
      S.object({ args: S.list(S.object({ name: S.string, default: S.any })) }),
      rel(ctx, libFile),
    );
    const declarations = (lib.args ?? []).map((a) => ({
      name: a.name,
      default: a.default,
      hasDefault: a.default !== undefined,
    }));
    const passed: Dict = item.passVars ? deepClone(node.vars) : {};
    delete passed.args; // args are not merged into a library but given 1:1
    vars = { ...passed, args: mergeArgs({ declarations, targetArgs: item.args ?? {} }) };
  }
  return loadVarsList(vars, item.vars, {
    engine: ctx.engine,
    sourceRoot: ctx.sourceRoot,
    searchDirs: searchDirs(node),
    file: rel(ctx, node.absDir),
    runtime: ctx.varsRuntime,
  });
}

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

async function loadProject(
  ctx: TreeCtx,
  dir: { abs: string; rel: string },
  vars: Dict,
  parent?: ProjectNode,
  parentInclude?: DeploymentItemConfig,
): Promise<PlannedItem[]> {
  const absDir = dir.abs;
  const config = await readProjectConfig(ctx, absDir, vars, parent);
  const file = rel(ctx, findConfigFile(absDir, DEPLOYMENT_NAMES) ?? absDir);
  const loadCtx = {
    engine: ctx.engine,
    sourceRoot: ctx.sourceRoot,
    searchDirs: searchDirs({ absDir, sourceRoot: ctx.sourceRoot, parent }),
    file,
    runtime: ctx.varsRuntime,
  };
  const node: ProjectNode = {
    absDir,
    relDir: dir.rel,
    sourceRoot: ctx.sourceRoot,
    sourceId: ctx.sourceId,
    config: { ...config, deployments: (config.deployments ?? []).map(withDefaultTags) },
    vars: await loadVarsList(vars, config.vars, loadCtx),
    parent,
    parentInclude,
  };
  if (config.when !== undefined && !(await ctx.engine.evaluateCondition(config.when, node.vars, { file })))
    return [];
  const items: PlannedItem[] = [];
  for (const [i, item] of (node.config.deployments ?? []).entries()) {
    if (item.when !== undefined && !(await ctx.engine.evaluateCondition(item.when, node.vars, { file })))
      continue;
    if (item.oci !== undefined) throw new ProjectLoadError('oci includes are not supported yet', { file });
    if (item.include !== undefined || item.git !== undefined) {
      let childCtx = ctx;
      let incDir: { abs: string; rel: string };
      if (item.git !== undefined) {
        const checkout = await gitCheckout(ctx, item.git, file, `deployments[${i}]`);
        childCtx = { ...ctx, sourceRoot: checkout.root, sourceId: checkout.id };
        incDir = { abs: checkout.projectDir, rel: relative(checkout.root, checkout.projectDir) };
      } else {
        incDir = includeDir(ctx, node, item.include!, file);
      }
      const incVars = await includeVars(ctx, node, item, incDir.abs);
      items.push(...(await loadProject(childCtx, incDir, incVars, node, item)));
      if (item.barrier) items.push(planItem(ctx, node, { barrier: true }, node.vars));
      continue;
    }
    const itemVars = await loadVarsList(node.vars, item.vars, loadCtx);
    items.push(planItem(ctx, node, item, itemVars));
  }
  return items;
}

function gitCheckout(ctx: TreeCtx, raw: unknown, file: string, where: string): Promise<GitCheckout> {
  const spec = parseGitInclude(raw, file, where);
  if (!ctx.checkoutDir) throw new ProjectLoadError(`${where}: git includes need a checkout dir`, { file });
  return checkoutGitInclude(
    {
      ...(ctx.git ? { git: ctx.git } : {}),
      ...(ctx.gitAuth ? { gitAuth: ctx.gitAuth } : {}),
      checkoutDir: ctx.checkoutDir,
      checkouts: ctx.checkouts,
    },
    spec,
    file,
  );
}

function planItem(ctx: TreeCtx, node: ProjectNode, config: DeploymentItemConfig, vars: Dict): PlannedItem {
  const tags = projectTags(node);
  config.tags?.forEach((t) => tags.includes(t) || tags.push(t));
  const projectDirs = searchDirs(node);
  if (config.path === undefined)
    return { project: node, config, relDir: '', renderedRelDir: '', vars, tags, searchDirs: projectDirs };
  const absDir = checkItemPath(ctx, node, config.path);
  const relDir = rel(ctx, absDir);
  const uses = ctx.dirUses.get(absDir) ?? 0;
  ctx.dirUses.set(absDir, uses + 1);
  // Items of git includes render below a per-checkout dir, so they never collide with the root source.
  const base = ctx.sourceId ? `${RENDER_GIT_INCLUDES_DIR}/${ctx.sourceId}/${relDir}` : relDir;
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

/** Loads the root project and everything it includes; returns the items depth-first, in order. */
export async function loadDeploymentItems(opts: LoadTreeOptions): Promise<PlannedItem[]> {
  const ctx: TreeCtx = { ...opts, dirUses: new Map(), checkouts: new Map(), sourceId: '' };
  if (!isInside(opts.sourceRoot, opts.projectDir)) {
    throw new ProjectLoadError(
      `project dir ${opts.projectDir} is not inside the source root ${opts.sourceRoot}`,
    );
  }
  return loadProject(
    ctx,
    { abs: opts.projectDir, rel: relative(opts.sourceRoot, opts.projectDir) },
    opts.vars,
  );
}
