/**
 * When a KluctlDeployment is due for a reconcile (kluctl-semantics §10.1): when first seen, when its
 * generation changed, when a `kluctl.io/request-reconcile` value appeared or changed, when it is being
 * deleted, and when its next run time has come. Pure, so the runner and the schedule function share it.
 */
import { REQUEST_ANNOTATIONS } from '../api/constants.js';
import type { KluctlDeployment } from '../api/types.js';

/** What the scheduler remembers of a deployment between ticks. */
export interface ScheduleEntry {
  readonly generation: number;
  readonly requestReconcile?: string;
  readonly nextRunAt: number;
  readonly deleting?: boolean;
}

/** Why a deployment is due, or undefined when it is not. */
export function dueReason(
  kd: Pick<KluctlDeployment, 'metadata'>,
  entry: ScheduleEntry | undefined,
  now: Date,
): string | undefined {
  if (!entry) return 'first seen';
  if (kd.metadata.deletionTimestamp && !entry.deleting) return 'being deleted';
  if ((kd.metadata.generation ?? 0) !== entry.generation)
    return `generation changed to ${kd.metadata.generation}`;
  const req = kd.metadata.annotations?.[REQUEST_ANNOTATIONS.reconcile];
  if (req !== undefined && req !== entry.requestReconcile) return 'reconcile requested';
  if (entry.nextRunAt <= now.getTime()) return 'interval elapsed';
  return undefined;
}

/** The entry to remember after a reconcile that was started for `kd`. */
export function entryAfterReconcile(
  kd: Pick<KluctlDeployment, 'metadata'>,
  nextRunAt: Date | undefined,
  fallbackMs: number,
  now: Date,
): ScheduleEntry {
  const req = kd.metadata.annotations?.[REQUEST_ANNOTATIONS.reconcile];
  return {
    generation: kd.metadata.generation ?? 0,
    ...(req !== undefined ? { requestReconcile: req } : {}),
    nextRunAt: nextRunAt?.getTime() ?? now.getTime() + fallbackMs,
    ...(kd.metadata.deletionTimestamp ? { deleting: true } : {}),
  };
}

/** `namespace/name`, the runner's key of a deployment. */
export function kdKey(kd: { metadata: { namespace?: string; name: string } }): string {
  return `${kd.metadata.namespace ?? ''}/${kd.metadata.name}`;
}
