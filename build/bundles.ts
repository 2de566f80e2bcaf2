/**
 * What `npm run build` bundles, and how: one esbuild configuration for the CLI (which the demo, the
 * local runner and the tests' CLI runs use) and one per Lambda function (which the CDK app deploys), so
 * that what is measured and tested is what ships. Everything, dependencies included, goes into the
 * bundles: Node then reads a few files instead of resolving thousands inside node_modules.
 */
import { build } from 'esbuild';
import { mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import type { BuildOptions, Metafile, Plugin } from 'esbuild';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadAssets } from '../lib/webui/webui-assets.js';

/** Root of this repository (entry points are relative to it). */
export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Where `npm run build` writes. */
export const DIST_DIR = join(REPO_ROOT, 'dist');

/** The CLI's entry points, by output name (dist/cli/<name>.js). */
export const CLI_ENTRIES: Readonly<Record<string, string>> = {
  'kluctl-serverless': 'bin/main.ts',
  demo: 'bin/demo.ts',
};

/** The Lambda functions; each bundles functions/<name>/handler.ts into dist/functions/<name>/ (index.mjs). */
export const FUNCTION_NAMES = ['reconcile', 'schedule', 'webhook', 'ingest', 'webui'] as const;

/** One of {@link FUNCTION_NAMES}. */
export type FunctionName = (typeof FUNCTION_NAMES)[number];

/**
 * Bundled CommonJS dependencies call require() and read __dirname (ssh2) at load time; ESM output has
 * neither, so every output file starts by defining them.
 */
export const ESM_REQUIRE_BANNER =
  "import { createRequire as __ksCreateRequire } from 'node:module'; " +
  "import { dirname as __ksDirname } from 'node:path'; " +
  "import { fileURLToPath as __ksFileUrl } from 'node:url'; " +
  'const require = __ksCreateRequire(import.meta.url); ' +
  'const __filename = __ksFileUrl(import.meta.url); const __dirname = __ksDirname(__filename);';

/** Builtins that bundles load through require() instead of an ESM import (see builtinsViaRequire). */
const REQUIRED_BUILTINS = ['http', 'https'];

/**
 * `import ... from 'node:http'` (and https) become `require('node:http')`. Node 22 builds the ESM view
 * of a builtin by reading every export, and http's lazy `WebSocket`/`MessageEvent` getters then load
 * Node's internal undici: ~40 ms of CPU (100 ms wall on a busy machine) at every start, for nothing.
 * The virtual module re-exports the data properties, so a named import of anything else fails the build.
 */
const builtinsViaRequire: Plugin = {
  name: 'builtins-via-require',
  setup(b) {
    const filter = new RegExp(`^(node:)?(${REQUIRED_BUILTINS.join('|')})$`);
    b.onResolve({ filter }, (args) =>
      args.kind === 'import-statement' || args.kind === 'dynamic-import'
        ? { path: args.path.replace(/^node:/, ''), namespace: 'required-builtin' }
        : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'required-builtin' }, (args) => {
      const mod = createRequire(import.meta.url)(`node:${args.path}`) as object;
      const names = Object.entries(Object.getOwnPropertyDescriptors(mod))
        .filter(([name, d]) => 'value' in d && /^[A-Za-z_$][\w$]*$/.test(name) && name !== 'default')
        .map(([name]) => name);
      return {
        contents: `const m = require('node:${args.path}');\nexport default m;\nexport const { ${names.join(', ')} } = m;\n`,
        loader: 'js',
        resolveDir: REPO_ROOT,
      };
    });
  },
};

const COMMON: BuildOptions = {
  plugins: [builtinsViaRequire],
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node22',
  // ESM builds first: several dependencies ship a leaner ESM build than their CommonJS one.
  mainFields: ['module', 'main'],
  banner: { js: ESM_REQUIRE_BANNER },
  // Native addons stay out (ssh2's optional crypto binding and cpu-features): the packages load them in
  // try/catch and fall back to JavaScript, so a bundle never loads a binary built elsewhere.
  external: ['*.node'],
  sourcemap: 'linked',
  sourcesContent: false,
  metafile: true,
  logLevel: 'warning',
  absWorkingDir: REPO_ROOT,
  tsconfig: join(REPO_ROOT, 'tsconfig.json'),
};

