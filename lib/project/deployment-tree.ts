/**
 * Loads the tree of deployment projects (kluctl-semantics §2.1–2.4, 2.8) and flattens it into the
 * ordered list of deployment items (§2.9): includes are expanded in place, an include with
 * `barrier: true` is followed by a barrier-only item, items whose `when` is false are dropped.
 */
import { readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ProjectLoadError } from '../errors.js';
import type { GitAuth, GitSource } from '../ports.js';
import type { TemplateEngine } from '../templating/template-engine.js';
import { mergeArgs } from './args.js';
import { parseDeploymentConfig } from './deployment-config.js';
import type { DeploymentItemConfig, DeploymentProjectConfig } from './deployment-config.js';
import { checkoutGitInclude, parseGitInclude } from './git-include.js';
import type { GitCheckout } from './git-include.js';
import { parseOciInclude, pullOciInclude } from './oci-include.js';
import type { OciIncludeAccess } from './oci-include.js';
import { deepClone } from './merge.js';
import type { Dict } from './merge.js';
import { findConfigFile, isInside, secureJoin, toSlash } from './paths.js';
import { planItem, searchDirs, withDefaultTags } from './planned-item.js';
import type { PlannedItem, ProjectNode } from './planned-item.js';
import { S, decodeYaml } from '../util/strict-yaml.js';
import type { TemplateGlobals } from './template-functions.js';
import { loadVarsList } from './vars/vars-loader.js';
import type { VarsRuntime } from './vars/vars-runtime.js';

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
  /** Registry access for oci includes. */
  readonly oci?: OciIncludeAccess;
  /** Where git includes are checked out. Required when the project has git includes. */
  readonly checkoutDir?: string;
  /** Template globals (load_template, ...) for a file rendered with the given search dirs. */
  readonly globalsFor?: (file: string, searchDirs: readonly string[], vars: Dict) => TemplateGlobals;
  /** Services and caches of the vars sources of this render. */
  readonly varsRuntime?: VarsRuntime;
}

/** Below the render dir: where git includes are checked out (never rendered themselves). */
export const RENDER_GIT_CHECKOUTS_DIR = '.git-checkouts';

const DEPLOYMENT_NAMES = ['deployment.yml', 'deployment.yaml'];
const KUSTOMIZATION_NAMES = ['kustomization.yml', 'kustomization.yaml', 'Kustomization'];
const LIBRARY_NAMES = ['.kluctl-library.yml', '.kluctl-library.yaml'];

interface TreeCtx extends LoadTreeOptions {
  readonly dirUses: Map<string, number>;
  readonly checkouts: Map<string, Promise<{ root: string; commit: string; id: string }>>;
  readonly pulls: Map<string, Promise<{ root: string; id: string }>>;
  /** "" for the root source; git includes get their own ctx with their checkout as sourceRoot. */
  readonly sourceId: string;
}

function rel(ctx: TreeCtx, abs: string): string {
  return toSlash(relative(ctx.sourceRoot, abs)) || '.';
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
    if (item.include !== undefined || item.git !== undefined || item.oci !== undefined) {
      let childCtx = ctx;
      let incDir: { abs: string; rel: string };
      if (item.git !== undefined) {
        const checkout = await gitCheckout(ctx, item.git, file, `deployments[${i}]`);
        childCtx = { ...ctx, sourceRoot: checkout.root, sourceId: checkout.id };
        incDir = { abs: checkout.projectDir, rel: relative(checkout.root, checkout.projectDir) };
      } else if (item.oci !== undefined) {
        const pulled = await ociPull(ctx, item.oci, file, `deployments[${i}]`);
        childCtx = { ...ctx, sourceRoot: pulled.root, sourceId: pulled.id };
        incDir = { abs: pulled.projectDir, rel: relative(pulled.root, pulled.projectDir) };
      } else {
        incDir = includeDir(ctx, node, item.include!, file);
      }
      const incVars = await includeVars(ctx, node, item, incDir.abs);
      items.push(...(await loadProject(childCtx, incDir, incVars, node, item)));
      if (item.barrier) items.push(planItem(node, { barrier: true }, node.vars, ctx.dirUses));
      continue;
    }
    const itemVars = await loadVarsList(node.vars, item.vars, loadCtx);
    items.push(planItem(node, item, itemVars, ctx.dirUses));
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

function ociPull(ctx: TreeCtx, raw: unknown, file: string, where: string): ReturnType<typeof pullOciInclude> {
  const spec = parseOciInclude(raw, file, where);
  if (!ctx.checkoutDir) throw new ProjectLoadError(`${where}: oci includes need a checkout dir`, { file });
  return pullOciInclude(
    { ...(ctx.oci ? { oci: ctx.oci } : {}), checkoutDir: ctx.checkoutDir, pulls: ctx.pulls },
    spec,
    file,
  );
}

/** Loads the root project and everything it includes; returns the items depth-first, in order. */
export async function loadDeploymentItems(opts: LoadTreeOptions): Promise<PlannedItem[]> {
  const ctx: TreeCtx = { ...opts, dirUses: new Map(), checkouts: new Map(), pulls: new Map(), sourceId: '' };
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
