/**
 * Public-projects conformance measurement (issue 4): renders every templated file of real Kluctl
 * projects with our engine and with Python Jinja2 (one Python process per project) and compares them
 * byte for byte. Not run by CI: it needs checkouts of public repositories, passed as arguments or in
 * `KLUCTL_PUBLIC_PROJECTS` (paths separated by `:`):
 *
 *   npx tsx bench/public-projects.ts /tmp/kpub/src/*   [--verbose]
 *
 * Each argument is a checkout (the source root for `.templateignore`); the projects inside it are the
 * dirs holding `.kluctl.yaml`/`.kluctl-library.yaml`, and the top-most dirs holding a
 * `deployment.yaml` outside those. Files are found as Kluctl finds them (kluctl-semantics §3.1): the
 * project's `deployment.yaml`, included ones, vars files, and every file below each item dir, minus
 * `.templateignore`d files and helm chart dirs. Only files containing `{` count (others are copied
 * verbatim by both). The context is Kluctl's where it can be derived: the first target with its args,
 * args defaults, then `vars` (values and files) in order. Both engines get the SAME context per file,
 * and the same stand-ins for the project-bound functions (`load_template`, `images.get_image`, ...).
 * Top-level names that no source defines (secrets, env vars, cluster vars) become "stub-<name>" for
 * both engines; errors that remain count as agreement when both fail with the same class.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { TemplateError } from '../lib/errors.js';
import { mergeArgs } from '../lib/project/args.js';
import { parseKluctlProjectConfig } from '../lib/project/kluctl-config.js';
import type { KluctlProjectConfig } from '../lib/project/kluctl-config.js';
import { deepMerge, isDict, setNested } from '../lib/project/merge.js';
import type { Dict } from '../lib/project/merge.js';
import { parseYaml } from '../lib/util/strict-yaml.js';
import { loadTargets, targetVars } from '../lib/project/targets.js';
import { TemplateIgnore } from '../lib/project/template-ignore.js';
import { TemplateEngine } from '../lib/templating/template-engine.js';
import { jinjaErrorOf } from '../lib/templating/template-errors.js';
import { renderWithJinja2 } from '../devenv/jinja2-reference.js';

/** One templated file and the context it is rendered with. */
interface FileCase {
  readonly file: string;
  readonly text: string;
  readonly vars: Dict;
}

/** The outcome for one project. */
export interface ProjectResult {
  readonly project: string;
  readonly files: number;
  readonly identical: number;
  readonly sameError: number;
  readonly mismatches: readonly { file: string; ours: string; jinja2: string }[];
  /** Jinja2's message for each file where both engines failed alike. */
  readonly errors: readonly { file: string; jinja2: string }[];
}

const engine = new TemplateEngine({ debugPrint: () => {} });
const DEPLOYMENT_NAMES = ['deployment.yml', 'deployment.yaml'];
const CONFIG_NAMES = ['.kluctl.yml', '.kluctl.yaml', '.kluctl-library.yml', '.kluctl-library.yaml'];

const digest = (kind: string, path: string, n?: unknown): string => {
  const h = createHash('sha256').update(`${kind}:${path}`).digest('hex');
  return typeof n === 'number' && n > 0 ? h.slice(0, n) : h;
};
const kwargs = (args: unknown[], i: number): Dict => (isDict(args[i]) ? args[i] : {});
const kwarg = (args: unknown[], i: number, name: string): unknown =>
  isDict(args[i]) ? args[i][name] : args[i];

/** Stand-ins for the project-bound functions; the Jinja2 runner's make_stubs returns the same. */
const STUBS: Dict = {
  load_template: (path: string, ...rest: unknown[]) =>
    `# stub load_template ${path}\nkeys: ${Object.keys(kwargs(rest, 0)).sort().join(',')}`,
  load_sha256: (path: string, ...rest: unknown[]) =>
    digest('load_sha256', path, kwarg(rest, 0, 'digest_len')),
  load_base64: (path: string) => Buffer.from(path, 'utf8').toString('base64'),
  load_latest_git_commit: (path: string, ...rest: unknown[]) =>
    digest('git', path, kwarg(rest, 0, 'sha_len')).slice(0, 40),
  images: { get_image: (image: string) => `stub-image:${image}` },
};

