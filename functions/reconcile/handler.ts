/**
 * The reconcile function: consumes SQS messages (protocol.ts `ReconcileMessage`, one ordered group
 * per deployment) and runs one reconcile per message against the cluster the message names, with
 * that cluster's own clients. Each reconcile works to a deadline taken from the time the function has
 * left, less a margin for writing status and releasing the lease, so it is never killed before it
 * said why it stopped. Retryable failures are reported as batch item failures so SQS redelivers just
 * those; malformed messages and unknown clusters are logged and dropped, since no retry can fix them.
 */
import middy from '@middy/core';
import type { Context, SQSBatchItemFailure, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { errorMessage } from '../../lib/errors.js';
import { KubeSecretsResultStore } from '../../lib/adapters/kube-secrets-result-store.js';
import { reconcileDeployment } from '../../lib/reconcile/reconcile.js';
import { parseReconcileMessage } from '../../lib/serverless/reconcile-message.js';
import { reconcileFunctionDeps } from './compose.js';
import { DEFAULT_SAFETY_MARGIN_MS } from './deps.js';
import type { ReconcileFunctionDeps } from './deps.js';

export { DEFAULT_SAFETY_MARGIN_MS } from './deps.js';
export type { ReconcileFunctionDeps } from './deps.js';

/** What the handler reads of the Lambda context; absent (tests, the event pump): no host deadline. */
export type RemainingTime = Pick<Context, 'getRemainingTimeInMillis'>;

/** Handles one SQS batch with the given dependencies. */
export async function handleReconcileBatch(
  event: SQSEvent,
  deps: ReconcileFunctionDeps,
  context?: RemainingTime,
): Promise<SQSBatchResponse> {
  const failures: SQSBatchItemFailure[] = [];
  for (const record of event.Records) {
    // FIFO queue: once a message failed, the rest of the batch must be retried after it, in order.
    if (failures.length > 0 || !(await handleRecord(record, deps, context))) {
      failures.push({ itemIdentifier: record.messageId });
    }
  }
  return { batchItemFailures: failures };
}

/** Reconciles one message; false when SQS should redeliver it. */
async function handleRecord(
  record: SQSRecord,
  deps: ReconcileFunctionDeps,
  context: RemainingTime | undefined,
): Promise<boolean> {
  const { logger } = deps.shared;
  const msg = parseReconcileMessage(record.body);
  if (!msg) {
    logger.error('dropping malformed reconcile message', {
      messageId: record.messageId,
      bodyLength: record.body.length,
    });
    return true;
  }
  const log = logger.child({ ...msg, messageId: record.messageId });
  const margin = deps.safetyMarginMs ?? DEFAULT_SAFETY_MARGIN_MS;
  const deadline = context
    ? new Date(deps.shared.clock.now().getTime() + context.getRemainingTimeInMillis() - margin)
    : undefined;
  if (deadline && deadline.getTime() <= deps.shared.clock.now().getTime()) {
    // Earlier messages used up the time: starting now would be killed before it wrote status.
    log.warn('too little time left to start a reconcile; SQS will redeliver');
    return false;
  }
  try {
    const conn = await deps.clusters.forCluster(msg.clusterId);
    if (!conn) {
      log.error('dropping reconcile message for an unregistered cluster');
      return true;
    }
    const outcome = await reconcileDeployment(
      {
        ...deps.shared,
        kube: conn.kube,
        clusters: conn.clusters,
        // Results also go where Kluctl's CLI reads them: Secrets in the deployment's own cluster.
        kluctlResults: new KubeSecretsResultStore(conn.kube),
      },
      {
        namespace: msg.namespace,
        name: msg.name,
        clusterId: msg.clusterId,
        reconcileId: record.messageId,
        ...(deadline ? { deadline } : {}),
      },
    );
    log.info('reconciled', {
      outcome: outcome.outcome,
      deployed: outcome.deployed,
      nextRunAt: outcome.nextRunAt?.toISOString(),
      ...(outcome.stopped ? { stopped: outcome.stopped.step, stoppedBy: outcome.stopped.by } : {}),
    });
    if (outcome.outcome === 'busy') return false;
    await deps.onReconciled?.(msg, outcome);
    return true;
  } catch (err) {
    log.error('reconcile failed; SQS will redeliver', { error: errorMessage(err) });
    return false;
  }
}

/** The Lambda entry point. */
export const handler = middy<SQSEvent, SQSBatchResponse>().handler(async (event, context) =>
  handleReconcileBatch(event, await reconcileFunctionDeps(), context),
);
