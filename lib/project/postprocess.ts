/**
 * Post-processing of built objects (kluctl-semantics §2.10): drop ignored objects, write Kluctl's
 * labels and annotations, and fix namespaces by scope.
 */
import {
  ANNOTATION_DEPLOYMENT_ITEM_DIR,
  ANNOTATION_IGNORE,
  ANNOTATION_SKIP_DELETE_IF_TAGS,
  LABEL_DISCRIMINATOR,
  LABEL_TAG_PREFIX,
} from '../api/constants.js';
import type { KubeObject } from '../ports.js';
import { isGoTrue } from '../util/go-bool.js';
import { isDict } from './merge.js';

/** Decides whether a kind is namespaced; undefined when unknown (the object is left as is). */
export type IsNamespaced = (apiVersion: string, kind: string) => Promise<boolean | undefined>;

/** The metadata Kluctl writes on every object of one item. */
export interface ItemMetadata {
  /** commonLabels of the include chain, children overriding parents. */
  readonly commonLabels: Readonly<Record<string, string>>;
  readonly commonAnnotations: Readonly<Record<string, string>>;
  readonly discriminator: string;
  readonly tags: readonly string[];
  /** Item dir relative to the source root, forward slashes. */
  readonly itemDir: string;
  readonly skipDeleteIfTags: boolean;
}

/** The API group of an apiVersion ("" for `v1`). */
function groupOf(apiVersion: string): string {
  const i = apiVersion.indexOf('/');
  return i < 0 ? '' : apiVersion.slice(0, i);
}

function isIgnored(o: KubeObject): boolean {
  return isGoTrue(o.metadata?.annotations?.[ANNOTATION_IGNORE]);
}

/** Kluctl looks into `v1/List` objects only (k8s.IsListGVK). */
function isList(o: KubeObject): boolean {
  return o.apiVersion === 'v1' && o.kind === 'List';
}

function setMetadata(
  o: KubeObject,
  labels: Record<string, string>,
  annotations: Record<string, string>,
): void {
  if (!isDict(o.metadata)) o.metadata = { name: '' };
  // Kluctl sets labels one at a time: without any to set, an object gets no (empty) labels map.
  if (Object.keys(labels).length > 0) o.metadata.labels = { ...(o.metadata.labels ?? {}), ...labels };
  o.metadata.annotations = { ...(o.metadata.annotations ?? {}), ...annotations };
}

/** Applies steps 1–3 of §2.10 to one item's objects (in place for kept objects); returns the kept ones. */
export function postprocessItemObjects(objects: readonly KubeObject[], meta: ItemMetadata): KubeObject[] {
  const labels: Record<string, string> = { ...meta.commonLabels };
  if (meta.discriminator !== '') labels[LABEL_DISCRIMINATOR] = meta.discriminator;
  meta.tags.forEach((t, i) => (labels[`${LABEL_TAG_PREFIX}${i}`] = t));
  const annotations: Record<string, string> = {
    ...meta.commonAnnotations,
    [ANNOTATION_DEPLOYMENT_ITEM_DIR]: meta.itemDir,
  };
  if (meta.skipDeleteIfTags) annotations[ANNOTATION_SKIP_DELETE_IF_TAGS] = 'true';

  const kept = objects.filter((o) => !isIgnored(o));
  for (const o of kept) {
    setMetadata(o, labels, annotations);
    if (isList(o) && Array.isArray(o.items)) {
      o.items = (o.items as KubeObject[]).filter((x) => isDict(x) && !isIgnored(x));
      for (const x of o.items as KubeObject[]) setMetadata(x, labels, annotations);
    }
  }
  return kept;
}

/** Scopes declared by CRDs among the rendered objects, keyed `<group>/<kind>`; they win over discovery. */
function scopesFromCrds(objects: readonly KubeObject[]): Map<string, boolean> {
  const out = new Map<string, boolean>();
  for (const o of objects) {
    if (
      o.kind !== 'CustomResourceDefinition' ||
      groupOf(o.apiVersion) !== 'apiextensions.k8s.io' ||
      !isDict(o.spec)
    )
      continue;
    const { scope, group, names } = o.spec as {
      scope?: unknown;
      group?: unknown;
      names?: { kind?: unknown };
    };
    if (
      typeof scope === 'string' &&
      scope &&
      typeof group === 'string' &&
      group &&
      typeof names?.kind === 'string' &&
      names.kind
    ) {
      out.set(`${group}/${names.kind}`, scope === 'Namespaced');
    }
  }
  return out;
}

/**
 * Step 5 of §2.10: namespaced objects without namespace get `default`, cluster-scoped ones lose theirs.
 * Scope comes from CRDs in the same render, then the cluster (`isNamespaced`). Only with a cluster:
 * Kluctl skips the whole step when rendering offline (see renderProject).
 */
export async function fixNamespaces(objects: readonly KubeObject[], lookup: IsNamespaced): Promise<void> {
  const crdScopes = scopesFromCrds(objects);
  const cache = new Map<string, Promise<boolean | undefined>>();
  for (const o of objects) {
    const key = `${groupOf(o.apiVersion)}/${o.kind}`;
    let namespaced = crdScopes.get(key);
    if (namespaced === undefined) {
      const cacheKey = `${o.apiVersion}/${o.kind}`;
      if (!cache.has(cacheKey)) cache.set(cacheKey, lookup(o.apiVersion, o.kind));
      namespaced = await cache.get(cacheKey);
    }
    // Helm objects default to their release namespace; the internal annotation never reaches the cluster.
    const ann = isDict(o.metadata) ? o.metadata.annotations : undefined;
    const helmNs = ann?.['kluctl.io/helm-install-namespace'];
    if (ann && helmNs !== undefined) delete ann['kluctl.io/helm-install-namespace'];
    if (namespaced === undefined || !isDict(o.metadata)) continue;
    if (!namespaced && o.metadata.namespace) delete o.metadata.namespace;
    else if (namespaced && !o.metadata.namespace) o.metadata.namespace = helmNs || 'default';
  }
}