/**
 * The CLI: code splitting, so that each command's dynamic import (bin/main.ts) is a chunk loaded only
 * when that command runs. Identifiers are kept for readable stack traces; whitespace and syntax are
 * minified, which is most of the parse-time gain.
 */
export function cliBuildOptions(outdir = join(DIST_DIR, 'cli')): BuildOptions {
  return {
    ...COMMON,
    entryPoints: Object.entries(CLI_ENTRIES).map(([out, src]) => ({ in: src, out })),
    outdir,
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
    minifyWhitespace: true,
    minifySyntax: true,
  };
}

/**
 * One Lambda function: minified, `index.mjs` exporting `handler`, split like the CLI so that what the
 * handler loads lazily (the Kubernetes client, Git, SSH, tar) is compiled only when first used, not
 * during the function's init.
 */
export function functionBuildOptions(name: FunctionName, outdir: string): BuildOptions {
  return {
    ...COMMON,
    entryPoints: [{ in: join(REPO_ROOT, 'functions', name, 'handler.ts'), out: 'index' }],
    outdir,
    outExtension: { '.js': '.mjs' },
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
    minify: true,
  };
}

/** Bundles one function into `outdir` (index.mjs and its chunks). */
export async function buildFunction(name: FunctionName, outdir: string): Promise<Metafile> {
  await rm(outdir, { recursive: true, force: true });
  const meta = (await build(functionBuildOptions(name, outdir))).metafile!;
  await addFunctionFiles(name, outdir);
  return meta;
}

/**
 * Files a function reads at run time besides its code: the web UI's page, script, style and vendored
 * libraries go to `webui/` beside the bundle (where lib/webui/webui-assets.ts looks for them), already
 * linked, as the function has no node_modules to resolve them from.
 */
async function addFunctionFiles(name: FunctionName, outdir: string): Promise<void> {
  if (name !== 'webui') return;
  for (const [file, a] of await loadAssets()) {
    const path = join(outdir, 'webui', file);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, a.body);
  }
}

/**
 * Builds the CLI afresh into `<distDir>/cli/` (the test suite does this before spawning it). The files
 * are written beside it and renamed into place one by one, so a CLI started meanwhile (another test
 * suite of the same checkout) finds every file, old or new; files the new build no longer has go.
 */
export async function buildCli(distDir = DIST_DIR): Promise<Metafile> {
  const outdir = join(distDir, 'cli');
  const staging = `${outdir}.build-${process.pid}`;
  await rm(staging, { recursive: true, force: true });
  try {
    const res = await build(cliBuildOptions(staging));
    const built = new Set(await filesUnder(staging));
    for (const f of built) {
      await mkdir(dirname(join(outdir, f)), { recursive: true });
      await rename(join(staging, f), join(outdir, f));
    }
    for (const f of await filesUnder(outdir)) if (!built.has(f)) await rm(join(outdir, f), { force: true });
    return res.metafile!;
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

/** The files under `dir`, relative to it (none when it does not exist). */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isFile()).map((e) => relative(dir, join(e.parentPath, e.name)));
}

/** What one build produced. */
export interface BuildReport {
  readonly cli: Metafile;
  readonly functions: Readonly<Record<FunctionName, Metafile>>;
}

/** Builds the CLI into dist/cli/ and every function into dist/functions/<name>/. */
export async function buildAll(distDir = DIST_DIR): Promise<BuildReport> {
  const [cli, ...fns] = await Promise.all<Metafile>([
    buildCli(distDir),
    ...FUNCTION_NAMES.map(async (n) => {
      const meta = (await build(functionBuildOptions(n, join(distDir, 'functions', n)))).metafile!;
      await addFunctionFiles(n, join(distDir, 'functions', n));
      return meta;
    }),
  ]);
  const functions = Object.fromEntries(FUNCTION_NAMES.map((n, i) => [n, fns[i]!])) as Record<
    FunctionName,
    Metafile
  >;
  return { cli: cli!, functions };
}
