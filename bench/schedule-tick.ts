/**
 * Schedule tick benchmark (`npm run bench -- schedule`): mirrored deployments are pushed through the
 * real ingest into LocalStack S3 (one tenth of them created an interval ago, so they are due), then
 * one tick of the real schedule function is timed with its S3 and SQS request counts, at 1,000 and
 * at 5,000 deployments. Baseline in the same run: the naive tick that lists the bucket and reads
 * every mirror. Goal (issue 10): under 2 s at 5,000 deployments, flat as deployments grow.
 * LocalStack is started here unless KS_TEST_S3_ENDPOINT names a running one.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { S3StateStore } from '../lib/adapters/s3-state-store.js';
import { SqsReconcileQueue } from '../lib/adapters/sqs-queue.js';
import { intervalMs } from '../lib/api/spec-defaults.js';
import { silentLogger } from '../lib/ports.js';
import type { Clock } from '../lib/ports.js';
import { ingestPush } from '../lib/serverless/ingest.js';
import { SHIM_HEADERS, signPush } from '../lib/serverless/protocol.js';
import type { MirrorDocument, MirroredDeployment, ReconcileQueue } from '../lib/serverless/protocol.js';
import { scheduleMessage, scheduleTick } from '../lib/serverless/schedule-tick.js';
import { CLUSTERS_PREFIX, parseDeploymentKey } from '../lib/state/layout.js';
import { readJson } from '../lib/state/json-state.js';
import { mapBounded } from '../lib/util/semaphore.js';
import { createBucket, createFifoQueue, localAwsSettings } from '../devenv/aws-local.js';
import { startLocalStack } from '../devenv/localstack.js';
import { stopAll } from '../devenv/processes.js';
import { since } from './cluster.js';

const CLUSTER = 'bench-cluster';
const KEY = Buffer.from('bench-shim-key-of-32-bytes-long!');
const PUSH_SIZE = 250;
const DUE_SHARE = 10;

/** Counts the requests a client sends, per command. */
function countRequests(
  stack: S3Client['middlewareStack'] | SQSClient['middlewareStack'],
): Record<string, number> {
  const counts: Record<string, number> = {};
  // The two stacks differ only in their input and output types, which the counter never reads.
  (stack as S3Client['middlewareStack']).add(
    (next, context) => (args) => {
      const name = (context.commandName ?? 'unknown').replace(/Command$/, '');
      counts[name] = (counts[name] ?? 0) + 1;
      return next(args);
    },
    { step: 'initialize', name: 'benchCount' },
  );
  return counts;
}

function total(counts: Record<string, number>): number {
  return Object.values(counts).reduce((a, b) => a + b, 0);
}

function reset(...all: Record<string, number>[]): void {
  for (const c of all) for (const k of Object.keys(c)) delete c[k];
}

function deployment(i: number): MirroredDeployment {
  return {
    metadata: {
      name: `d${i}`,
      namespace: `ns${i % 50}`,
      uid: `uid-${i}`,
      generation: 1,
      resourceVersion: '1',
    },
    spec: {
      interval: '5m',
      source: { git: { url: `https://git.example.com/team/repo${i % 100}.git` } },
      target: 'prod',
    },
  };
}

/** Pushes deployments [from, to) through ingest, as the shim would, with ingest's clock at `at`. */
async function pushAll(deps: Parameters<typeof ingestPush>[0], from: number, to: number): Promise<number> {
  const chunks: number[] = [];
  for (let i = from; i < to; i += PUSH_SIZE) chunks.push(i);
  await mapBounded(chunks, 2, async (start) => {
    const objects = Array.from({ length: Math.min(PUSH_SIZE, to - start) }, (_, j) => deployment(start + j));
    const body = JSON.stringify({ clusterId: CLUSTER, kind: 'upsert', objects });
    const ts = Math.floor(deps.clock.now().getTime() / 1000);
    const res = await ingestPush(deps, {
      body,
      headers: {
        [SHIM_HEADERS.cluster]: CLUSTER,
        [SHIM_HEADERS.timestamp]: String(ts),
        [SHIM_HEADERS.signature]: signPush(KEY, CLUSTER, ts, body),
      },
    });
    if (res.status !== 200) throw new Error(`ingest answered ${res.status}: ${JSON.stringify(res.body)}`);
  });
  return chunks.length;
}

