// The ingest function against LocalStack S3, SQS FIFO and Secrets Manager, invoked through its real
// handler with API Gateway v2 events: a signed push mirrors each KluctlDeployment and enqueues exactly
// the reconciles its changes ask for; refused pushes write and enqueue nothing.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { createS3StateStore } from '../../lib/adapters/s3-factory.js';
import { createSecretsClusterRegistry } from '../../lib/adapters/secrets-cluster-registry.js';
import type { SecretsClusterRegistry } from '../../lib/adapters/secrets-cluster-registry.js';
import { createSqsReconcileQueue } from '../../lib/adapters/sqs-queue.js';
import type { Clock, StateStore } from '../../lib/ports.js';
import { silentLogger } from '../../lib/ports.js';
import type { IngestDeps } from '../../lib/serverless/ingest.js';
import { MAX_PUSH_BYTES, REPLAY_WINDOW_MS, SHIM_HEADERS, signPush } from '../../lib/serverless/protocol.js';
import type { MirrorDocument, MirroredDeployment, ShimPush } from '../../lib/serverless/protocol.js';
import { readClusterScheduleIndex } from '../../lib/serverless/schedule-index.js';
import { mirrorKey } from '../../lib/state/layout.js';
import type { DeploymentId } from '../../lib/state/layout.js';
import { readJson } from '../../lib/state/json-state.js';
import { handleIngest } from '../../functions/ingest/handler.js';
import {
  createBucket,
  createFifoQueue,
  drainQueue,
  localAwsSettings,
  localSqs,
  uniqueSuffix,
} from '../../devenv/aws-local.js';
import { apiGatewayEvent } from '../../devenv/lambda-events.js';
import { testEnv } from '../support/test-env.js';

const key = Buffer.from('0123456789abcdef0123456789abcdef');
let bucket: string;
let store: StateStore;
let sqs: SQSClient;
let registry: SecretsClusterRegistry;
const prefix = `ks-test-${uniqueSuffix()}/clusters/`;

beforeAll(async () => {
  const { endpoint } = testEnv().s3;
  bucket = await createBucket(endpoint, 'ks-ingest');
  store = createS3StateStore({ bucket, ...localAwsSettings(endpoint) });
  sqs = localSqs(endpoint);
  registry = createSecretsClusterRegistry({ prefix, ...localAwsSettings(endpoint) });
});

afterAll(() => sqs?.destroy());

/** A fresh cluster (registered with `key`) and queue per test, so nothing crosses between tests. */
async function setup(clock: Clock = { now: () => new Date() }) {
  const clusterId = `c-${uniqueSuffix()}`;
  await registry.register({ id: clusterId, kubeconfig: 'apiVersion: v1\nkind: Config\n', shimKey: key });
  const queueUrl = await createFifoQueue(sqs, 'ks-ingest');
  const changes: { id: DeploymentId; mirror: MirrorDocument | undefined }[] = [];
  const deps: IngestDeps = {
    store,
    queue: createSqsReconcileQueue({ queueUrl, ...localAwsSettings(testEnv().s3.endpoint) }),
    clusters: registry,
    clock,
    logger: silentLogger,
    onMirrorChanged: (mirror, id) => void changes.push({ id, mirror }),
  };
  const push = async (
    p: Omit<ShimPush, 'clusterId'>,
    sign: { key?: Buffer; ts?: number; cluster?: string } = {},
  ) => {
    const body = JSON.stringify({ clusterId, ...p });
    const ts = sign.ts ?? Math.floor(clock.now().getTime() / 1000);
    const signedFor = sign.cluster ?? clusterId;
    const res = await handleIngest(
      apiGatewayEvent('/ingest', body, {
        [SHIM_HEADERS.cluster]: signedFor,
        [SHIM_HEADERS.timestamp]: String(ts),
        [SHIM_HEADERS.signature]: signPush(sign.key ?? key, signedFor, ts, body),
      }),
      deps,
    );
    return { status: res.statusCode ?? 0, body: JSON.parse(res.body as string) as Record<string, unknown> };
  };
  const enqueued = async () =>
    (await drainQueue(sqs, queueUrl)).map((m) => ({
      ...(JSON.parse(m.Body!) as { clusterId: string; namespace: string; name: string; reason: string }),
      group: m.Attributes?.MessageGroupId,
    }));
  const stored = async () => [
    ...(await store.list(`clusters/${clusterId}/`)),
    ...(await store.list(`schedule/${clusterId}/`)),
  ];
  return { clusterId, deps, push, enqueued, stored, changes };
}

