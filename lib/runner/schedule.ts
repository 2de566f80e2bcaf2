/**
 * When a KluctlDeployment is due for a reconcile (kluctl-semantics §10.1): when first seen, when its
 * generation changed, when a `kluctl.io/request-*` value appeared or changed (a removed one asks for
 * nothing), when it is being deleted, and when its next run time has come. Pure, so the runner and the
 * schedule function share it.
 */
import { REQUEST_ANNOTATIONS } from '../api/constants.js';
import type { KluctlDeployment } from '../api/types.js';

/** What the scheduler remembers of a deployment between ticks. */
export interface ScheduleEntry {
  readonly generation: number;
  /** The `kluctl.io/request-*` values the last run was started with, by annotation. */
  readonly requests?: Readonly<Record<string, string>>;
  readonly nextRunAt: number;
  readonly deleting?: boolean;
}

/** Why a deployment is due, or undefined when it is not. */
export function dueReason(
  kd: KluctlDeployment,
  entry: ScheduleEntry | undefined,
  now: Date,
): string | undefined {
  if (!entry) return 'first seen';
  if (kd.metadata.deletionTimestamp && !entry.deleting) return 'being deleted';
  if ((kd.metadata.generation ?? 0) !== entry.generation)
    return `generation changed to ${kd.metadata.generation}`;
  const current = requestValues(kd);
  const requested = Object.keys(current).find((k) => current[k] !== entry.requests?.[k]);
  if (requested) return `${requested.replace('kluctl.io/request-', '')} requested`;
  if (entry.nextRunAt <= now.getTime()) return 'interval elapsed';
  return undefined;
}

/** The entry to remember after a reconcile that was started for `kd`. */
export function entryAfterReconcile(
  kd: KluctlDeployment,
  nextRunAt: Date | undefined,
  fallbackMs: number,
  now: Date,
): ScheduleEntry {
  const requests = requestValues(kd);
  return {
    generation: kd.metadata.generation ?? 0,
    ...(Object.keys(requests).length > 0 ? { requests } : {}),
    nextRunAt: nextRunAt?.getTime() ?? now.getTime() + fallbackMs,
    ...(kd.metadata.deletionTimestamp ? { deleting: true } : {}),
  };
}

/** `namespace/name`, the runner's key of a deployment. */
export function kdKey(kd: { metadata: { namespace?: string; name: string } }): string {
  return `${kd.metadata.namespace ?? ''}/${kd.metadata.name}`;
}

/** The `kluctl.io/request-*` annotations of `kd` that are set, by name. */
function requestValues(kd: KluctlDeployment): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of Object.values(REQUEST_ANNOTATIONS)) {
    const v = kd.metadata.annotations?.[name];
    if (v !== undefined) out[name] = v;
  }
  return out;
}
