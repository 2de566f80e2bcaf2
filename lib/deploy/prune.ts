/**
 * Orphan detection and deletion (kluctl-semantics §5.3, §7.8): a live object with the discriminator
 * that is no longer rendered is an orphan when kluctl manages it and nothing protects it.
 */
import {
  ANNOTATION_FORCE_MANAGED,
  ANNOTATION_HELM_RESOURCE_POLICY,
  ANNOTATION_SKIP_DELETE,
  FIELD_MANAGER,
} from '../api/constants.js';
import { errorMessage } from '../errors.js';
import type { KubeClient, KubeObject, ObjectRef } from '../ports.js';
import { mapBounded } from '../util/semaphore.js';
import { isNamespace, refKey, refOf } from './object-ref.js';

/** Whether kluctl manages a live object: no owner and an apply by `kluctl`, or `force-managed`. */
export function isManagedByKluctl(obj: KubeObject): boolean {
  if (obj.metadata.annotations?.[ANNOTATION_FORCE_MANAGED] === 'true') return true;
  if ((obj.metadata.ownerReferences?.length ?? 0) > 0) return false;
  return (obj.metadata.managedFields ?? []).some((m) => m.manager === FIELD_MANAGER);
}

/** Whether an annotation protects the object from deletion. */
export function isDeleteProtected(obj: KubeObject): boolean {
  const a = obj.metadata.annotations ?? {};
  return a[ANNOTATION_SKIP_DELETE] === 'true' || a[ANNOTATION_HELM_RESOURCE_POLICY] === 'keep';
}

/** The live objects that are orphans with respect to the rendered objects. */
export function findOrphans(remote: Iterable<KubeObject>, rendered: readonly KubeObject[]): KubeObject[] {
  const renderedKeys = new Set(rendered.map((o) => refKey(refOf(o))));
  return [...remote].filter(
    (o) => !renderedKeys.has(refKey(refOf(o))) && isManagedByKluctl(o) && !isDeleteProtected(o),
  );
}

/** Outcome of deleting objects: the deleted refs and per-object errors. */
export interface DeleteOutcome {
  readonly deleted: ObjectRef[];
  readonly errors: { ref: ObjectRef; message: string }[];
}

/**
 * Deletes objects in Kluctl's order: namespaces first (their contents go with them and are skipped),
 * then everything else in parallel.
 */
export async function deleteObjects(
  kube: KubeClient,
  objects: readonly KubeObject[],
): Promise<DeleteOutcome> {
  const out: DeleteOutcome = { deleted: [], errors: [] };
  const namespaces = objects.filter(isNamespace);
  const doomed = new Set(namespaces.map((n) => n.metadata.name));
  const rest = objects.filter(
    (o) => !isNamespace(o) && !(o.metadata.namespace && doomed.has(o.metadata.namespace)),
  );
  const run = async (o: KubeObject): Promise<void> => {
    const ref = refOf(o);
    try {
      await kube.delete(ref);
      out.deleted.push(ref);
    } catch (err) {
      out.errors.push({ ref, message: errorMessage(err) });
    }
  };
  await mapBounded(namespaces, 8, run);
  await mapBounded(rest, 8, run);
  return out;
}