const findIn = (dir: string, names: readonly string[]): string | undefined =>
  names.map((n) => join(dir, n)).find((f) => existsSync(f));

const SKIP_DIRS = new Set(['.git', '.helm-charts', 'node_modules']);

/** The project roots inside a checkout. */
export function findProjectRoots(dir: string, insideProject = false): string[] {
  const isRoot =
    findIn(dir, CONFIG_NAMES) !== undefined ||
    (!insideProject && findIn(dir, DEPLOYMENT_NAMES) !== undefined);
  if (existsSync(join(dir, 'Chart.yaml'))) return [];
  const out = isRoot ? [dir] : [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.isDirectory() && !SKIP_DIRS.has(e.name))
      out.push(...findProjectRoots(join(dir, e.name), insideProject || isRoot));
  }
  return out;
}

/** Reads a text file, or undefined for binary files. */
function readText(file: string): string | undefined {
  const buf = readFileSync(file);
  if (buf.includes(0)) return undefined;
  const text = buf.toString('utf8');
  return text.includes('\uFFFD') ? undefined : text;
}

/** Every file Kluctl renders below an item dir: not ignored, not in a helm chart dir. */
function itemFiles(
  sourceRoot: string,
  dir: string,
  ignore = TemplateIgnore.forDir(sourceRoot, dir),
): string[] {
  if (!existsSync(dir) || !statSync(dir).isDirectory() || existsSync(join(dir, 'Chart.yaml'))) return [];
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    const rel = relative(sourceRoot, p);
    if (e.isDirectory()) {
      if (!SKIP_DIRS.has(e.name) && !ignore.isIgnored(rel, true))
        out.push(...itemFiles(sourceRoot, p, ignore.withDir(sourceRoot, p)));
    } else if (e.isFile() && e.name !== '.templateignore' && !ignore.isIgnored(rel)) out.push(p);
  }
  return out;
}

/** Renders with our engine for the walk itself (the comparison renders again, separately). */
async function renderOurs(text: string, vars: Dict, file: string): Promise<string | undefined> {
  try {
    return await engine.render(text, vars, { file, globals: STUBS });
  } catch {
    return undefined;
  }
}

/** The project's context: first target, its args over the declared defaults (§1.5, §3.4). */
async function baseContext(root: string): Promise<Dict> {
  const cfgFile = findIn(root, CONFIG_NAMES);
  let config: KluctlProjectConfig = { targets: [], args: [], discriminator: '' };
  if (cfgFile) {
    try {
      config = parseKluctlProjectConfig(readFileSync(cfgFile, 'utf8'), basename(cfgFile));
    } catch {
      // An unreadable config leaves the permissive defaults.
    }
  }
  // Required args the first target does not set get a placeholder, as `-a name=value` would.
  const firstArgs = config.targets[0]?.args ?? {};
  const external: Dict = {};
  for (const a of config.args)
    if (!a.hasDefault && !(a.name in firstArgs))
      Object.assign(external, setNested({}, a.name.split('.'), a.name));
  try {
    const loaded = await loadTargets(config, external, engine);
    const target = loaded.targets.find((t) => t.name === config.targets[0]?.name) ?? loaded.noNameTarget;
    const args = mergeArgs({
      declarations: config.args,
      targetArgs: target?.args ?? {},
      externalArgs: external,
    });
    return { target: target ? targetVars(target) : { name: '' }, args };
  } catch {
    return { target: { name: '' }, args: external };
  }
}

