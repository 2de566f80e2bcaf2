/**
 * `file` and `git` vars sources (kluctl-semantics §3.2, §8.2): the file is found on the search path,
 * rendered, SOPS-decrypted when encrypted (which makes it sensitive) and parsed as YAML. A `git` source
 * loads a file the same way from a checkout of another repository.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { ProjectLoadError, errorMessage } from '../../errors.js';
import type { GitRef } from '../../ports.js';
import { parseGitRef } from '../git-ref.js';
import { isDict } from '../merge.js';
import { isInside, toSlash } from '../paths.js';
import { safeUrl } from '../../util/safe-url.js';
import { maybeDecrypt } from '../sops/sops-decryptor.js';
import type { LoadedValue, SourceArgs } from './source-types.js';
import { parseVarsDict, parseVarsYaml } from './yaml-values.js';

/** Finds `path` in the search dirs (never outside `root`); undefined when no dir holds it. */
function findVarsFile(path: string, searchDirs: readonly string[], root: string): string | undefined {
  for (const dir of searchDirs) {
    const candidate = resolve(dir, path);
    if (!isInside(root, candidate)) continue;
    if (existsSync(candidate) && statSync(candidate).isFile()) return candidate;
  }
  return undefined;
}

interface FileLoad {
  readonly path: string;
  readonly searchDirs: readonly string[];
  readonly root: string;
  /** Name of the file in messages and template errors. */
  readonly label: (abs: string) => string;
}

async function loadVarsFile(a: SourceArgs, f: FileLoad): Promise<LoadedValue> {
  const found = findVarsFile(f.path, f.searchDirs, f.root);
  if (!found) {
    if (a.ignoreMissing) return { value: {}, sensitive: false };
    throw new ProjectLoadError(`failed to render vars file ${f.path}: template ${f.path} not found`, {
      file: a.ctx.file,
    });
  }
  const name = f.label(found);
  const rendered = await a.ctx.engine.render(readFileSync(found, 'utf8'), a.vars, { file: name });
  const plain = await maybeDecrypt(a.runtime.services.sops, rendered, name).catch((err: unknown) => {
    throw new ProjectLoadError(`failed to decrypt vars file ${f.path}: ${errorMessage(err)}`, undefined, {
      cause: err,
    });
  });
  const value = a.multidoc ? parseVarsYaml(plain.text, name, true) : parseVarsDict(plain.text, name, f.path);
  return { value, sensitive: plain.decrypted };
}

/** `file: <path>`: looked up in the project search path. */
export function loadFileSource(a: SourceArgs): Promise<LoadedValue> {
  return loadVarsFile(a, {
    path: a.src.file!,
    searchDirs: a.ctx.searchDirs,
    root: a.ctx.sourceRoot,
    label: (abs) => toSlash(relative(a.ctx.sourceRoot, abs)),
  });
}

/** The `git:` source as written in deployment.yaml. */
interface GitVarsSpec {
  readonly url: string;
  readonly ref?: GitRef;
  readonly path: string;
}

/** Checks a `{url, ref?, path}` spec; `what` names the source type in messages. */
export function gitSpecOf(
  raw: unknown,
  what: string,
  file: string,
): { url: string; ref: GitRef } & Partial<GitVarsSpec> {
  if (!isDict(raw) || typeof raw.url !== 'string' || raw.url === '')
    throw new ProjectLoadError(`${what}.url is required`, { file });
  const ref = parseGitRef(raw.ref, what, file);
  return { ...(raw as Partial<GitVarsSpec>), url: raw.url, ref };
}

/** `git: {url, ref?, path}`: a file of another repository, loaded like `file`. */
export async function loadGitSource(a: SourceArgs): Promise<LoadedValue> {
  const spec = gitSpecOf(a.src.git, 'git', a.ctx.file);
  if (typeof spec.path !== 'string' || spec.path === '')
    throw new ProjectLoadError('git.path is required', { file: a.ctx.file });
  const { dir } = await a.runtime.checkout(spec.url, spec.ref).catch((err: unknown) => {
    throw new ProjectLoadError(
      `failed to load vars from git repository ${safeUrl(spec.url)}: ${errorMessage(err)}`,
      undefined,
      {
        cause: err,
      },
    );
  });
  return loadVarsFile(a, {
    path: spec.path,
    searchDirs: [dir],
    root: dir,
    label: (abs) => `${safeUrl(spec.url)}//${toSlash(relative(dir, abs))}`,
  });
}
