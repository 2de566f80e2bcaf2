/**
 * `.templateignore` (kluctl-semantics §3.1): gitignore-syntax files that exclude files from templating;
 * matching files are copied verbatim. The files are collected from the source root down to the item dir
 * and in every sub-directory below it; each file's patterns apply relative to the dir holding it, and a
 * deeper file can re-include (`!pattern`) what a shallower one ignored.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ignoreModule from 'ignore';
import type { Ignore, Options } from 'ignore';
import { isInside, toSlash } from './paths.js';

const FILE_NAME = '.templateignore';

// `ignore` is CommonJS (module.exports = factory, factory.default = factory); under NodeNext its
// default import is typed as the module object, so take the factory explicitly.
const ignore = ((ignoreModule as unknown as { default?: unknown }).default ?? ignoreModule) as (
  options?: Options,
) => Ignore;

interface Scope {
  /** Dir of the `.templateignore`, relative to the source root, forward slashes ("" = root). */
  readonly base: string;
  readonly rules: Ignore;
}

/** An immutable stack of `.templateignore` scopes. */
export class TemplateIgnore {
  private constructor(private readonly scopes: readonly Scope[]) {}

  /** The scopes of every dir from `sourceRoot` down to `dir` (both absolute; dir inside the root). */
  static forDir(sourceRoot: string, dir: string): TemplateIgnore {
    let t = new TemplateIgnore([]);
    if (!isInside(sourceRoot, dir)) return t.withDir(sourceRoot, dir);
    const parts = toSlash(relative(sourceRoot, dir)).split('/').filter(Boolean);
    for (let i = 0; i <= parts.length; i++) t = t.withDir(sourceRoot, join(sourceRoot, ...parts.slice(0, i)));
    return t;
  }

  /** Adds the `.templateignore` of `dir`, if there is one. */
  withDir(sourceRoot: string, dir: string): TemplateIgnore {
    const file = join(dir, FILE_NAME);
    if (!existsSync(file)) return this;
    const base = toSlash(relative(sourceRoot, dir));
    return new TemplateIgnore([...this.scopes, { base, rules: ignore().add(readFileSync(file, 'utf8')) }]);
  }

  /** Whether a path (relative to the source root) is excluded from templating. */
  isIgnored(relPath: string, isDir = false): boolean {
    const path = toSlash(relPath);
    let ignored = false;
    for (const s of this.scopes) {
      const prefix = s.base === '' ? '' : `${s.base}/`;
      if (!path.startsWith(prefix) || path === s.base) continue;
      const sub = path.slice(prefix.length);
      const r = s.rules.test(isDir ? `${sub}/` : sub);
      if (r.ignored) ignored = true;
      else if (r.unignored) ignored = false;
    }
    return ignored;
  }

  /** Whether the file or any dir on its way down from the source root is excluded. */
  isFileIgnored(relPath: string): boolean {
    const parts = toSlash(relPath).split('/');
    for (let i = 1; i < parts.length; i++) if (this.isIgnored(parts.slice(0, i).join('/'), true)) return true;
    return this.isIgnored(relPath);
  }
}
