/**
 * What tests of the reconcile function share: SQS-shaped events as the event source mapping of a FIFO
 * queue sends them, and a fresh bucket in the test run's LocalStack S3.
 */
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { messageGroupId } from '../../lib/serverless/protocol.js';
import type { ReconcileMessage } from '../../lib/serverless/protocol.js';
import { S3StateStore } from '../../lib/adapters/s3-state-store.js';
import { testEnv } from '../support/test-env.js';

/** One record carrying `message`. */
export function sqsRecord(messageId: string, message: ReconcileMessage): SQSRecord {
  const now = `${Date.now()}`;
  return {
    messageId,
    receiptHandle: `rh-${messageId}`,
    body: JSON.stringify(message),
    attributes: {
      ApproximateReceiveCount: '1',
      SentTimestamp: now,
      SenderId: 'test',
      ApproximateFirstReceiveTimestamp: now,
      MessageGroupId: messageGroupId(message),
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:reconcile.fifo',
    awsRegion: 'us-east-1',
  };
}

/** An event of one record per message, with message ids `<prefix>-<index>`. */
export function sqsEvent(prefix: string, ...messages: ReconcileMessage[]): SQSEvent {
  return { Records: messages.map((m, i) => sqsRecord(`${prefix}-${i}`, m)) };
}

/** A state store on a new bucket `<prefix>-<time>` of the test run's S3. */
export async function newS3Store(prefix: string): Promise<S3StateStore> {
  const { s3 } = testEnv();
  const client = new S3Client({
    endpoint: s3.endpoint,
    region: s3.region,
    forcePathStyle: true,
    credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
  });
  const bucket = `${prefix}-${Date.now()}`;
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
  return new S3StateStore({ client, bucket });
}
