/**
 * The template functions that reach into the project (kluctl-semantics §3.1, §3.5, §3.6):
 * `load_template`, `load_sha256`, `load_base64`, `load_latest_git_commit` and `images.get_image`.
 * They are built per render call, because they need the variables and the file of that call, and are
 * handed to the template engine as globals. Files are looked up like Kluctl's Jinja loader does: paths
 * starting with `./` or `../` relative to the current template, everything else in the search dirs in
 * order; absolute paths only inside a search dir.
 */
import { createHash } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import { TemplateError, ToolError } from '../errors.js';
import { imagePlaceholder } from '../images/placeholders.js';
import type { TemplateEngine, TemplateVars } from '../templating/template-engine.js';
import { isInside, toSlash } from './paths.js';
import { runProcess } from '../util/run-process.js';

/** Returns the sha of the latest commit that touched `absFile` in its Git repository. */
export type LatestGitCommit = (absFile: string) => Promise<string>;

/** Where and how the functions of one render call work. */
export interface TemplateFunctionsContext {
  readonly engine: TemplateEngine;
  /** Absolute root of the source: names in messages are relative to it. */
  readonly sourceRoot: string;
  /** Absolute search dirs, nearest first: item root dir (for item files), project dir, parent projects. */
  readonly searchDirs: readonly string[];
  /** Absolute path of the template being rendered ("" for strings that are not files). */
  readonly currentFile: string;
  /** The variables of the current render call. */
  readonly vars: TemplateVars;
  /** Git lookup for `load_latest_git_commit`. Default: `git log -n 1` via the git binary. */
  readonly latestGitCommit?: LatestGitCommit;
  /** Files whose sha256 is being computed (self-references render as `__self_sha256__`). */
  readonly sha256Stack?: readonly string[];
  /** Builds the globals for a nested render (set by {@link templateFunctions} itself). */
  readonly globalsFor?: (file: string, vars: TemplateVars, sha256Stack: readonly string[]) => TemplateGlobals;
}

/** The globals as the engine receives them: plain (possibly async) functions and objects of them. */
export type TemplateGlobals = Readonly<Record<string, unknown>>;

/** Resolves a template path as Kluctl's loader does; throws Jinja's "not found" as TemplateError. */
export function findTemplateFile(ctx: TemplateFunctionsContext, path: string): string {
  const fail = (): never => {
    throw new TemplateError(`template ${path} not found`, {
      file: ctx.currentFile ? toSlash(relative(ctx.sourceRoot, ctx.currentFile)) : '<string>',
    });
  };
  const candidates: string[] = [];
  if ((path.startsWith('./') || path.startsWith('../')) && ctx.currentFile)
    candidates.push(resolve(dirname(ctx.currentFile), path));
  else if (isAbsolute(path)) candidates.push(path);
  else candidates.push(...ctx.searchDirs.map((d) => resolve(d, path)));
  for (const c of candidates) {
    // Relative lookups may climb out of a search dir, but never out of the source (nor may absolute ones).
    const allowed = isAbsolute(path)
      ? ctx.searchDirs.some((d) => isInside(d, c))
      : isInside(ctx.sourceRoot, c);
    if (allowed && existsSync(c) && statSync(c).isFile()) return c;
  }
  return fail();
}

async function renderFile(
  ctx: TemplateFunctionsContext,
  file: string,
  vars: TemplateVars,
  sha256Stack: readonly string[],
): Promise<string> {
  const text = await readFile(file, 'utf8');
  const globals = ctx.globalsFor?.(file, vars, sha256Stack);
  const origin = { file: toSlash(relative(ctx.sourceRoot, file)), ...(globals ? { globals } : {}) };
  return ctx.engine.render(text, vars, origin);
}

/** `load_template(path, **kwargs)`: the file rendered with the current variables plus `extraVars`. */
export function loadTemplate(
  ctx: TemplateFunctionsContext,
  path: string,
  extraVars: Readonly<Record<string, unknown>> = {},
): Promise<string> {
  const file = findTemplateFile(ctx, path);
  return renderFile(ctx, file, { ...ctx.vars, ...extraVars }, ctx.sha256Stack ?? []);
}

/** `load_sha256(path, digest_len=None)`: sha256 hex of the rendered file, optionally truncated. */
export async function loadSha256(
  ctx: TemplateFunctionsContext,
  path: string,
  digestLen?: number | null,
): Promise<string> {
  const file = findTemplateFile(ctx, path);
  const stack = ctx.sha256Stack ?? [];
  // A file hashing itself would recurse forever; Kluctl renders the inner call as a fixed marker.
  if (stack.includes(file)) return '__self_sha256__';
  const text = await renderFile(ctx, file, ctx.vars, [...stack, file]);
  const hex = createHash('sha256').update(text, 'utf8').digest('hex');
  return digestLen ? hex.slice(0, digestLen) : hex;
}

