/**
 * The serverless stack, AWS-shaped, on this machine: LocalStack S3, SQS FIFO and Secrets Manager; the
 * ingest and webhook functions behind a local HTTP API shaped like API Gateway v2; the reconcile
 * function built by its composition root from the environment the CDK app sets (so the cluster comes
 * from CLUSTER_SECRET_PREFIX, the next run goes to the schedule index, checkouts go through the clone
 * cache), invoked by the event pump; the shim in-process, watching as its ServiceAccount and pushing over
 * HTTP. The cluster is the test cluster, registered in Secrets Manager with the admin kubeconfig.
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { handleIngest, ingestDeps } from '../../functions/ingest/handler.js';
import { buildDeps as buildReconcileDeps } from '../../functions/reconcile/compose.js';
import { handleReconcileBatch } from '../../functions/reconcile/handler.js';
import type { ReconcileFunctionDeps } from '../../functions/reconcile/handler.js';
import { handleScheduleTick } from '../../functions/schedule/handler.js';
import { buildRuntimeDeps } from '../../functions/shared/runtime-deps.js';
import { buildWebhookDeps } from '../../functions/webhook/compose.js';
import { handleWebhookEvent } from '../../functions/webhook/handler.js';
import { FetchIngestEndpoint } from '../../lib/adapters/fetch-ingest-endpoint.js';
import { HttpKubeClient } from '../../lib/adapters/http-kube-client.js';
import { HttpKubeWatcher } from '../../lib/adapters/http-kube-watcher.js';
import { createSecretsClusterRegistry } from '../../lib/adapters/secrets-cluster-registry.js';
import type { Clock } from '../../lib/ports.js';
import type { ScheduleTickResult } from '../../lib/serverless/schedule-tick.js';
import { signWebhook } from '../../lib/serverless/webhook-signature.js';
import { Shim } from '../../lib/shim/shim.js';
import { startLocalHttpApi } from '../../devenv/api-gateway-server.js';
import type { LocalHttpApi } from '../../devenv/api-gateway-server.js';
import {
  createBucket,
  createFifoQueue,
  localAwsSettings,
  localSqs,
  uniqueSuffix,
} from '../../devenv/aws-local.js';
import { SqsEventPump } from '../../devenv/event-pump.js';
import { scheduledEvent } from '../../devenv/lambda-events.js';
import { toolPath } from '../../devenv/tools.js';
import { installShimIdentity, shimKubeconfig } from './shim-harness.js';
import { testEnv } from './test-env.js';

/** Options of {@link startServerlessStack}. */
export interface ServerlessStackOptions {
  /** Namespaces the shim watches. */
  readonly namespaces: readonly string[];
  /** S3 endpoint the functions use (e.g. a proxy in front of LocalStack); default LocalStack's. */
  readonly s3Endpoint?: string;
  /** SQS endpoint the functions use; default LocalStack's. The event pump always uses LocalStack's. */
  readonly sqsEndpoint?: string;
  /** Kubeconfig YAML registered for the cluster; default the test cluster's admin kubeconfig. */
  readonly kubeconfig?: string;
  /**
   * Visibility timeout of the queue (how soon a failed message comes back); default 30 s, longer than a
   * reconcile here, as the CDK app sets it longer than the function's timeout.
   */
  readonly visibilityTimeoutSec?: number;
}

/** A running stack. */
export interface ServerlessStack {
  /** The environment the functions were built from. */
  readonly env: Readonly<Record<string, string>>;
  readonly clusterId: string;
  readonly api: LocalHttpApi;
  readonly pump: SqsEventPump;
  readonly reconcileDeps: ReconcileFunctionDeps;
  /** Reasons of the reconcile messages the pump delivered, in order. */
  readonly reconciled: string[];
  /** POSTs a GitHub push of `branch` of `cloneUrl`, signed with the stack's webhook secret. */
  githubPush(cloneUrl: string, branch: string): Promise<{ status: number; body: unknown }>;
  /** One EventBridge tick of the schedule function, at `clock`'s time (default now). */
  tick(clock?: Clock): Promise<ScheduleTickResult>;
  stop(): Promise<void>;
}

const WEBHOOK_SECRET = 'e2e-github-secret';

