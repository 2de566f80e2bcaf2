/**
 * The schedule function, invoked by an EventBridge schedule: enqueues the due deployments
 * (lib/serverless/schedule-tick.ts). A failure is thrown, so Lambda's retry of the asynchronous
 * invocation runs the tick again; the deduplication ids keep a repeated tick from enqueuing twice.
 */
import middy from '@middy/core';
import type { ScheduledEvent } from 'aws-lambda';
import { scheduleTick } from '../../lib/serverless/schedule-tick.js';
import type { ScheduleTickDeps, ScheduleTickResult } from '../../lib/serverless/schedule-tick.js';
import { runtimeDeps } from '../shared/runtime-deps.js';

/** Runs one tick for an EventBridge event. */
export async function handleScheduleTick(
  event: Pick<ScheduledEvent, 'id' | 'time'>,
  deps: ScheduleTickDeps,
): Promise<ScheduleTickResult> {
  return scheduleTick({ ...deps, logger: deps.logger.child({ eventId: event.id, eventTime: event.time }) });
}

/** The Lambda entry point. */
export const handler = middy<ScheduledEvent, ScheduleTickResult>().handler((event) =>
  handleScheduleTick(event, runtimeDeps()),
);
