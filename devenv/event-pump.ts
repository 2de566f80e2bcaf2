/**
 * Plays the parts of AWS that LocalStack cannot run here (Lambda needs Docker): the SQS event source
 * mapping of the reconcile function and the EventBridge schedule of the schedule function. The real
 * handlers are invoked in process with events shaped as AWS builds them (lambda-events.ts).
 *
 * As the event source mapping does with `ReportBatchItemFailures`: it receives a batch, invokes the
 * handler, deletes the messages that succeeded and leaves the failed ones (all of them when the handler
 * throws) for SQS to deliver again once their visibility timeout ends.
 */
import {
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
} from '@aws-sdk/client-sqs';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { ScheduledEvent, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { scheduledEvent, sqsEvent } from './lambda-events.js';

/** Options of {@link SqsEventPump}. */
export interface SqsEventPumpOptions {
  readonly sqs: SQSClient;
  readonly queueUrl: string;
  /** The reconcile handler (or any SQS handler). */
  readonly handler: (event: SQSEvent) => Promise<SQSBatchResponse | void>;
  /** Messages per invocation; default 10 (the mapping's maximum for FIFO). */
  readonly batchSize?: number;
  /** Long-poll wait per receive; default 1 s. */
  readonly waitTimeSeconds?: number;
}

/** What one or more polls did. */
export interface PumpCounts {
  received: number;
  succeeded: number;
  failed: number;
}

/** The SQS event source mapping, one poll at a time or in a loop. */
export class SqsEventPump {
  private running: Promise<void> | undefined;
  private stopped = false;
  private arn: string | undefined;
  /** Totals since the pump was made. */
  readonly counts: PumpCounts = { received: 0, succeeded: 0, failed: 0 };

  constructor(private readonly opts: SqsEventPumpOptions) {}

  /** Receives one batch and invokes the handler with it (nothing when the queue had nothing). */
  async pumpOnce(): Promise<PumpCounts> {
    const { sqs, queueUrl } = this.opts;
    const out = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: this.opts.batchSize ?? 10,
        WaitTimeSeconds: this.opts.waitTimeSeconds ?? 1,
        MessageSystemAttributeNames: ['All'],
      }),
    );
    const messages = out.Messages ?? [];
    const counts = { received: messages.length, succeeded: 0, failed: 0 };
    if (messages.length === 0) return counts;
    let failedIds: Set<string>;
    try {
      const res = await this.opts.handler(sqsEvent(await this.queueArn(), messages));
      failedIds = new Set((res?.batchItemFailures ?? []).map((f) => f.itemIdentifier));
    } catch {
      failedIds = new Set(messages.map((m) => m.MessageId!));
    }
    const done = messages.filter((m) => !failedIds.has(m.MessageId!));
    if (done.length > 0) {
      await sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: done.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })),
        }),
      );
    }
    counts.succeeded = done.length;
    counts.failed = messages.length - done.length;
    this.add(counts);
    return counts;
  }

  /** Polls until `idlePolls` polls in a row received nothing (failed messages come back meanwhile). */
  async drain(idlePolls = 2): Promise<PumpCounts> {
    const total = { received: 0, succeeded: 0, failed: 0 };
    for (let idle = 0; idle < idlePolls;) {
      const c = await this.pumpOnce();
      idle = c.received === 0 ? idle + 1 : 0;
      total.received += c.received;
      total.succeeded += c.succeeded;
      total.failed += c.failed;
    }
    return total;
  }

  /** Polls in the background until {@link stop}. */
  start(): void {
    this.stopped = false;
    this.running ??= (async () => {
      while (!this.stopped) await this.pumpOnce().catch(() => undefined);
    })();
  }

  /** Stops polling after the current poll. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.running;
    this.running = undefined;
  }

  private add(c: PumpCounts): void {
    this.counts.received += c.received;
    this.counts.succeeded += c.succeeded;
    this.counts.failed += c.failed;
  }

  private async queueArn(): Promise<string> {
    if (!this.arn) {
      const out = await this.opts.sqs.send(
        new GetQueueAttributesCommand({ QueueUrl: this.opts.queueUrl, AttributeNames: ['QueueArn'] }),
      );
      this.arn =
        out.Attributes?.QueueArn ??
        `arn:aws:sqs:us-east-1:000000000000:${this.opts.queueUrl.split('/').pop()}`;
    }
    return this.arn;
  }
}

/** The EventBridge schedule: invokes the schedule handler every `periodMs` until stopped. */
export class ScheduleTicker {
  private timer: NodeJS.Timeout | undefined;
  private inflight: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly handler: (event: ScheduledEvent) => Promise<unknown>,
    private readonly periodMs: number,
  ) {}

  /** One tick now. */
  tick(time = new Date()): Promise<unknown> {
    this.inflight = this.handler(scheduledEvent(time));
    return this.inflight;
  }

  /** Ticks every period (the first one after one period, as a rate rule does). */
  start(): void {
    this.timer ??= setInterval(() => void this.tick().catch(() => undefined), this.periodMs);
  }

  /** Stops ticking and waits for a running tick. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.inflight.catch(() => undefined);
  }
}
