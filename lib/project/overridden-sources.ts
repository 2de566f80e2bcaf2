/**
 * GitSource and OciSource decorators that apply source overrides (./source-overrides.ts): a covered
 * repository is copied from its local directory instead of being cloned or pulled. Wrapping the ports
 * reaches every place Kluctl's repo caches serve (project source, git and oci includes, git vars
 * sources, Git Helm charts), as Kluctl resolves overrides inside its Git and OCI repo caches.
 */
import { cp } from 'node:fs/promises';
import { normalize } from 'node:path';
import type {
  GitAuth,
  GitCheckout,
  GitRef,
  GitRefLister,
  GitSource,
  OciAuth,
  OciPull,
  OciRef,
  OciSource,
  RemoteRefs,
} from '../ports.js';
import { gitRepoKey, ociRepoKey, repoKeyText, resolveOverride } from './source-overrides.js';
import type { RepoKey, RepoOverride } from './source-overrides.js';
import { safeUrl } from '../util/safe-url.js';

/** What the decorators need. */
export interface OverrideOptions {
  readonly overrides: readonly RepoOverride[];
  /**
   * Told once per repository that is read from a local directory (Kluctl prints
   * `Overriding git repo <url> with local directory <dir>` as a warning). Default: nobody.
   */
  readonly onOverride?: (message: string) => void;
}

/** Remembers which repositories were announced, so each is told once per decorator. */
class Announcer {
  private readonly seen = new Set<string>();
  constructor(private readonly onOverride: ((message: string) => void) | undefined) {}
  tell(kind: string, key: RepoKey, url: string, dir: string): void {
    const id = repoKeyText(key);
    if (this.seen.has(id)) return;
    this.seen.add(id);
    this.onOverride?.(`Overriding ${kind} repo ${safeUrl(url)} with local directory ${dir}`);
  }
}

/** Copies an override directory as it is (symlinks stay symlinks, as Kluctl's copy keeps them). */
async function copyOverride(from: string, to: string): Promise<void> {
  await cp(normalize(from), to, { recursive: true, verbatimSymlinks: true, force: true });
}

/** A GitSource that reads overridden repositories from their local directories. */
export class OverriddenGitSource implements GitSource {
  private readonly announcer: Announcer;
  constructor(
    private readonly inner: GitSource,
    private readonly opts: OverrideOptions,
  ) {
    this.announcer = new Announcer(opts.onOverride);
  }

  /** An overridden repository has no commit: '' (Kluctl's empty checkout info). */
  async resolveRef(url: string, ref: GitRef, auth?: GitAuth): Promise<string> {
    if (this.localDir(url) !== undefined) return '';
    return this.inner.resolveRef(url, ref, auth);
  }

  /** Copies the override (ignoring `ref`, as Kluctl does), else checks out through the wrapped source. */
  async checkout(url: string, ref: GitRef, dir: string, auth?: GitAuth): Promise<GitCheckout> {
    const local = this.localDir(url);
    if (local === undefined) return this.inner.checkout(url, ref, dir, auth);
    await copyOverride(local, dir);
    return { commit: '' };
  }

  private localDir(url: string): string | undefined {
    if (this.opts.overrides.length === 0) return undefined;
    const key = gitRepoKey(url);
    const dir = resolveOverride(this.opts.overrides, key);
    if (dir !== undefined) this.announcer.tell('git', key, url, dir);
    return dir;
  }
}

/** An OciSource that reads overridden repositories from their local directories. */
export class OverriddenOciSource implements OciSource {
  private readonly announcer: Announcer;
  constructor(
    private readonly inner: OciSource,
    private readonly opts: OverrideOptions,
  ) {
    this.announcer = new Announcer(opts.onOverride);
  }

  /** Copies the override (no digest, no recorded commit), else pulls through the wrapped source. */
  async pull(url: string, ref: OciRef, dir: string, auth?: OciAuth): Promise<OciPull> {
    if (this.opts.overrides.length > 0) {
      const key = ociRepoKey(url);
      const local = resolveOverride(this.opts.overrides, key);
      if (local !== undefined) {
        this.announcer.tell('oci', key, url, local);
        await copyOverride(local, dir);
        return { digest: '' };
      }
    }
    return this.inner.pull(url, ref, dir, auth);
  }
}

/**
 * A GitRefLister for `gitFiles` vars sources: an overridden repository has no remote refs, as in
 * Kluctl (its repo cache entry of an override carries none), so `gitFiles` of it finds no ref to read.
 */
export class OverriddenGitRefLister implements GitRefLister {
  constructor(
    private readonly inner: GitRefLister,
    private readonly opts: Pick<OverrideOptions, 'overrides'>,
  ) {}

  async listRefs(url: string, auth?: GitAuth): Promise<RemoteRefs> {
    if (this.opts.overrides.length > 0 && resolveOverride(this.opts.overrides, gitRepoKey(url)) !== undefined)
      return { refs: {} };
    return this.inner.listRefs(url, auth);
  }
}
