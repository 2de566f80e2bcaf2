/**
 * The schedule tick (DESIGN.md §3): on each EventBridge tick, enqueue one reconcile per mirrored
 * deployment whose next run time has come. It reads only the schedule index (schedule-index.ts: one
 * listing plus one read per shard), never the mirrors, so its cost stays flat as deployments grow.
 *
 * "Due" is lib/runner/schedule.ts `dueReason`'s "interval elapsed": `nextRunAt <= now`, where the
 * reconcile computed `nextRunAt` from the interval, or the retry interval after a failure. The other
 * reasons there (first seen, generation, request, deletion) are ingest's, which enqueues them at once.
 *
 * The tick writes nothing. Each message's deduplication id names the deployment and its due slot
 * (the `nextRunAt` it was due at), so ticks that overlap, or a tick retried by EventBridge, enqueue a
 * slot once; a slot still due after the queue's deduplication window (the reconcile never recorded a
 * new time, e.g. it was killed) is enqueued again, which is the retry that case needs.
 */
import { createHash } from 'node:crypto';
import type { Clock, Logger, StateStore } from '../ports.js';
import type { ReconcileMessage, ReconcileQueue } from './protocol.js';
import { readScheduleIndex } from './schedule-index.js';
import type { IndexedDeployment } from './schedule-index.js';

/** What the tick needs. */
export interface ScheduleTickDeps {
  readonly store: StateStore;
  readonly queue: ReconcileQueue;
  readonly clock: Clock;
  readonly logger: Logger;
}

/** What one tick saw and did. */
export interface ScheduleTickResult {
  /** Deployments in the index. */
  readonly indexed: number;
  /** Those due now (and enqueued). */
  readonly due: number;
  /** Milliseconds the tick took. */
  readonly ms: number;
}

/** Enqueues every due deployment once. */
export async function scheduleTick(deps: ScheduleTickDeps): Promise<ScheduleTickResult> {
  const started = performance.now();
  const now = deps.clock.now().getTime();
  const indexed = await readScheduleIndex(deps.store);
  const due = indexed.filter((d) => d.nextRunAt !== undefined && Date.parse(d.nextRunAt) <= now);
  if (due.length > 0) await deps.queue.enqueue(due.map(scheduleMessage));
  const result = { indexed: indexed.length, due: due.length, ms: Math.round(performance.now() - started) };
  deps.logger.info(`schedule tick enqueued ${due.length} of ${indexed.length} deployments`, result);
  return result;
}

/** The message of one due slot; equal slots give equal deduplication ids. */
export function scheduleMessage(d: IndexedDeployment): ReconcileMessage {
  const deduplicationId = createHash('sha256')
    .update(`schedule\n${d.clusterId}\n${d.namespace}\n${d.name}\n${d.nextRunAt ?? ''}`)
    .digest('hex');
  return {
    clusterId: d.clusterId,
    namespace: d.namespace,
    name: d.name,
    reason: 'schedule',
    deduplicationId,
  };
}
