/**
 * The AWS side of the serverless runtime in LocalStack, for tests and benchmarks: a bucket, a FIFO
 * queue (with its dead-letter queue) and the settings the adapters take, all on one LocalStack endpoint.
 */
import { randomBytes } from 'node:crypto';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import type { Message } from '@aws-sdk/client-sqs';
import type { AwsClientSettings } from '../lib/adapters/aws-client-settings.js';
import { LOCALSTACK_CREDENTIALS } from './localstack.js';

/** Client settings for a LocalStack endpoint. */
export function localAwsSettings(endpoint: string): Required<AwsClientSettings> {
  const { accessKeyId, secretAccessKey, region } = LOCALSTACK_CREDENTIALS;
  return { endpoint, region, credentials: { accessKeyId, secretAccessKey } };
}

/** A short random suffix for names that must not collide between tests. */
export function uniqueSuffix(): string {
  return randomBytes(4).toString('hex');
}

/** Creates a bucket and returns its name. */
export async function createBucket(endpoint: string, prefix: string): Promise<string> {
  const bucket = `${prefix}-${uniqueSuffix()}`;
  const s3 = new S3Client({ ...localAwsSettings(endpoint), forcePathStyle: true });
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  s3.destroy();
  return bucket;
}

/** A FIFO queue as the CDK app creates it: explicit deduplication ids, a short visibility timeout. */
export async function createFifoQueue(
  sqs: SQSClient,
  prefix: string,
  opts: { visibilityTimeoutSec?: number } = {},
): Promise<string> {
  const out = await sqs.send(
    new CreateQueueCommand({
      QueueName: `${prefix}-${uniqueSuffix()}.fifo`,
      Attributes: {
        FifoQueue: 'true',
        ContentBasedDeduplication: 'false',
        VisibilityTimeout: String(opts.visibilityTimeoutSec ?? 2),
      },
    }),
  );
  return out.QueueUrl!;
}

/** An SQS client for LocalStack. */
export function localSqs(endpoint: string): SQSClient {
  return new SQSClient(localAwsSettings(endpoint));
}

/**
 * Receives (and deletes) every message now in the queue, in delivery order. FIFO hides the rest of a
 * group while one of its messages is in flight, so it deletes what it got before asking again.
 */
export async function drainQueue(sqs: SQSClient, queueUrl: string): Promise<Message[]> {
  const all: Message[] = [];
  for (let empty = 0; empty < 2;) {
    const out = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 0,
        MessageSystemAttributeNames: ['MessageGroupId', 'MessageDeduplicationId'],
      }),
    );
    const got = out.Messages ?? [];
    if (got.length === 0) {
      empty++;
      continue;
    }
    all.push(...got);
    await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: got.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })),
      }),
    );
  }
  return all;
}

/** Messages in the queue (visible plus in flight), as SQS reports them. */
export async function queueDepth(sqs: SQSClient, queueUrl: string): Promise<number> {
  const out = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  const a = out.Attributes ?? {};
  return Number(a.ApproximateNumberOfMessages ?? 0) + Number(a.ApproximateNumberOfMessagesNotVisible ?? 0);
}