/** The naive tick: list every key, read every mirror, decide from the mirror, enqueue. */
async function naiveTick(store: S3StateStore, queue: ReconcileQueue, now: number): Promise<number> {
  const keys = (await store.list(CLUSTERS_PREFIX)).filter(
    (k) => parseDeploymentKey(k)?.file === 'mirror.json',
  );
  const due = (
    await mapBounded(keys, 32, async (key) => {
      const m = (await readJson<MirrorDocument>(store, key)).value;
      if (!m || Date.parse(m.receivedAt) + intervalMs(m.object.spec) > now) return [];
      return [
        { clusterId: m.clusterId, namespace: m.object.metadata.namespace!, name: m.object.metadata.name },
      ];
    })
  ).flat();
  await queue.enqueue(due.map((d) => scheduleMessage({ ...d, nextRunAt: 'naive' })));
  return due.length;
}

async function withLocalStack<T>(fn: (endpoint: string) => Promise<T>): Promise<T> {
  if (process.env.KS_TEST_S3_ENDPOINT) return fn(process.env.KS_TEST_S3_ENDPOINT);
  const work = await mkdtemp(join(tmpdir(), 'ks-bench-schedule-'));
  const ls = await startLocalStack({ workDir: join(work, 'localstack'), logsDir: join(work, 'logs') });
  try {
    return await fn(ls.endpoint);
  } finally {
    await ls.stop();
    await stopAll();
    await rm(work, { recursive: true, force: true });
  }
}

/** Runs the benchmark. */
export async function main(): Promise<void> {
  await withLocalStack(async (endpoint) => {
    const settings = localAwsSettings(endpoint);
    const s3 = new S3Client({ ...settings, forcePathStyle: true });
    const sqs = new SQSClient(settings);
    const s3Counts = countRequests(s3.middlewareStack);
    const sqsCounts = countRequests(sqs.middlewareStack);
    const store = new S3StateStore({
      client: s3,
      bucket: await createBucket(endpoint, 'ks-bench-schedule'),
    });
    const queue = new SqsReconcileQueue({
      client: sqs,
      queueUrl: await createFifoQueue(sqs, 'ks-bench'),
    });
    const naiveQueue = new SqsReconcileQueue({
      client: sqs,
      queueUrl: await createFifoQueue(sqs, 'ks-bench-naive'),
    });
    const now = Date.now();
    const clockAt = (ms: number): Clock => ({ now: () => new Date(ms) });
    const ingestDeps = (at: number) => ({
      store,
      queue,
      clusters: { shimKey: () => Promise.resolve(KEY) },
      clock: clockAt(at),
      logger: silentLogger,
    });
    let pushed = 0;
    for (const size of [1000, 5000]) {
      // One tenth of the new ones was created an interval ago (due now), the rest just now.
      const dueUpTo = pushed + (size - pushed) / DUE_SHARE;
      const t0 = performance.now();
      const pushes =
        (await pushAll(ingestDeps(now - 6 * 60_000), pushed, dueUpTo)) +
        (await pushAll(ingestDeps(now), dueUpTo, size));
      const ingestMs = since(t0);
      const populated = size - pushed;
      pushed = size;
      for (const [name, run] of [
        [
          'index tick',
          () => scheduleTick({ store, queue, clock: clockAt(now), logger: silentLogger }).then((r) => r.due),
        ],
        [
          'index tick again (deduplicated)',
          () => scheduleTick({ store, queue, clock: clockAt(now), logger: silentLogger }).then((r) => r.due),
        ],
        ['baseline: list and read every mirror', () => naiveTick(store, naiveQueue, now)],
      ] as const) {
        reset(s3Counts, sqsCounts);
        const t1 = performance.now();
        const due = await run();
        const ms = since(t1);
        const line = {
          bench: 'schedule',
          case: name,
          deployments: size,
          due,
          ms,
          s3Requests: total(s3Counts),
          s3ByCommand: { ...s3Counts },
          sqsRequests: total(sqsCounts),
        };
        process.stdout.write(`${JSON.stringify(line)}\n`);
      }
      process.stdout.write(
        `${JSON.stringify({ bench: 'schedule', case: 'ingest (population)', deployments: populated, pushes, ms: ingestMs })}\n`,
      );
    }
    s3.destroy();
    sqs.destroy();
  });
}
