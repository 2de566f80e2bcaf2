/**
 * Finds the live objects that belong to a deployment (kluctl-semantics §7.8): every listable resource
 * type is listed with the discriminator label selector, in parallel; rendered objects not found that way
 * (e.g. created by someone else, or without a discriminator) are read one by one.
 */
import { LABEL_DISCRIMINATOR } from '../api/constants.js';
import { KubeApiError } from '../errors.js';
import type { KubeClient, KubeObject, ObjectRef, ResourceInfo } from '../ports.js';
import { mapBounded } from '../util/semaphore.js';
import { refKey, refOf } from './object-ref.js';

/** Live objects keyed by {@link refKey}, plus per-object warnings. */
export interface RemoteObjects {
  readonly byKey: Map<string, KubeObject>;
  readonly warnings: { ref: ObjectRef; message: string }[];
}

/** Whether a resource type can be listed and deleted (only those take part in orphan search). */
export function isListable(r: ResourceInfo): boolean {
  return r.verbs.includes('list') && r.verbs.includes('delete');
}

/** Lists objects with the discriminator, then reads the rendered ones not seen yet. */
export async function collectRemoteObjects(
  kube: KubeClient,
  discriminator: string,
  rendered: readonly KubeObject[],
): Promise<RemoteObjects> {
  const byKey = new Map<string, KubeObject>();
  const warnings: RemoteObjects['warnings'] = [];
  if (discriminator) {
    const resources = (await kube.listResources()).filter(isListable);
    const selector = `${LABEL_DISCRIMINATOR}=${discriminator}`;
    const lists = await mapBounded(resources, 8, (r) =>
      kube.list(r, { labelSelector: selector }).catch(forbiddenAsEmpty),
    );
    for (const o of lists.flat()) byKey.set(refKey(refOf(o)), o);
  }
  const missing = rendered.filter((o) => !byKey.has(refKey(refOf(o))));
  await mapBounded(missing, 16, async (o) => {
    try {
      const live = await kube.get(refOf(o));
      if (live) byKey.set(refKey(refOf(o)), live);
    } catch (err) {
      // An unknown kind (its CRD not applied yet) simply has no live object.
      if (!(err instanceof KubeApiError && err.code === 'KubeNotFound')) throw err;
    }
  });
  return { byKey, warnings };
}

function forbiddenAsEmpty(err: unknown): KubeObject[] {
  // Listing some types may be forbidden or unsupported for this identity; Kluctl then falls back to
  // what it can see, which later issues refine into namespace-level listing.
  if (err instanceof KubeApiError && (err.status === 403 || err.status === 405 || err.status === 404))
    return [];
  throw err;
}