/** Starts the stack; the pump and the shim run until `stop()`. */
export async function startServerlessStack(opts: ServerlessStackOptions): Promise<ServerlessStack> {
  const aws = localAwsSettings(testEnv().s3.endpoint);
  const sqs: SQSClient = localSqs(aws.endpoint);
  const queueUrl = await createFifoQueue(sqs, 'ks-e2e', {
    visibilityTimeoutSec: opts.visibilityTimeoutSec ?? 30,
  });
  const admin = await HttpKubeClient.fromKubeconfig({ kubeconfigPath: testEnv().kubeconfigPath });
  const clusterId = await admin.clusterId();
  admin.close();
  const shimKey = randomBytes(32);
  const prefix = `ks-e2e-${uniqueSuffix()}/clusters/`;
  await createSecretsClusterRegistry({ prefix, ...aws }).register({
    id: clusterId,
    kubeconfig: opts.kubeconfig ?? (await readFile(testEnv().kubeconfigPath, 'utf8')),
    shimKey,
  });
  const sm = new SecretsManagerClient(aws);
  const webhookSecret = await sm.send(
    new CreateSecretCommand({
      Name: `ks-e2e-webhook-${uniqueSuffix()}`,
      SecretString: JSON.stringify({ github: WEBHOOK_SECRET }),
    }),
  );
  sm.destroy();
  // The functions take their credentials from the environment, as in Lambda.
  process.env.AWS_ACCESS_KEY_ID = aws.credentials.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = aws.credentials.secretAccessKey;
  const env: Record<string, string> = {
    STATE_BUCKET: await createBucket(aws.endpoint, 'ks-e2e'),
    S3_ENDPOINT: opts.s3Endpoint ?? aws.endpoint,
    QUEUE_URL: queueUrl,
    SQS_ENDPOINT: opts.sqsEndpoint ?? aws.endpoint,
    SECRETS_ENDPOINT: aws.endpoint,
    AWS_REGION: aws.region,
    CLUSTER_SECRET_PREFIX: prefix,
    WEBHOOK_SECRET_ARN: webhookSecret.ARN!,
    KUSTOMIZE_PATH: toolPath('kustomize'),
    HELM_PATH: toolPath('helm'),
    SOPS_PATH: toolPath('sops'),
    AWS_LAMBDA_LOG_STREAM_NAME: `e2e-${uniqueSuffix()}`,
  };
  const ingest = ingestDeps(env);
  const webhook = buildWebhookDeps(env);
  const api = await startLocalHttpApi([
    { path: '/ingest', handler: (e) => handleIngest(e, ingest) },
    { path: '/webhook/{provider}', handler: (e) => handleWebhookEvent(e, webhook) },
  ]);
  const reconcileDeps = await buildReconcileDeps(env);
  const reconciled: string[] = [];
  const pump = new SqsEventPump({
    sqs,
    queueUrl,
    handler: (event) => {
      reconciled.push(...event.Records.map((r) => (JSON.parse(r.body) as { reason: string }).reason));
      return handleReconcileBatch(event, reconcileDeps);
    },
  });
  pump.start();
  await installShimIdentity();
  const shimKube = await HttpKubeClient.fromKubeconfig({ kubeconfigPath: await shimKubeconfig() });
  const shim = new Shim({
    watcher: new HttpKubeWatcher(shimKube),
    endpoint: new FetchIngestEndpoint(`${api.url}/ingest`, 5000),
    clusterId,
    key: shimKey,
    namespaces: opts.namespaces,
    resyncIntervalMs: 0,
    pushBackoff: { baseMs: 200, maxMs: 2000 },
    watchBackoff: { baseMs: 200, maxMs: 2000 },
  });
  shim.start();
  const tickDeps = buildRuntimeDeps(env);
  return {
    env,
    clusterId,
    api,
    pump,
    reconcileDeps,
    reconciled,
    async githubPush(cloneUrl, branch) {
      const body = JSON.stringify({ ref: `refs/heads/${branch}`, repository: { clone_url: cloneUrl } });
      const res = await fetch(`${api.url}/webhook/github`, {
        method: 'POST',
        body,
        headers: {
          'content-type': 'application/json',
          'x-github-event': 'push',
          'x-hub-signature-256': signWebhook('github', Buffer.from(WEBHOOK_SECRET), Buffer.from(body)),
        },
      });
      return { status: res.status, body: (await res.json()) as unknown };
    },
    tick: (clock) =>
      handleScheduleTick(scheduledEvent(clock?.now()), { ...tickDeps, ...(clock ? { clock } : {}) }),
    async stop() {
      await shim.stop();
      await pump.stop();
      await api.close();
      shimKube.close();
      sqs.destroy();
    },
  };
}
