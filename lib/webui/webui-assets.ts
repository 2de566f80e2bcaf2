/**
 * The web UI's files: the page, its script and style from the `webui/` folder of the package, and the
 * two libraries it uses (Preact with its hooks, and htm) from the installed npm packages. Everything
 * is read once at start and served from memory, so the UI needs nothing from the internet and a
 * missing file fails the start, not a page view. The libraries' bare `preact` import is pointed at
 * our own copy, because a Content-Security-Policy without inline scripts rules out an import map.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KsError, errorMessage } from '../errors.js';

/** One file ready to serve. */
export interface Asset {
  readonly body: Buffer;
  readonly contentType: string;
  /** Strong ETag of the body. */
  readonly etag: string;
}

/** The files by URL path below `/ui/`. */
export type AssetMap = ReadonlyMap<string, Asset>;

/**
 * The folder of the page's own files: `webui/` of the package, found by walking up from this module,
 * which sits at a different depth in the sources (lib/webui/) and in the bundle (dist/cli/...).
 */
export function defaultAssetsDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'webui', 'index.html'))) return join(dir, 'webui');
    dir = dirname(dir);
  }
  throw new KsError(
    'InvalidInput',
    `web UI files (webui/index.html) not found above ${fileURLToPath(import.meta.url)}; the package is incomplete`,
  );
}

const OWN_FILES: Readonly<Record<string, string>> = {
  'index.html': 'text/html; charset=utf-8',
  'app.js': 'text/javascript; charset=utf-8',
  'views.js': 'text/javascript; charset=utf-8',
  'diff.js': 'text/javascript; charset=utf-8',
  'html.js': 'text/javascript; charset=utf-8',
  'api.js': 'text/javascript; charset=utf-8',
  'style.css': 'text/css; charset=utf-8',
};

/**
 * Vendored modules: URL name → package specifier and the ES module file in the folder of the file
 * `require` resolves (htm's `main` is CommonJS; its ES module sits beside it).
 */
const VENDOR: Readonly<Record<string, readonly [string, string]>> = {
  'vendor/preact.mjs': ['preact', 'preact.mjs'],
  'vendor/hooks.mjs': ['preact/hooks', 'hooks.mjs'],
  'vendor/htm.mjs': ['htm', 'htm.mjs'],
};

/** Loads every asset; throws naming the missing file and how to restore it. */
export async function loadAssets(dir = defaultAssetsDir()): Promise<AssetMap> {
  const out = new Map<string, Asset>();
  for (const [name, type] of Object.entries(OWN_FILES)) {
    out.set(name, asset(await readOrExplain(join(dir, name), 'the package is incomplete'), type));
  }
  const require = createRequire(import.meta.url);
  for (const [name, [spec, file]] of Object.entries(VENDOR)) {
    // A bundle (the Lambda function) carries the libraries beside the page, already linked.
    const copied = join(dir, name);
    if (existsSync(copied)) {
      out.set(name, asset(await readFile(copied), 'text/javascript; charset=utf-8'));
      continue;
    }
    let path: string;
    try {
      path = join(dirname(require.resolve(spec)), file);
    } catch (cause) {
      throw new KsError('InvalidInput', `web UI library '${spec}' is not installed; run 'npm ci'`, { cause });
    }
    const text = (await readOrExplain(path, "run 'npm ci'")).toString('utf8');
    // The hooks module imports "preact": point it at the copy served beside it.
    const linked = text.replace(/from\s*"preact"/g, 'from"./preact.mjs"');
    out.set(name, asset(Buffer.from(linked), 'text/javascript; charset=utf-8'));
  }
  return out;
}

async function readOrExplain(path: string, fix: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (cause) {
    throw new KsError('InvalidInput', `web UI file ${path} cannot be read (${errorMessage(cause)}); ${fix}`, {
      cause,
    });
  }
}

function asset(body: Buffer, contentType: string): Asset {
  return {
    body,
    contentType,
    etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`,
  };
}
