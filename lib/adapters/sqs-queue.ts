/**
 * The reconcile queue on SQS FIFO (DESIGN.md §3). Messages go out in batches of ten (SQS's limit per
 * SendMessageBatch) with `MessageGroupId` = protocol.ts `messageGroupId` (one ordered group per
 * deployment) and the message's deduplication id, or a random one when it has none (every such message
 * is delivered). Entries SQS refuses for a transient reason, and whole calls that fail transiently, are
 * retried with jittered backoff; a refusal that is the sender's fault is reported at once.
 */
import { randomUUID } from 'node:crypto';
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { SendMessageBatchRequestEntry } from '@aws-sdk/client-sqs';
import { KsError } from '../errors.js';
import { awsClientConfig } from './aws-client-settings.js';
import type { AwsClientSettings } from './aws-client-settings.js';
import { messageGroupId } from '../serverless/protocol.js';
import type { ReconcileMessage, ReconcileQueue } from '../serverless/protocol.js';
import { mapBounded } from '../util/semaphore.js';

/** Options of {@link SqsReconcileQueue}. */
export interface SqsQueueOptions {
  readonly client: SQSClient;
  /** URL of the FIFO queue (its name ends in `.fifo`). */
  readonly queueUrl: string;
  /** Attempts per batch before giving up; default 5. */
  readonly maxAttempts?: number;
  /** Batches in flight at once; default 8. */
  readonly concurrency?: number;
  /** Injected for tests; default setTimeout. */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** SQS's largest batch. */
const BATCH = 10;

/** Sends reconcile messages to an SQS FIFO queue. */
export class SqsReconcileQueue implements ReconcileQueue {
  constructor(private readonly opts: SqsQueueOptions) {
    if (!opts.queueUrl.endsWith('.fifo')) {
      throw new KsError(
        'InvalidInput',
        `queue ${opts.queueUrl} is not a FIFO queue; reconcile messages need one (its name ends in .fifo)`,
      );
    }
  }

  /** Sends all messages; resolves when SQS accepted every one. */
  async enqueue(messages: readonly ReconcileMessage[]): Promise<void> {
    const batches: SendMessageBatchRequestEntry[][] = [];
    messages.forEach((m, i) => {
      if (i % BATCH === 0) batches.push([]);
      batches.at(-1)!.push(entry(m, i % BATCH));
    });
    await mapBounded(batches, this.opts.concurrency ?? 8, (b) => this.sendBatch(b));
  }

  private async sendBatch(entries: SendMessageBatchRequestEntry[]): Promise<void> {
    const maxAttempts = this.opts.maxAttempts ?? 5;
    let pending = entries;
    let lastProblem = '';
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      if (attempt > 1) await (this.opts.sleep ?? sleep)(Math.random() * Math.min(2000, 50 * 2 ** attempt));
      let failed;
      try {
        const out = await this.opts.client.send(
          new SendMessageBatchCommand({ QueueUrl: this.opts.queueUrl, Entries: pending }),
        );
        failed = out.Failed ?? [];
      } catch (err) {
        const problem = describe(err);
        if (!problem.retryable)
          throw this.error(`cannot send to ${this.opts.queueUrl}: ${problem.text}`, err, false);
        lastProblem = problem.text;
        continue;
      }
      const fault = failed.find((f) => f.SenderFault);
      if (fault) {
        throw this.error(
          `SQS refused a reconcile message: ${fault.Code ?? 'error'} (${fault.Message ?? ''})`,
          undefined,
          false,
        );
      }
      const failedIds = new Set(failed.map((f) => f.Id));
      pending = pending.filter((e) => failedIds.has(e.Id));
      if (pending.length === 0) return;
      lastProblem = failed.map((f) => f.Code).join(', ');
    }
    throw this.error(
      `${pending.length} reconcile message(s) not accepted by ${this.opts.queueUrl} after ${maxAttempts} attempts: ${lastProblem}`,
      undefined,
      true,
    );
  }

  private error(message: string, cause: unknown, retryable: boolean): KsError {
    return new KsError('Queue', message, { ...(cause !== undefined ? { cause } : {}), retryable });
  }
}

/** One batch entry; only the routing fields travel in the body. */
function entry(m: ReconcileMessage, index: number): SendMessageBatchRequestEntry {
  const body = { clusterId: m.clusterId, namespace: m.namespace, name: m.name, reason: m.reason };
  return {
    Id: String(index),
    MessageBody: JSON.stringify(body),
    MessageGroupId: messageGroupId(m),
    MessageDeduplicationId: m.deduplicationId ?? randomUUID(),
  };
}

/** Whether an SDK error may pass on a later attempt, and its name and status for the message. */
function describe(err: unknown): { retryable: boolean; text: string } {
  const name = err instanceof Error ? err.name : 'Error';
  const meta = (err as { $metadata?: { httpStatusCode?: number }; $retryable?: unknown } | undefined) ?? {};
  const status = meta.$metadata?.httpStatusCode;
  const retryable =
    status === undefined ||
    status >= 500 ||
    status === 429 ||
    meta.$retryable !== undefined ||
    /Throttl|RequestThrottled|ServiceUnavailable|InternalError/.test(name);
  return {
    retryable,
    text: status === undefined ? `${name}: ${(err as Error).message}` : `${name} (HTTP ${status})`,
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Settings of {@link createSqsReconcileQueue}. */
export interface SqsQueueSettings extends AwsClientSettings {
  readonly queueUrl: string;
}

/** An SQS-backed reconcile queue from plain settings, so composition roots need not import the SDK. */
export function createSqsReconcileQueue(s: SqsQueueSettings): SqsReconcileQueue {
  return new SqsReconcileQueue({ client: new SQSClient(awsClientConfig(s)), queueUrl: s.queueUrl });
}
