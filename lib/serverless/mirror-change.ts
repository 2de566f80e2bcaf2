/**
 * What a pushed KluctlDeployment changes compared with its mirror: whether the mirror must be
 * rewritten, and whether (and why) a reconcile must be enqueued. Pure, so ingest and its table test
 * share it. The triggers follow lib/runner/schedule.ts `dueReason` (kluctl-semantics §10.1) minus the
 * interval, which the schedule tick owns: a new object, a new generation, a changed
 * `kluctl.io/request-*` value, and a deletion timestamp that appeared.
 */
import { REQUEST_ANNOTATIONS } from '../api/constants.js';
import { goJson } from '../project/objects-hash.js';
import type { MirroredDeployment, ReconcileReason } from './protocol.js';

/** The verdict on one pushed object. */
export interface MirrorChange {
  /** Whether the mirror must be (re)written. */
  readonly write: boolean;
  /** Why a reconcile is due; undefined when none is. */
  readonly reason?: Extract<ReconcileReason, 'created' | 'generation' | 'request' | 'deletion'>;
  /** Set when the push is older than the mirror (a late retry) and was ignored. */
  readonly stale?: boolean;
}

const REQUEST_KEYS: readonly string[] = Object.values(REQUEST_ANNOTATIONS);

/**
 * Compares a pushed object with its current mirror. `resourceVersion` alone changes with every status
 * write, so it never makes a change relevant; an object with the same UID and a lower generation is a
 * late retry of an older state and is ignored.
 */
export function mirrorChange(
  previous: MirroredDeployment | undefined,
  next: MirroredDeployment,
): MirrorChange {
  const prev = previous?.metadata;
  const cur = next.metadata;
  if (!prev || prev.uid !== cur.uid) return { write: true, reason: 'created' };
  if ((cur.generation ?? 0) < (prev.generation ?? 0)) return { write: false, stale: true };
  const write = goJson(withoutResourceVersion(previous)) !== goJson(withoutResourceVersion(next));
  if (!write) return { write };
  if (cur.deletionTimestamp && !prev.deletionTimestamp) return { write, reason: 'deletion' };
  if ((cur.generation ?? 0) !== (prev.generation ?? 0)) return { write, reason: 'generation' };
  // A request annotation that was removed asks for nothing; a new or changed value does.
  const requested = REQUEST_KEYS.some((k) => {
    const v = cur.annotations?.[k];
    return v !== undefined && v !== prev.annotations?.[k];
  });
  return requested ? { write, reason: 'request' } : { write };
}

function withoutResourceVersion(o: MirroredDeployment): unknown {
  const { resourceVersion: _rv, ...metadata } = o.metadata;
  return { ...o, metadata };
}