/** Collects the files of one project with their contexts, following deployment.yaml as Kluctl does. */
export async function collectProject(sourceRoot: string, root: string): Promise<FileCase[]> {
  const cases: FileCase[] = [];
  const seen = new Set<string>();
  const add = (file: string, vars: Dict): string | undefined => {
    if (seen.has(file) || !existsSync(file) || !statSync(file).isFile()) return undefined;
    seen.add(file);
    const text = readText(file);
    if (text !== undefined && text.includes('{'))
      cases.push({ file: relative(sourceRoot, file), text, vars: structuredClone(vars) });
    return text;
  };
  // `when:` of items and vars sources: rendered as Kluctl evaluates them (§3.1).
  const addWhen = (where: string, when: unknown, vars: Dict): void => {
    if (typeof when === 'string' && when.trim() !== '')
      cases.push({
        file: `${relative(sourceRoot, where)} when: ${when}`,
        text: `{% if ${when} %}True{% else %}False{% endif %}`,
        vars: structuredClone(vars),
      });
  };
  const loadVars = async (entries: unknown, dir: string, ctx: Dict): Promise<Dict> => {
    let out = ctx;
    for (const raw of Array.isArray(entries) ? entries : []) {
      if (!isDict(raw)) continue;
      addWhen(join(dir, 'vars'), raw.when, out);
      let loaded: unknown;
      if (isDict(raw.values)) loaded = raw.values;
      else if (typeof raw.file === 'string') {
        const name = (await renderOurs(raw.file, out, 'vars')) ?? raw.file;
        const file = [resolve(dir, name), resolve(root, name)].find((f) => existsSync(f));
        const text = file ? add(file, out) : undefined;
        const rendered = file && text !== undefined ? await renderOurs(text, out, file) : undefined;
        try {
          loaded = rendered === undefined ? undefined : parseYaml(rendered, name);
        } catch {
          loaded = undefined;
        }
      }
      if (loaded === undefined) continue;
      const tp = typeof raw.targetPath === 'string' ? raw.targetPath.split('.') : [];
      const value = tp.length > 0 ? setNested({}, tp, loaded) : loaded;
      if (isDict(value)) out = raw.noOverride ? deepMerge(value, out) : deepMerge(out, value);
    }
    return out;
  };
  const walk = async (dir: string, ctx: Dict, depth: number): Promise<void> => {
    const file = findIn(dir, DEPLOYMENT_NAMES);
    if (!file || depth > 20) return;
    const text = add(file, ctx);
    const rendered = text === undefined ? undefined : await renderOurs(text, ctx, file);
    let config: unknown;
    try {
      config = rendered === undefined ? undefined : parseYaml(rendered, file);
    } catch {
      config = undefined;
    }
    if (!isDict(config)) {
      // The walk cannot follow this deployment.yaml: every file below its dir stands in for its items.
      for (const f of itemFiles(sourceRoot, dir)) add(f, ctx);
      return;
    }
    const vars = await loadVars(config.vars, dir, ctx);
    for (const item of Array.isArray(config.deployments) ? config.deployments : []) {
      if (!isDict(item)) continue;
      addWhen(file, item.when, vars);
      const itemVars = await loadVars(item.vars, dir, vars);
      if (typeof item.include === 'string') await walk(resolve(dir, item.include), itemVars, depth + 1);
      if (typeof item.path === 'string')
        for (const f of itemFiles(sourceRoot, resolve(dir, item.path))) add(f, itemVars);
    }
  };
  await walk(root, await baseContext(root), 0);
  return cases;
}

/** Our result for one file: the output, or the Jinja2 error class. */
async function ours(c: FileCase): Promise<{ out?: string; error?: string }> {
  try {
    return { out: await engine.render(c.text, structuredClone(c.vars), { file: c.file, globals: STUBS }) };
  } catch (err) {
    if (!(err instanceof TemplateError)) return { error: `crash: ${String(err)}` };
    return { error: jinjaErrorOf(err)?.kind ?? 'TemplateError', out: err.message };
  }
}

// binascii.Error (from b64decode) is a ValueError.
const SAME_CLASS: Record<string, string> = {
  TemplateAssertionError: 'TemplateSyntaxError',
  Error: 'ValueError',
};
const norm = (c: string | undefined): string | undefined => (c === undefined ? c : (SAME_CLASS[c] ?? c));

