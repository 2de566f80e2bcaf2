/**
 * The serverless runtime end to end, AWS-shaped, on LocalStack S3, SQS FIFO and Secrets Manager, the
 * real API server and a real Git server: `kubectl apply` of a KluctlDeployment → signed push (what the
 * shim sends, built here from the object as read back) → ingest function → FIFO queue → event pump →
 * reconcile function → status on the object. Then a spec change takes the same path, and a schedule
 * tick enqueues the deployment once its next run time has come.
 */
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { handleIngest } from '../../functions/ingest/handler.js';
import { handleReconcileBatch } from '../../functions/reconcile/handler.js';
import type { ReconcileFunctionDeps } from '../../functions/reconcile/handler.js';
import { handleScheduleTick } from '../../functions/schedule/handler.js';
import { HttpKubeClient } from '../../lib/adapters/http-kube-client.js';
import { HttpKubeClientFactory } from '../../lib/adapters/kube-client-factory.js';
import { IsomorphicGitSource } from '../../lib/adapters/isomorphic-git-source.js';
import { createS3StateStore } from '../../lib/adapters/s3-factory.js';
import { createSecretsClusterRegistry } from '../../lib/adapters/secrets-cluster-registry.js';
import { createSqsReconcileQueue } from '../../lib/adapters/sqs-queue.js';
import type { KluctlDeployment } from '../../lib/api/types.js';
import { silentLogger, systemClock } from '../../lib/ports.js';
import type { StateStore } from '../../lib/ports.js';
import type { IngestDeps } from '../../lib/serverless/ingest.js';
import { SHIM_HEADERS, signPush } from '../../lib/serverless/protocol.js';
import type { MirroredDeployment } from '../../lib/serverless/protocol.js';
import { recordNextRun } from '../../lib/serverless/schedule-index.js';
import { toolPath } from '../../devenv/tools.js';
import {
  createBucket,
  createFifoQueue,
  localAwsSettings,
  localSqs,
  uniqueSuffix,
} from '../../devenv/aws-local.js';
import { SqsEventPump } from '../../devenv/event-pump.js';
import { fixtureFiles } from '../support/fixtures.js';
import { createRepo } from '../../devenv/git-repo.js';
import type { TestRepo } from '../../devenv/git-repo.js';
import { startGitServer } from '../../devenv/git-server.js';
import type { GitServer } from '../../devenv/git-server.js';
import { applyKluctlDeployment, patchKluctlDeploymentSpec } from '../support/kluctl-deployment.js';
import { apiGatewayEvent, scheduledEvent } from '../../devenv/lambda-events.js';
import { createTestNamespace, installCrds, kubectlJson, kubectlTest, testEnv } from '../support/test-env.js';

const shimKey = Buffer.from('flow-test-shim-key-of-32-bytes!!');
let server: GitServer;
let repo: TestRepo;
let http: HttpKubeClient;
let sqs: SQSClient;
let store: StateStore;
let workDir: string;
let ns: string;
let clusterId: string;
let ingestDeps: IngestDeps;
let pump: SqsEventPump;
let reconciled: string[] = [];

beforeAll(async () => {
  const env = testEnv();
  const aws = localAwsSettings(env.s3.endpoint);
  await installCrds();
  server = await startGitServer();
  repo = await createRepo(server, 'flow-project', await fixtureFiles('skeleton'));
  http = await HttpKubeClient.fromKubeconfig({ kubeconfigPath: env.kubeconfigPath });
  clusterId = await http.clusterId();
  sqs = localSqs(env.s3.endpoint);
  store = createS3StateStore({ bucket: await createBucket(env.s3.endpoint, 'ks-flow'), ...aws });
  const queueUrl = await createFifoQueue(sqs, 'ks-flow', { visibilityTimeoutSec: 30 });
  const clusters = createSecretsClusterRegistry({ prefix: `ks-test-${uniqueSuffix()}/clusters/`, ...aws });
  await clusters.register({ id: clusterId, kubeconfig: 'unused here', shimKey });
  ingestDeps = {
    store,
    queue: createSqsReconcileQueue({ queueUrl, ...aws }),
    clusters,
    clock: systemClock,
    logger: silentLogger,
  };
  workDir = await mkdtemp(join(tmpdir(), 'ks-flow-'));
  const shared: ReconcileFunctionDeps['shared'] = {
    store,
    git: new IsomorphicGitSource(),
    clock: systemClock,
    logger: silentLogger,
    workDir,
    kustomizePath: toolPath('kustomize'),
    holder: 'flow-test',
  };
  const kube = http;
  const reconcileDeps: ReconcileFunctionDeps = {
    shared,
    clusters: {
      forCluster: async (id) =>
        id === clusterId ? { kube, clusters: new HttpKubeClientFactory(kube), close() {} } : undefined,
    },
  };
  pump = new SqsEventPump({
    sqs,
    queueUrl,
    handler: (event) => {
      reconciled.push(...event.Records.map((r) => (JSON.parse(r.body) as { reason: string }).reason));
      return handleReconcileBatch(event, reconcileDeps);
    },
  });
  ns = await createTestNamespace('flow');
});

