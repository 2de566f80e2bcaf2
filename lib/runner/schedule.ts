/**
 * When a KluctlDeployment is due for a reconcile (kluctl-semantics §10.1, Kluctl's predicates
 * `GenerationChangedPredicate` or `ReconcileRequestedPredicate`): when first seen, when its generation
 * changed, when any `kluctl.io/request-*` value (reconcile, diff, deploy, prune, validate) appeared or
 * changed (a removed one asks for nothing: the controller removes them itself), when it is being
 * deleted, and when its next run time has come. Pure, so the runner and its tests share it.
 */
import { REQUEST_ANNOTATIONS } from '../api/constants.js';
import type { KluctlDeployment } from '../api/types.js';

/** The manual request kinds, in Kluctl's order of processing. */
type RequestKind = keyof typeof REQUEST_ANNOTATIONS;
const REQUEST_KINDS = Object.keys(REQUEST_ANNOTATIONS) as RequestKind[];

/** What the scheduler remembers of a deployment between ticks. */
export interface ScheduleEntry {
  readonly generation: number;
  /** The request annotation values seen at the last reconcile, by kind. */
  readonly requests?: Readonly<Partial<Record<RequestKind, string>>>;
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
  const requests = requestsOf(kd);
  const asked = REQUEST_KINDS.find((k) => requests[k] !== undefined && requests[k] !== entry.requests?.[k]);
  if (asked) return `${asked} requested`;
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
  const requests = requestsOf(kd);
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

/** The request annotation values of `kd`, by kind. */
function requestsOf(kd: Pick<KluctlDeployment, 'metadata'>): Partial<Record<RequestKind, string>> {
  const out: Partial<Record<RequestKind, string>> = {};
  for (const k of REQUEST_KINDS) {
    const v = kd.metadata.annotations?.[REQUEST_ANNOTATIONS[k]];
    if (v !== undefined) out[k] = v;
  }
  return out;
}
