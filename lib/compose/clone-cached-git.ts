/**
 * The Git source every runtime uses: isomorphic-git behind the clone cache in the state store. One
 * wiring for the CLI's runner, the reconcile function and the benchmarks that stand in for it.
 */
import { IsomorphicGitSource } from '../adapters/isomorphic-git-source.js';
import { TarArchiver } from '../adapters/tar-archiver.js';
import type { Logger, StateStore } from '../ports.js';
import { systemClock } from '../ports.js';
import { CachedGitSource } from '../serverless/clone-cache.js';

/** A Git source that restores checkouts another run stored in `store` instead of cloning again. */
export function cloneCachedGit(store: StateStore, logger: Logger): CachedGitSource {
  return new CachedGitSource({
    inner: new IsomorphicGitSource(),
    store,
    archiver: new TarArchiver(),
    clock: systemClock,
    logger,
  });
}