function kd(name: string, meta: Partial<MirroredDeployment['metadata']> = {}): MirroredDeployment {
  return {
    metadata: { name, namespace: 'team-a', uid: `uid-${name}`, generation: 1, resourceVersion: '1', ...meta },
    spec: { interval: '5m', source: { git: { url: 'https://example.com/repo.git' } }, target: 'dev' },
  };
}

describe('ingest accepts signed pushes', () => {
  it('mirrors a new deployment, indexes it for the schedule and enqueues one "created" reconcile', async () => {
    const t = await setup();
    const before = Date.now();
    const res = await t.push({ kind: 'upsert', objects: [kd('app')] });
    expect(res).toEqual({
      status: 200,
      body: { objects: 1, written: 1, unchanged: 0, stale: 0, removed: 0, enqueued: 1 },
    });
    const mirror = await readJson<MirrorDocument>(store, mirrorKey(t.clusterId, 'team-a', 'app'));
    expect(mirror.value).toMatchObject({ clusterId: t.clusterId, object: kd('app') });
    const [entry] = await readClusterScheduleIndex(store, t.clusterId);
    expect(entry).toMatchObject({ clusterId: t.clusterId, namespace: 'team-a', name: 'app' });
    // Reconciled now through the queue; the schedule takes over one interval later.
    expect(Date.parse(entry!.nextRunAt!) - before).toBeGreaterThanOrEqual(5 * 60_000);
    expect(await t.enqueued()).toEqual([
      {
        clusterId: t.clusterId,
        namespace: 'team-a',
        name: 'app',
        reason: 'created',
        group: `${t.clusterId}/team-a/app`,
      },
    ]);
    expect(t.changes).toEqual([
      { id: { clusterId: t.clusterId, namespace: 'team-a', name: 'app' }, mirror: mirror.value },
    ]);
  });

  it('enqueues on generation, request annotation and deletion, and nothing on a status-only change', async () => {
    const t = await setup();
    await t.push({ kind: 'upsert', objects: [kd('app')] });
    await t.enqueued();
    const key0 = mirrorKey(t.clusterId, 'team-a', 'app');
    const etag0 = (await store.get(key0))!.etag;

    const statusOnly = await t.push({ kind: 'upsert', objects: [kd('app', { resourceVersion: '2' })] });
    expect(statusOnly.body).toMatchObject({ written: 0, unchanged: 1, enqueued: 0 });
    expect((await store.get(key0))!.etag).toBe(etag0);
    expect(await t.enqueued()).toEqual([]);

    const steps: [Partial<MirroredDeployment['metadata']>, string | undefined][] = [
      [{ generation: 2, resourceVersion: '3' }, 'generation'],
      [
        { generation: 2, resourceVersion: '4', annotations: { 'kluctl.io/request-reconcile': 'r1' } },
        'request',
      ],
      [
        {
          generation: 2,
          resourceVersion: '5',
          annotations: { 'kluctl.io/request-reconcile': 'r1', team: 'x' },
        },
        undefined,
      ],
      [
        { generation: 2, resourceVersion: '6', annotations: { 'kluctl.io/request-deploy': 'd1', team: 'x' } },
        'request',
      ],
      [
        { generation: 2, resourceVersion: '7', deletionTimestamp: '2026-12-06T12:00:00Z', finalizers: ['f'] },
        'deletion',
      ],
    ];
    for (const [meta, reason] of steps) {
      const res = await t.push({ kind: 'upsert', objects: [kd('app', meta)] });
      expect(res.body).toMatchObject({ written: 1, enqueued: reason ? 1 : 0 });
      expect((await t.enqueued()).map((m) => m.reason)).toEqual(reason ? [reason] : []);
    }
  });

  it('removes mirrors on a delete push and on a resync that no longer lists them, enqueuing nothing', async () => {
    const t = await setup();
    await t.push({ kind: 'upsert', objects: [kd('a'), kd('b'), kd('c')] });
    expect(await t.enqueued()).toHaveLength(3);

    const del = await t.push({
      kind: 'delete',
      objects: [{ metadata: { name: 'a', namespace: 'team-a', uid: 'uid-a' } } as MirroredDeployment],
    });
    expect(del.body).toMatchObject({ removed: 1, enqueued: 0 });
    const resync = await t.push({ kind: 'resync', objects: [kd('b', { resourceVersion: '9' })] });
    expect(resync.body).toEqual({ objects: 1, written: 0, unchanged: 1, stale: 0, removed: 1, enqueued: 0 });

    // A resync too large for one push: the objects went as upserts, the resync lists names only.
    const names = await t.push({
      kind: 'resync',
      objects: [{ metadata: { name: 'b', namespace: 'team-a' } } as MirroredDeployment],
    });
    expect(names.body).toEqual({ objects: 1, written: 0, unchanged: 1, stale: 0, removed: 0, enqueued: 0 });

    expect(await t.enqueued()).toEqual([]);
    expect((await t.stored()).filter((k) => k.endsWith('mirror.json'))).toEqual([
      mirrorKey(t.clusterId, 'team-a', 'b'),
    ]);
    expect((await readClusterScheduleIndex(store, t.clusterId)).map((d) => d.name)).toEqual(['b']);
    expect(
      t.changes
        .filter((c) => !c.mirror)
        .map((c) => c.id.name)
        .sort(),
    ).toEqual(['a', 'c']);
  });

  it('ignores a late delete of an object that was created again under the same name', async () => {
    const t = await setup();
    await t.push({ kind: 'upsert', objects: [kd('app', { uid: 'new-uid' })] });
    const del = await t.push({
      kind: 'delete',
      objects: [{ metadata: { name: 'app', namespace: 'team-a', uid: 'old-uid' } } as MirroredDeployment],
    });
    expect(del.body).toMatchObject({ removed: 0, stale: 1 });
    expect(await store.get(mirrorKey(t.clusterId, 'team-a', 'app'))).toBeDefined();
  });
});

