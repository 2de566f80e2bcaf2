/**
 * Loading a heavy module on first use. Adapters load their SDK (isomorphic-git, ssh2, tar, the AWS
 * SDK, @kubernetes/client-node) through this, so a process pays for an SDK only once it uses it: an
 * offline `render` never loads the AWS SDK or the Kubernetes client (issue 14: start-up time). In the
 * CLI's code-split build each such module is a chunk of its own.
 */

/** Memoizes `load`: it runs on the first call; every call shares its promise. */
export function lazyImport<T>(load: () => Promise<T>): () => Promise<T> {
  let loaded: Promise<T> | undefined;
  return () => (loaded ??= load());
}