afterAll(async () => {
  http?.close();
  sqs?.destroy();
  await server?.stop();
  await repo?.cleanup();
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

/** What the shim pushes for the object as the API server holds it now. */
async function shimPush(): Promise<number> {
  const kd = await kubectlJson<KluctlDeployment>(['get', 'kluctldeployment', 'flow', '-n', ns]);
  const { name, namespace, uid, generation, resourceVersion, annotations, labels } = kd.metadata;
  const object: MirroredDeployment = {
    metadata: {
      name,
      namespace,
      uid,
      generation,
      resourceVersion,
      ...(annotations ? { annotations } : {}),
      ...(labels ? { labels } : {}),
    },
    spec: kd.spec,
  };
  const body = JSON.stringify({ clusterId, kind: 'upsert', objects: [object] });
  const ts = Math.floor(Date.now() / 1000);
  const res = await handleIngest(
    apiGatewayEvent('/ingest', body, {
      [SHIM_HEADERS.cluster]: clusterId,
      [SHIM_HEADERS.timestamp]: String(ts),
      [SHIM_HEADERS.signature]: signPush(shimKey, clusterId, ts, body),
    }),
    ingestDeps,
  );
  expect(res.statusCode).toBe(200);
  return (JSON.parse(res.body as string) as { enqueued: number }).enqueued;
}

async function status(): Promise<KluctlDeployment> {
  return kubectlJson<KluctlDeployment>(['get', 'kluctldeployment', 'flow', '-n', ns]);
}

const ready = (kd: KluctlDeployment) => kd.status?.conditions?.find((c) => c.type === 'Ready');

it('kubectl apply → push → ingest → queue → reconcile → Ready, then a spec change and a schedule tick', async () => {
  await applyKluctlDeployment(ns, 'flow', {
    interval: '5m',
    timeout: '2m',
    source: { git: { url: repo.url, ref: { branch: 'main' } } },
    target: 'dev',
    args: { namespace: ns },
  });
  expect(await shimPush()).toBe(1);
  await pump.drain();
  expect(reconciled).toEqual(['created']);
  let kd = await status();
  expect(ready(kd)).toMatchObject({ status: 'True', reason: 'ReconciliationSucceeded' });
  expect(kd.status?.observedGeneration).toBe(1);
  // The status write moved resourceVersion only: the shim's next push enqueues nothing.
  expect(await shimPush()).toBe(0);

  reconciled = [];
  await patchKluctlDeploymentSpec(ns, 'flow', { args: { namespace: ns, extra: 'x' } });
  expect(await shimPush()).toBe(1);
  await pump.drain();
  expect(reconciled).toEqual(['generation']);
  kd = await status();
  expect(kd.status?.observedGeneration).toBe(2);
  expect(ready(kd)?.status).toBe('True');

  reconciled = [];
  const id = { clusterId, namespace: ns, name: 'flow' };
  await recordNextRun(store, id, new Date(Date.now() + 300_000));
  const tickDeps = { store, queue: ingestDeps.queue, clock: systemClock, logger: silentLogger };
  expect((await handleScheduleTick(scheduledEvent(), tickDeps)).due).toBe(0);
  await recordNextRun(store, id, new Date(Date.now() - 1000));
  expect((await handleScheduleTick(scheduledEvent(), tickDeps)).due).toBe(1);
  await pump.drain();
  expect(reconciled).toEqual(['schedule']);
  expect(ready(await status())?.status).toBe('True');
});

it('kluctl gitops deploy through ingest and the reconcile function: the record, and the result where the CLI reads it', async () => {
  reconciled = [];
  const r = await kubectlTest([
    'annotate',
    'kluctldeployment',
    'flow',
    '-n',
    ns,
    'kluctl.io/request-deploy={"requestValue":"fn-1"}',
  ]);
  expect(r.code).toBe(0);
  expect(await shimPush()).toBe(1);
  await pump.drain();
  expect(reconciled).toEqual(['request']);
  const kd = await status();
  expect(kd.metadata.annotations?.['kluctl.io/request-deploy']).toBeUndefined();
  const rr = kd.status?.deployRequestResult;
  expect(rr).toMatchObject({ request: { requestValue: 'fn-1' }, endTime: expect.any(String) });
  const secrets = await kubectlJson<{ items: unknown[] }>([
    'get',
    'secrets',
    '-n',
    'kluctl-results',
    '-l',
    `kluctl.io/command-result-id=${rr?.resultId}`,
  ]);
  expect(secrets.items).toHaveLength(1);
  // Taking the annotation off is no new request: the next push enqueues nothing.
  expect(await shimPush()).toBe(0);
});
