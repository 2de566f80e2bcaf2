/**
 * Per-render state of the vars sources: the injected services, the Git checkouts made for `git` and
 * `gitFiles` sources (one per URL and commit, removed by {@link VarsRuntime.dispose}) and the record of
 * which vars came from sensitive sources.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProjectLoadError } from '../../errors.js';
import type { GitRef } from '../../ports.js';
import { isDict } from '../merge.js';
import type { VarsServices } from './vars-services.js';

/** Vars loaded from a sensitive source (kluctl-semantics §3.2 `sensitive`). */
export interface SensitiveVars {
  /** The file declaring the source, relative to the source root. */
  readonly file: string;
  /** The source type (`clusterSecret`, `file`, ...). */
  readonly type: string;
  /** Dotted paths of the leaves the source contributed (before merging). */
  readonly paths: readonly string[];
  /** The non-empty string values among them, for redaction. Never log these. */
  readonly values: readonly string[];
}

/** Services, checkouts and sensitive records of one render. */
export class VarsRuntime {
  readonly services: VarsServices;
  private readonly sensitiveList: SensitiveVars[] = [];
  private readonly checkouts = new Map<string, Promise<{ dir: string; commit: string }>>();
  private workDir: Promise<string> | undefined;

  constructor(services: VarsServices = {}) {
    this.services = services;
  }

  /** What sensitive sources loaded so far, in load order. */
  get sensitive(): readonly SensitiveVars[] {
    return this.sensitiveList;
  }

  /** Records the vars a sensitive source produced. */
  recordSensitive(file: string, type: string, vars: unknown): void {
    const paths: string[] = [];
    const values = new Set<string>();
    const walk = (v: unknown, path: string): void => {
      if (isDict(v)) for (const [k, x] of Object.entries(v)) walk(x, path ? `${path}.${k}` : k);
      else if (Array.isArray(v)) v.forEach((x, i) => walk(x, `${path}[${i}]`));
      else {
        paths.push(path);
        if (typeof v === 'string' && v !== '') values.add(v);
      }
    };
    walk(vars, '');
    this.sensitiveList.push({ file, type, paths, values: [...values] });
  }

  /** Checks out `url` at `ref` once per render; later calls for the same URL and ref reuse the dir. */
  checkout(url: string, ref: GitRef): Promise<{ dir: string; commit: string }> {
    const key = JSON.stringify([url, ref.branch ?? '', ref.tag ?? '', ref.commit ?? '']);
    let entry = this.checkouts.get(key);
    if (!entry) {
      entry = this.doCheckout(url, ref, this.checkouts.size);
      this.checkouts.set(key, entry);
      // A failed checkout is not cached, so a later source may try again.
      entry.catch(() => this.checkouts.delete(key));
    }
    return entry;
  }

  private async doCheckout(url: string, ref: GitRef, n: number): Promise<{ dir: string; commit: string }> {
    const git = this.services.git;
    if (!git) throw new ProjectLoadError('loading vars from git is disabled: no Git access was configured');
    this.workDir ??= mkdtemp(join(tmpdir(), 'kluctl-vars-git-'));
    const dir = join(await this.workDir, String(n));
    const auth = this.services.gitAuth?.(url);
    const { commit } = await git.checkout(url, ref, dir, auth);
    return { dir, commit };
  }

  /** Removes the checkouts. */
  async dispose(): Promise<void> {
    const dir = this.workDir;
    this.workDir = undefined;
    this.checkouts.clear();
    if (dir) await rm(await dir, { recursive: true, force: true });
  }
}
