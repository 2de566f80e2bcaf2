/**
 * The reconcile function: consumes SQS messages `{ "namespace": ..., "name": ... }` (one ordered group
 * per deployment) and runs one reconcile per message. Retryable failures are reported as batch item
 * failures so SQS redelivers just those; malformed messages are logged and dropped, since no retry can
 * fix them.
 */
import middy from '@middy/core';
import type { SQSBatchItemFailure, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { errorMessage } from '../../lib/errors.js';
import { reconcileDeployment } from '../../lib/reconcile/reconcile.js';
import type { ReconcileDeps } from '../../lib/reconcile/reconcile.js';
import { functionDeps } from '../shared/compose.js';

/** The body of a reconcile message. */
export interface ReconcileMessage {
  readonly namespace: string;
  readonly name: string;
}

/** Parses and checks one message body; undefined when it is malformed. */
export function parseReconcileMessage(body: string): ReconcileMessage | undefined {
  let v: unknown;
  try {
    v = JSON.parse(body);
  } catch {
    return undefined;
  }
  const m = v as Partial<ReconcileMessage> | null;
  const dns = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;
  if (
    !m ||
    typeof m.namespace !== 'string' ||
    typeof m.name !== 'string' ||
    !dns.test(m.namespace) ||
    !dns.test(m.name)
  )
    return undefined;
  return { namespace: m.namespace, name: m.name };
}

/** Handles one SQS batch with the given dependencies. */
export async function handleReconcileBatch(event: SQSEvent, deps: ReconcileDeps): Promise<SQSBatchResponse> {
  const failures: SQSBatchItemFailure[] = [];
  for (const record of event.Records) {
    // FIFO queue: once a message failed, the rest of the batch must be retried after it, in order.
    if (failures.length > 0) {
      failures.push({ itemIdentifier: record.messageId });
      continue;
    }
    const msg = parseReconcileMessage(record.body);
    if (!msg) {
      deps.logger.error('dropping malformed reconcile message', {
        messageId: record.messageId,
        bodyLength: record.body.length,
      });
      continue;
    }
    try {
      const out = await reconcileDeployment(deps, { ...msg, reconcileId: record.messageId });
      if (out.outcome === 'busy') failures.push({ itemIdentifier: record.messageId });
    } catch (err) {
      deps.logger.error('reconcile failed; SQS will redeliver', { ...msg, error: errorMessage(err) });
      failures.push({ itemIdentifier: record.messageId });
    }
  }
  return { batchItemFailures: failures };
}

/** The Lambda entry point. */
export const handler = middy<SQSEvent, SQSBatchResponse>().handler(async (event) =>
  handleReconcileBatch(event, await functionDeps()),
);
