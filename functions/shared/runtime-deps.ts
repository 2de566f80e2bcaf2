/**
 * Composition root of the ingest and schedule functions, built once per cold start from the
 * environment: `STATE_BUCKET` (required) and `S3_ENDPOINT`; `QUEUE_URL` (required, the FIFO reconcile
 * queue) and `SQS_ENDPOINT`; `CLUSTER_SECRET_PREFIX` (default `kluctl-serverless/clusters/`) and
 * `SECRETS_ENDPOINT`; `AWS_REGION`. The `*_ENDPOINT` settings are for LocalStack; unset means AWS.
 */
import { createS3StateStore } from '../../lib/adapters/s3-factory.js';
import { createSecretsClusterRegistry } from '../../lib/adapters/secrets-cluster-registry.js';
import { createSqsReconcileQueue } from '../../lib/adapters/sqs-queue.js';
import { KsError } from '../../lib/errors.js';
import { jsonLogger } from '../../lib/logging/json-logger.js';
import { systemClock } from '../../lib/ports.js';
import type { Clock, Logger, StateStore } from '../../lib/ports.js';
import type { ClusterRegistry, ReconcileQueue } from '../../lib/serverless/protocol.js';

/** What ingest and the schedule tick are built from. */
export interface RuntimeDeps {
  readonly store: StateStore;
  readonly queue: ReconcileQueue;
  readonly clusters: ClusterRegistry;
  readonly clock: Clock;
  readonly logger: Logger;
}

let cached: RuntimeDeps | undefined;

/** The dependencies, created on first use. */
export function runtimeDeps(env: NodeJS.ProcessEnv = process.env): RuntimeDeps {
  cached ??= buildRuntimeDeps(env);
  return cached;
}

/** Builds the dependencies from `env` (uncached; tests pass their own environment). */
export function buildRuntimeDeps(env: NodeJS.ProcessEnv): RuntimeDeps {
  const region = env.AWS_REGION ? { region: env.AWS_REGION } : {};
  return {
    store: createS3StateStore({
      bucket: required(env, 'STATE_BUCKET', 'the state bucket name'),
      ...(env.S3_ENDPOINT ? { endpoint: env.S3_ENDPOINT } : {}),
      ...region,
    }),
    queue: createSqsReconcileQueue({
      queueUrl: required(env, 'QUEUE_URL', 'the URL of the reconcile FIFO queue'),
      ...(env.SQS_ENDPOINT ? { endpoint: env.SQS_ENDPOINT } : {}),
      ...region,
    }),
    clusters: createSecretsClusterRegistry({
      ...(env.CLUSTER_SECRET_PREFIX ? { prefix: env.CLUSTER_SECRET_PREFIX } : {}),
      ...(env.SECRETS_ENDPOINT ? { endpoint: env.SECRETS_ENDPOINT } : {}),
      ...region,
    }),
    clock: systemClock,
    logger: jsonLogger((l) => process.stdout.write(`${l}\n`)),
  };
}

function required(env: NodeJS.ProcessEnv, name: string, what: string): string {
  const v = env[name];
  if (!v) throw new KsError('InvalidInput', `${name} is not set; the CDK app sets it to ${what}`);
  return v;
}
