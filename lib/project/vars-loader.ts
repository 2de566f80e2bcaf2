/**
 * Vars sources (kluctl-semantics §3.2, 3.3): each entry is rendered with the variables loaded so far,
 * checked against `when`, loaded, placed at `targetPath` and deep-merged into the context (or under it
 * with `noOverride`). Only `values` and `file` are implemented; the other types fail clearly.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { ProjectLoadError } from '../errors.js';
import type { TemplateEngine } from '../templating/template-engine.js';
import { VARS_SOURCE_TYPES } from './deployment-config.js';
import type { VarsSource } from './deployment-config.js';
import { deepMerge, isDict, setNested } from './merge.js';
import type { Dict } from './merge.js';
import { isInside, toSlash } from './paths.js';
import { parseYaml, parseYamlAll } from './strict-yaml.js';

/** Where vars sources are loaded. */
export interface VarsLoadContext {
  readonly engine: TemplateEngine;
  /** Absolute root of the source; files outside it are never read. */
  readonly sourceRoot: string;
  /** Absolute project dirs to look up `file:` in, nearest project first (§3.1 search path). */
  readonly searchDirs: readonly string[];
  /** The file declaring the vars (relative to the source root), for error messages. */
  readonly file: string;
}

function sourceType(src: VarsSource, ctx: VarsLoadContext): (typeof VARS_SOURCE_TYPES)[number] {
  const types = VARS_SOURCE_TYPES.filter((t) => src[t] !== undefined);
  if (types.length === 0)
    throw new ProjectLoadError('invalid vars source: no source type set', { file: ctx.file });
  if (types.length > 1)
    throw new ProjectLoadError(`more than one vars source type: ${types.join(', ')}`, { file: ctx.file });
  return types[0]!;
}

/** Finds a vars file in the search dirs; undefined when no search dir holds it. */
function findVarsFile(path: string, ctx: VarsLoadContext): string | undefined {
  for (const dir of ctx.searchDirs) {
    const candidate = resolve(dir, path);
    if (!isInside(ctx.sourceRoot, candidate)) continue;
    if (existsSync(candidate) && statSync(candidate).isFile()) return candidate;
  }
  return undefined;
}

async function loadFile(src: VarsSource, vars: Dict, ctx: VarsLoadContext): Promise<unknown> {
  const path = src.file!;
  const found = findVarsFile(path, ctx);
  if (!found) {
    if (src.ignoreMissing) return {};
    throw new ProjectLoadError(`failed to render vars file ${path}: template ${path} not found`, {
      file: ctx.file,
    });
  }
  const name = toSlash(relative(ctx.sourceRoot, found));
  const text = await ctx.engine.render(readFileSync(found, 'utf8'), vars, { file: name });
  if (src.multidoc) return parseYamlAll(text, name);
  const parsed = parseYaml(text, name) ?? {};
  if (!isDict(parsed))
    throw new ProjectLoadError(`failed to load vars from ${path}: the file must hold a dictionary`, {
      file: name,
    });
  return parsed;
}

/** Loads one vars source into `vars`, returning the new variables. */
export async function loadVarsSource(vars: Dict, source: VarsSource, ctx: VarsLoadContext): Promise<Dict> {
  const rendered = await ctx.engine.renderStrings(source, vars, { file: ctx.file });
  if (rendered.errors[0]) throw rendered.errors[0];
  const src = rendered.value;
  if (src.when !== undefined && !(await ctx.engine.evaluateCondition(src.when, vars, { file: ctx.file })))
    return vars;
  if (src.multidoc && !src.targetPath) {
    throw new ProjectLoadError('multidoc vars sources can only be used when targetPath is also specified', {
      file: ctx.file,
    });
  }
  const type = sourceType(src, ctx);
  let value: unknown;
  if (type === 'values') value = src.values;
  else if (type === 'file') value = await loadFile(src, vars, ctx);
  else throw new ProjectLoadError(`vars source type '${type}' is not supported yet`, { file: ctx.file });

  let newVars: Dict;
  if (src.targetPath) newVars = setNested({}, src.targetPath.split('.'), value);
  else if (isDict(value)) newVars = value;
  else throw new ProjectLoadError("'targetPath' is required for this variable source", { file: ctx.file });
  return src.noOverride ? deepMerge(newVars, vars) : deepMerge(vars, newVars);
}

/** Loads a `vars:` list in order; each entry sees the ones before it. */
export async function loadVarsList(
  vars: Dict,
  sources: readonly VarsSource[] | undefined,
  ctx: VarsLoadContext,
): Promise<Dict> {
  let current = vars;
  for (const s of sources ?? []) current = await loadVarsSource(current, s, ctx);
  return current;
}