/** `load_base64(path, width=None)`: the raw bytes (not rendered) as base64, wrapped at `width`. */
export async function loadBase64(
  ctx: TemplateFunctionsContext,
  path: string,
  width?: number | null,
): Promise<string> {
  const b64 = (await readFile(findTemplateFile(ctx, path))).toString('base64');
  if (!width || width <= 0) return b64;
  const lines: string[] = [];
  for (let i = 0; i < b64.length; i += width) lines.push(b64.slice(i, i + width));
  return lines.join('\n');
}

/** The default {@link LatestGitCommit}: `git log -n 1 --format=%H -- <file>` in the file's dir. */
const gitLogLatestCommit: LatestGitCommit = async (absFile) => {
  const res = await runProcess('git', ['log', '-n', '1', '--format=%H', '--', absFile], {
    cwd: dirname(absFile),
  });
  const sha = res.stdout.trim();
  if (res.code === 0 && /^[0-9a-f]{40}$/.test(sha)) return sha;
  throw new ToolError(res.stderr.trim() || `no commit touches ${absFile}`);
};

/** `load_latest_git_commit(path, sha_len=None)`: the latest commit touching the file. */
export async function loadLatestGitCommit(
  ctx: TemplateFunctionsContext,
  path: string,
  shaLen?: number | null,
): Promise<string> {
  const file = findTemplateFile(ctx, path);
  let sha: string;
  try {
    sha = await (ctx.latestGitCommit ?? gitLogLatestCommit)(file);
  } catch (err) {
    throw new TemplateError(
      `load_latest_git_commit: failed to find the latest commit of ${path}: ${(err as Error).message}`,
      { file: ctx.currentFile ? toSlash(relative(ctx.sourceRoot, ctx.currentFile)) : '<string>' },
      { cause: err },
    );
  }
  return shaLen ? sha.slice(0, shaLen) : sha;
}

/** Reads a Jinja keyword argument passed as a trailing plain object, or the positional value. */
function arg(args: readonly unknown[], index: number, name: string): unknown {
  const last = args[args.length - 1];
  if (last !== null && typeof last === 'object' && !Array.isArray(last) && name in last)
    return (last as Record<string, unknown>)[name];
  const v = args[index];
  return v !== null && typeof v === 'object' && !Array.isArray(v) && index === args.length - 1
    ? undefined
    : v;
}

function str(v: unknown, fn: string): string {
  if (typeof v !== 'string') throw new TemplateError(`${fn}: the path must be a string`, { file: fn });
  return v;
}

function num(v: unknown): number | undefined {
  return typeof v === 'number' ? v : undefined;
}

/**
 * The globals of one render call. Functions take positional arguments; keyword arguments arrive as a
 * trailing plain object (`load_template("x", {name: 1})`, `load_sha256("x", {digest_len: 8})`).
 */
export function templateFunctions(base: Omit<TemplateFunctionsContext, 'globalsFor'>): TemplateGlobals {
  const globalsFor = (file: string, vars: TemplateVars, sha256Stack: readonly string[]): TemplateGlobals =>
    templateFunctions({ ...base, currentFile: file, vars, sha256Stack });
  const ctx: TemplateFunctionsContext = { ...base, globalsFor };
  return {
    load_template: (...args: unknown[]) => {
      const last = args[1];
      const extra = last !== null && typeof last === 'object' && !Array.isArray(last) ? last : {};
      return loadTemplate(ctx, str(args[0], 'load_template'), extra as Record<string, unknown>);
    },
    load_sha256: (...args: unknown[]) =>
      loadSha256(ctx, str(args[0], 'load_sha256'), num(arg(args, 1, 'digest_len'))),
    load_base64: (...args: unknown[]) =>
      loadBase64(ctx, str(args[0], 'load_base64'), num(arg(args, 1, 'width'))),
    load_latest_git_commit: (...args: unknown[]) =>
      loadLatestGitCommit(ctx, str(args[0], 'load_latest_git_commit'), num(arg(args, 1, 'sha_len'))),
    images: {
      get_image: (...args: unknown[]) =>
        imagePlaceholder(str(args[0], 'images.get_image'), arg(args, 1, 'latest_version')),
    },
  };
}