describe('ingest refuses', () => {
  const tooOld = () => Math.floor((Date.now() - REPLAY_WINDOW_MS - 60_000) / 1000);
  it.each<
    [
      string,
      (t: Awaited<ReturnType<typeof setup>>) => Promise<{ status: number; body: Record<string, unknown> }>,
      number,
      string,
    ]
  >([
    [
      'a wrong signature',
      (t) =>
        t.push(
          { kind: 'upsert', objects: [kd('app')] },
          { key: Buffer.from('another-key-of-32-bytes-length!!') },
        ),
      401,
      'unauthorized: signature refused',
    ],
    [
      'an expired timestamp',
      (t) => t.push({ kind: 'upsert', objects: [kd('app')] }, { ts: tooOld() }),
      401,
      'unauthorized: expired',
    ],
    [
      'an unknown cluster',
      (t) => t.push({ kind: 'upsert', objects: [kd('app')] }, { cluster: 'c-unknown' }),
      401,
      'unauthorized: signature refused',
    ],
    [
      'an oversized body',
      (t) =>
        t.push({
          kind: 'upsert',
          objects: [kd('app', { annotations: { big: 'x'.repeat(MAX_PUSH_BYTES) } })],
        }),
      413,
      `push body exceeds ${MAX_PUSH_BYTES} bytes`,
    ],
    [
      'an invalid object',
      (t) => t.push({ kind: 'upsert', objects: [kd('Not_A_Name')] }),
      400,
      'objects[0].metadata.name: expected a Kubernetes name',
    ],
  ])('%s, writing and enqueuing nothing', async (_name, send, status, error) => {
    const t = await setup();
    const res = await send(t);
    expect(res.status).toBe(status);
    expect(String(res.body.error)).toContain(error);
    expect(await t.stored()).toEqual([]);
    expect(await t.enqueued()).toEqual([]);
    expect(t.changes).toEqual([]);
  });

  it('a push without signature headers', async () => {
    const t = await setup();
    const res = await handleIngest(
      apiGatewayEvent('/ingest', '{}', { [SHIM_HEADERS.cluster]: t.clusterId }),
      t.deps,
    );
    expect(res.statusCode).toBe(401);
    expect(JSON.parse(res.body as string)).toEqual({ error: 'unauthorized: missing' });
    expect(await t.stored()).toEqual([]);
  });
});
