// The schedule function against LocalStack S3 and SQS FIFO, through its real handler: a tick enqueues
// exactly the deployments whose next run time has come (over several clusters), overlapping ticks
// enqueue a due slot once, and the reconcile side's recordNextRun moves a deployment out of the way.
// The event pump then plays the SQS event source mapping, redelivering a failed message.
import { beforeAll, describe, expect, it } from '@jest/globals';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { createS3StateStore } from '../../lib/adapters/s3-factory.js';
import { createSqsReconcileQueue } from '../../lib/adapters/sqs-queue.js';
import { silentLogger } from '../../lib/ports.js';
import type { StateStore } from '../../lib/ports.js';
import type { ReconcileMessage } from '../../lib/serverless/protocol.js';
import {
  editScheduleIndex,
  nextRunRecorder,
  readScheduleIndex,
  recordNextRun,
} from '../../lib/serverless/schedule-index.js';
import type { ScheduleTickDeps } from '../../lib/serverless/schedule-tick.js';
import { handleScheduleTick } from '../../functions/schedule/handler.js';
import {
  createBucket,
  createFifoQueue,
  drainQueue,
  localAwsSettings,
  localSqs,
} from '../../devenv/aws-local.js';
import { SqsEventPump } from '../../devenv/event-pump.js';
import { scheduledEvent } from '../../devenv/lambda-events.js';
import { testEnv } from '../support/test-env.js';

const now = new Date(Date.UTC(2026, 11, 6, 12, 0, 0));
const at = (offsetMs: number) => new Date(now.getTime() + offsetMs);
let sqs: SQSClient;

beforeAll(() => {
  sqs = localSqs(testEnv().s3.endpoint);
});

/** A fresh bucket (the tick reads every cluster's index in it) and queue per test. */
async function setup(visibilityTimeoutSec = 2) {
  const { endpoint } = testEnv().s3;
  const store = createS3StateStore({
    bucket: await createBucket(endpoint, 'ks-schedule'),
    ...localAwsSettings(endpoint),
  });
  const queueUrl = await createFifoQueue(sqs, 'ks-schedule', { visibilityTimeoutSec });
  const deps: ScheduleTickDeps = {
    store,
    queue: createSqsReconcileQueue({ queueUrl, ...localAwsSettings(endpoint) }),
    clock: { now: () => now },
    logger: silentLogger,
  };
  const names = async () =>
    (await drainQueue(sqs, queueUrl))
      .map((m) => JSON.parse(m.Body!) as ReconcileMessage)
      .map((m) => `${m.clusterId}/${m.namespace}/${m.name}:${m.reason}`)
      .sort();
  return { store, queueUrl, deps, names };
}

/** Indexes deployments as ingest does, then sets their next run times as the reconcile side does. */
async function seed(store: StateStore, runs: Record<string, Date | undefined>) {
  const byCluster = new Map<string, { namespace: string; name: string; nextRunAt: Date }[]>();
  for (const id of Object.keys(runs)) {
    const [clusterId, namespace, name] = id.split('/') as [string, string, string];
    byCluster.set(clusterId, [
      ...(byCluster.get(clusterId) ?? []),
      { namespace, name, nextRunAt: at(3_600_000) },
    ]);
  }
  for (const [clusterId, ensure] of byCluster) await editScheduleIndex(store, clusterId, { ensure });
  for (const [id, next] of Object.entries(runs)) {
    const [clusterId, namespace, name] = id.split('/') as [string, string, string];
    await recordNextRun(store, { clusterId, namespace, name }, next);
  }
}

