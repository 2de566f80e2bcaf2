/**
 * Deletion of a KluctlDeployment (kluctl-semantics §10.9): with `delete: true` and not suspended, every
 * object carrying the discriminator recorded in `status.targetKey` is deleted; then the finalizer goes.
 */
import {
  CONTROLLER_FIELD_MANAGER,
  GITOPS_GROUP,
  GITOPS_VERSION,
  KD_FINALIZER,
  KD_KIND,
  LABEL_DISCRIMINATOR,
} from '../api/constants.js';
import type { KluctlDeployment } from '../api/types.js';
import { errorMessage } from '../errors.js';
import type { KubeClient, Logger, ObjectRef } from '../ports.js';
import { connectTargetCluster } from './target-cluster.js';
import type { TargetCluster, TargetClusterDeps } from './target-cluster.js';
import { deleteObjects, isDeleteProtected, isManagedByKluctl } from '../deploy/delete-objects.js';
import { isListable } from '../deploy/remote-objects.js';
import { mapBounded } from '../util/semaphore.js';

/**
 * Runs the finalizer; returns a message for logs. Delete errors are logged, never block removal.
 * Objects are deleted in the target cluster as the deployment's identity (`spec.kubeConfig`,
 * `spec.serviceAccountName`; Kluctl's delete builds the same REST config, without a context); the
 * finalizer is removed with the runner's own client.
 */
export async function finalizeDeletion(
  deps: TargetClusterDeps,
  kd: KluctlDeployment,
  log: Logger,
): Promise<string> {
  if (!kd.metadata.finalizers?.includes(KD_FINALIZER)) return 'no finalizer';
  let message = 'finalizer removed';
  const discriminator = kd.status?.targetKey?.discriminator;
  if (kd.spec.delete && !kd.spec.suspend && discriminator) {
    let target: TargetCluster | undefined;
    try {
      target = await connectTargetCluster(deps, { namespace: kd.metadata.namespace!, spec: kd.spec });
      const kube = target.kube;
      const resources = (await kube.listResources()).filter(isListable);
      const lists = await mapBounded(resources, 8, (r) =>
        kube.list(r, { labelSelector: `${LABEL_DISCRIMINATOR}=${discriminator}` }).catch(() => []),
      );
      const doomed = lists.flat().filter((o) => isManagedByKluctl(o) && !isDeleteProtected(o));
      const res = await deleteObjects(kube, doomed);
      message = `deleted ${res.deleted.length} objects, ${res.errors.length} errors`;
      for (const e of res.errors)
        log.warn('delete failed', { object: `${e.ref.kind}/${e.ref.name}`, error: e.message });
    } catch (err) {
      message = `deleting the deployment objects failed: ${errorMessage(err)}`;
      log.warn('deleting the deployment objects failed', { error: errorMessage(err) });
    } finally {
      target?.close();
    }
  }
  const rest = kd.metadata.finalizers.filter((f) => f !== KD_FINALIZER);
  await deps.kube.mergePatch(
    {
      group: GITOPS_GROUP,
      version: GITOPS_VERSION,
      kind: KD_KIND,
      name: kd.metadata.name,
      namespace: kd.metadata.namespace!,
    },
    { metadata: { finalizers: rest.length > 0 ? rest : null } },
    {
      fieldManager: CONTROLLER_FIELD_MANAGER,
      ...(kd.metadata.resourceVersion ? { resourceVersion: kd.metadata.resourceVersion } : {}),
    },
  );
  log.info(message);
  return message;
}

/** Adds our finalizer, conditionally on the version read (a concurrent change makes it fail). */
export async function ensureFinalizer(kube: KubeClient, ref: ObjectRef, kd: KluctlDeployment): Promise<void> {
  if (kd.metadata.finalizers?.includes(KD_FINALIZER)) return;
  await kube.mergePatch(
    ref,
    { metadata: { finalizers: [...(kd.metadata.finalizers ?? []), KD_FINALIZER] } },
    {
      fieldManager: CONTROLLER_FIELD_MANAGER,
      ...(kd.metadata.resourceVersion ? { resourceVersion: kd.metadata.resourceVersion } : {}),
    },
  );
}