/** Measures one project. */
export async function measureProject(
  sourceRoot: string,
  root: string,
  label: string,
): Promise<ProjectResult> {
  const cases = await collectProject(sourceRoot, root);
  // Kluctl's `images` global always shadows a user variable of that name inside templates (§3.4).
  for (const c of cases) delete c.vars.images;
  const ref = renderWithJinja2(
    cases.map((c, i) => ({ id: String(i), template: c.text, vars: c.vars })),
    undefined,
    { stubs: true, fillUndefined: true },
  ).results;
  let identical = 0;
  let sameError = 0;
  const mismatches: { file: string; ours: string; jinja2: string }[] = [];
  const errors: { file: string; jinja2: string }[] = [];
  for (const [i, c] of cases.entries()) {
    const r = ref[i]!;
    // Names Jinja2 found undefined are defined for both engines (a permissive context), see the runner.
    const got = await ours(r.filled ? { ...c, vars: { ...c.vars, ...r.filled } } : c);
    if (r.error === undefined && got.error === undefined && got.out === r.out) identical++;
    else if (r.error !== undefined && norm(got.error) === norm(r.error)) {
      sameError++;
      errors.push({ file: c.file, jinja2: `${r.error}: ${r.message ?? ''}` });
    } else
      mismatches.push({
        file: c.file,
        ours: got.error ? `${got.error}: ${got.out ?? ''}` : (got.out ?? ''),
        jinja2: r.error ? `${r.error}: ${r.message ?? ''}` : (r.out ?? ''),
      });
  }
  return { project: label, files: cases.length, identical, sameError, mismatches, errors };
}

/** The first differing line of two texts, with a line of context on each side. */
export function firstDifference(ours: string, jinja2: string): string {
  const a = ours.split('\n');
  const b = jinja2.split('\n');
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  const show = (l: string[]): string => JSON.stringify(l.slice(Math.max(0, i - 1), i + 2));
  return `line ${i + 1}:\n  ours:   ${show(a)}\n  jinja2: ${show(b)}`;
}

/** Runs the measurement over the checkouts given as arguments or in KLUCTL_PUBLIC_PROJECTS. */
export async function main(): Promise<void> {
  const verbose = process.argv.includes('--verbose');
  const fromArgs = process.argv.slice(2).filter((a) => !a.startsWith('-') && a !== 'public-projects');
  const dirs = fromArgs.length > 0 ? fromArgs : (process.env.KLUCTL_PUBLIC_PROJECTS ?? '').split(':');
  const checkouts = dirs.filter((d) => d !== '').map((d) => resolve(d));
  if (checkouts.length === 0) {
    process.stderr.write('usage: npx tsx bench/public-projects.ts <checkout-dir>... [--verbose]\n');
    process.exitCode = 2;
    return;
  }
  const results: ProjectResult[] = [];
  for (const checkout of checkouts) {
    for (const root of findProjectRoots(checkout)) {
      const label = relative(dirname(checkout), root) || basename(root);
      const r = await measureProject(checkout, root, label);
      if (r.files === 0) continue;
      results.push(r);
      const { mismatches, errors, ...counts } = r;
      process.stdout.write(`${JSON.stringify({ ...counts, mismatches: mismatches.length })}\n`);
      if (verbose)
        for (const m of mismatches)
          process.stderr.write(`--- ${m.file}\n${firstDifference(m.ours, m.jinja2)}\n`);
      if (verbose) for (const e of errors) process.stderr.write(`=== both fail: ${e.file}: ${e.jinja2}\n`);
    }
  }
  const files = results.reduce((n, r) => n + r.files, 0);
  const identical = results.reduce((n, r) => n + r.identical, 0);
  const sameError = results.reduce((n, r) => n + r.sameError, 0);
  const allMatch = results.filter((r) => r.mismatches.length === 0).length;
  const allIdentical = results.filter((r) => r.identical === r.files).length;
  const pct = (a: number, b: number): number => (b === 0 ? 100 : Math.round((1000 * a) / b) / 10);
  const summary = {
    summary: true,
    projects: results.length,
    projectsAllFilesMatch: allMatch,
    projectsAllFilesMatchPct: pct(allMatch, results.length),
    projectsAllFilesIdentical: allIdentical,
    projectsAllFilesIdenticalPct: pct(allIdentical, results.length),
    files,
    identical,
    identicalPct: pct(identical, files),
    sameError,
    mismatches: files - identical - sameError,
  };
  process.stdout.write(`${JSON.stringify(summary)}\n`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
