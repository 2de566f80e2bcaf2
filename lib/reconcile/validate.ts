/**
 * Validation after a deploy (kluctl-semantics §5.7, §6.4), first cut: every rendered object must exist
 * in the cluster, and each `validate-result.kluctl.io/*` annotation on a live object becomes a result
 * entry. Per-kind readiness rules arrive with the deploy engine issue.
 */
import { randomUUID } from 'node:crypto';
import type { ProjectKey, TargetKey, ValidateResult } from '../api/types.js';
import { errorMessage } from '../errors.js';
import type { Clock, KubeClient, KubeObject } from '../ports.js';
import { mapBounded } from '../util/semaphore.js';
import { toKluctlRef } from '../deploy/command-result.js';
import { refOf } from '../deploy/object-ref.js';

const RESULT_ANNOTATION_PREFIX = 'validate-result.kluctl.io/';

/** Inputs of {@link validateObjects}. */
export interface ValidateInput {
  readonly objects: readonly KubeObject[];
  readonly projectKey: ProjectKey;
  readonly targetKey: TargetKey;
  readonly reconcileId: string;
  readonly renderedObjectsHash?: string;
  readonly kluctlDeployment?: { name: string; namespace: string; clusterId: string };
}

/** Checks the live state of the rendered objects. */
export async function validateObjects(
  kube: KubeClient,
  clock: Clock,
  input: ValidateInput,
): Promise<ValidateResult> {
  const startTime = clock.now().toISOString();
  const errors: { ref: ReturnType<typeof toKluctlRef>; message: string }[] = [];
  const results: { ref: ReturnType<typeof toKluctlRef>; annotation: string; message: string }[] = [];
  await mapBounded(input.objects, 16, async (obj) => {
    const ref = refOf(obj);
    try {
      const live = await kube.get(ref);
      if (!live) {
        errors.push({ ref: toKluctlRef(ref), message: 'object not found' });
        return;
      }
      for (const [k, v] of Object.entries(live.metadata.annotations ?? {})) {
        if (k.startsWith(RESULT_ANNOTATION_PREFIX))
          results.push({ ref: toKluctlRef(ref), annotation: k, message: v });
      }
    } catch (err) {
      errors.push({ ref: toKluctlRef(ref), message: errorMessage(err) });
    }
  });
  return {
    id: randomUUID(),
    reconcileId: input.reconcileId,
    projectKey: input.projectKey,
    targetKey: input.targetKey,
    ...(input.kluctlDeployment ? { kluctlDeployment: input.kluctlDeployment } : {}),
    ...(input.renderedObjectsHash ? { renderedObjectsHash: input.renderedObjectsHash } : {}),
    startTime,
    endTime: clock.now().toISOString(),
    ready: errors.length === 0,
    errors,
    warnings: [],
    results,
  };
}
