/**
 * Validation after a deploy (kluctl-semantics §5.7, §6.4): every rendered object must exist in the
 * cluster and be ready by the rules of lib/deploy/readiness.ts (not ready is an error here), and each
 * `validate-result.kluctl.io/*` annotation on a live object becomes a result entry.
 */
import { randomUUID } from 'node:crypto';
import type { ProjectKey, TargetKey, ValidateResult } from '../api/types.js';
import { errorMessage } from '../errors.js';
import type { Clock, KubeClient, KubeObject } from '../ports.js';
import { mapBounded } from '../util/semaphore.js';
import { toKluctlRef } from '../deploy/command-result.js';
import { refOf } from '../deploy/object-ref.js';
import { checkReadiness } from '../deploy/readiness.js';

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
  const warnings: { ref: ReturnType<typeof toKluctlRef>; message: string }[] = [];
  const results: { ref: ReturnType<typeof toKluctlRef>; annotation: string; message: string }[] = [];
  await mapBounded(input.objects, 16, async (obj) => {
    const ref = refOf(obj);
    try {
      const live = await kube.get(ref);
      if (!live) {
        errors.push({ ref: toKluctlRef(ref), message: 'object not found' });
        return;
      }
      const info = await kube.resolve(obj.apiVersion, obj.kind);
      const r = checkReadiness(live, { now: clock.now(), statusExpected: info?.hasStatus });
      const kref = toKluctlRef(ref);
      for (const res of r.results) results.push({ ref: kref, ...res });
      for (const m of [...r.errors, ...r.notReady]) errors.push({ ref: kref, message: m });
      for (const m of r.warnings) warnings.push({ ref: kref, message: m });
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
    warnings,
    results,
  };
}