describe('schedule tick', () => {
  it('enqueues exactly the due deployments of every cluster, once even when ticks overlap', async () => {
    const t = await setup();
    await seed(t.store, {
      'c1/ns/past': at(-60_000),
      'c1/ns/future': at(60_000),
      'c1/ns/suspended': undefined,
      'c2/ns/past': at(-1),
      'c2/other/now': now,
      'c2/ns/future': at(1),
    });
    const results = await Promise.all([
      handleScheduleTick(scheduledEvent(now), t.deps),
      handleScheduleTick(scheduledEvent(now), t.deps),
    ]);
    expect(results.map(({ indexed, due }) => ({ indexed, due }))).toEqual([
      { indexed: 6, due: 3 },
      { indexed: 6, due: 3 },
    ]);
    const due = ['c1/ns/past:schedule', 'c2/ns/past:schedule', 'c2/other/now:schedule'];
    expect(await t.names()).toEqual(due);
    // A later tick before the reconciles recorded new times: the same slots, deduplicated; one more due.
    await handleScheduleTick(scheduledEvent(at(30_000)), { ...t.deps, clock: { now: () => at(30_000) } });
    expect(await t.names()).toEqual(['c2/ns/future:schedule']);
    // The reconcile of c1/ns/past recorded its next run; c2/ns/past failed and records a retry slot.
    await recordNextRun(t.store, { clusterId: 'c1', namespace: 'ns', name: 'past' }, at(300_000));
    await recordNextRun(t.store, { clusterId: 'c2', namespace: 'ns', name: 'past' }, at(10_000));
    await handleScheduleTick(scheduledEvent(at(40_000)), { ...t.deps, clock: { now: () => at(40_000) } });
    expect(await t.names()).toEqual(['c2/ns/past:schedule']);
  });

  it('recordNextRun never brings back a deployment that is not indexed', async () => {
    const t = await setup();
    await recordNextRun(t.store, { clusterId: 'c1', namespace: 'ns', name: 'gone' }, at(-1));
    await seed(t.store, { 'c1/ns/kept': at(-1) });
    await editScheduleIndex(t.store, 'c1', { remove: [{ namespace: 'ns', name: 'kept' }] });
    await recordNextRun(t.store, { clusterId: 'c1', namespace: 'ns', name: 'kept' }, at(-1));
    expect(await readScheduleIndex(t.store)).toEqual([]);
    expect((await handleScheduleTick(scheduledEvent(now), t.deps)).due).toBe(0);
    expect(await t.names()).toEqual([]);
  });

  it('nextRunRecorder reads the shard only when the next run moved or its memory is old', async () => {
    const t = await setup();
    await seed(t.store, { 'c1/ns/app': at(60_000) });
    let t0 = now.getTime();
    const calls: string[] = [];
    const store: StateStore = {
      get: (k) => (calls.push('get'), t.store.get(k)),
      put: (k, b, c) => (calls.push('put'), t.store.put(k, b, c)),
      delete: (k) => t.store.delete(k),
      list: (p) => t.store.list(p),
    };
    const record = nextRunRecorder(store, { clock: { now: () => new Date(t0) }, maxAgeMs: 600_000 });
    const id = { clusterId: 'c1', namespace: 'ns', name: 'app' };
    await record(id, at(120_000));
    expect(calls.splice(0)).toEqual(['get', 'put']);
    await record(id, at(120_000));
    expect(calls.splice(0)).toEqual([]);
    await record(id, at(180_000));
    expect(calls.splice(0)).toEqual(['get', 'put']);
    t0 += 600_000;
    await record(id, at(180_000));
    expect(calls.splice(0)).toEqual(['get']);
    expect((await readScheduleIndex(t.store))[0]?.nextRunAt).toBe(at(180_000).toISOString());
  });
});

describe('event pump', () => {
  it('delivers the queued messages as SQS events, deletes the handled ones and redelivers a failure', async () => {
    const t = await setup(1);
    await seed(t.store, { 'c1/ns/a': at(-1), 'c1/ns/b': at(-1), 'c1/ns/flaky': at(-1) });
    await handleScheduleTick(scheduledEvent(now), t.deps);
    const seen: string[] = [];
    let failedOnce = false;
    const pump = new SqsEventPump({
      sqs,
      queueUrl: t.queueUrl,
      handler: (event: SQSEvent): Promise<SQSBatchResponse> => {
        const failures = [];
        for (const r of event.Records) {
          expect(r.eventSource).toBe('aws:sqs');
          const m = JSON.parse(r.body) as ReconcileMessage;
          expect(r.attributes.MessageGroupId).toBe(`${m.clusterId}/${m.namespace}/${m.name}`);
          seen.push(m.name);
          if (m.name === 'flaky' && !failedOnce) {
            failedOnce = true;
            failures.push({ itemIdentifier: r.messageId });
          }
        }
        return Promise.resolve({ batchItemFailures: failures });
      },
    });
    const counts = await pump.drain(3);
    expect(counts).toEqual({ received: 4, succeeded: 3, failed: 1 });
    expect(seen.sort()).toEqual(['a', 'b', 'flaky', 'flaky']);
    expect(await t.names()).toEqual([]);
  });
});
