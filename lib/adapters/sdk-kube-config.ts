/**
 * The part of `@kubernetes/client-node` HttpKubeClient uses, as a module of its own so that it can be
 * imported lazily and still tree-shaken: a dynamic import of the package itself would bundle all of it
 * (its generated API clients are 3 MB).
 */
export { KubeConfig } from '@kubernetes/client-node';
