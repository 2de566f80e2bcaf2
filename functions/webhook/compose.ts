/**
 * Composition root of the webhook function, built once per cold start: the state store, queue and
 * logger of the other functions (functions/shared/runtime-deps.ts), and the webhook secret from Secrets
 * Manager: `WEBHOOK_SECRET_ARN` (required) names a secret whose string is one shared secret or a JSON
 * object of provider names to secrets (lib/serverless/webhook-secrets.ts). It is read on first use and
 * again after five minutes, so a rotation takes effect without a deploy. `SECRETS_ENDPOINT` is for
 * LocalStack.
 */
import { AwsSdkSecretsReader } from '../../lib/adapters/aws-secrets.js';
import { KsError } from '../../lib/errors.js';
import type { WebhookDeps } from '../../lib/serverless/webhook.js';
import { cachedWebhookSecrets } from '../../lib/serverless/webhook-secrets.js';
import { buildRuntimeDeps } from '../shared/runtime-deps.js';

let cached: WebhookDeps | undefined;

/** The dependencies, created on first use. */
export function webhookDeps(env: NodeJS.ProcessEnv = process.env): WebhookDeps {
  cached ??= buildWebhookDeps(env);
  return cached;
}

/** Builds the dependencies from `env` (uncached; tests pass their own environment). */
export function buildWebhookDeps(env: NodeJS.ProcessEnv): WebhookDeps {
  const secretId = env.WEBHOOK_SECRET_ARN;
  if (!secretId) {
    throw new KsError(
      'InvalidInput',
      "WEBHOOK_SECRET_ARN is not set; the CDK app sets it to the webhook secret's ARN",
    );
  }
  const { store, queue, clock, logger } = buildRuntimeDeps(env);
  const reader = new AwsSdkSecretsReader(env.SECRETS_ENDPOINT ? { endpoint: env.SECRETS_ENDPOINT } : {});
  const region = env.AWS_REGION ?? 'us-east-1';
  return {
    store,
    queue,
    logger,
    secrets: cachedWebhookSecrets(() => reader.getSecretString({ secretId, region }), {
      clock,
      source: `secret ${secretId}`,
    }),
  };
}
