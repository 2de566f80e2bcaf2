/**
 * Lambda events shaped as AWS delivers them (API Gateway HTTP API v2, SQS, EventBridge schedule), so
 * the real handlers can be invoked in process against LocalStack.
 */
import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEventV2, ScheduledEvent, SQSEvent } from 'aws-lambda';
import type { Message } from '@aws-sdk/client-sqs';

/** A POST through an HTTP API (payload format 2.0); header names are lower-cased as API Gateway does. */
export function apiGatewayEvent(
  path: string,
  body: string,
  headers: Readonly<Record<string, string>> = {},
): APIGatewayProxyEventV2 {
  const now = new Date();
  const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  return {
    version: '2.0',
    routeKey: `POST ${path}`,
    rawPath: path,
    rawQueryString: '',
    headers: {
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength(body)),
      ...lower,
    },
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      domainName: 'local.execute-api.localhost',
      domainPrefix: 'local',
      http: { method: 'POST', path, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'test' },
      requestId: randomUUID(),
      routeKey: `POST ${path}`,
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
    body,
    isBase64Encoded: false,
  };
}

/** The SQS event the event source mapping builds from received FIFO messages. */
export function sqsEvent(queueArn: string, messages: readonly Message[]): SQSEvent {
  return {
    Records: messages.map((m) => ({
      messageId: m.MessageId!,
      receiptHandle: m.ReceiptHandle!,
      body: m.Body ?? '',
      attributes: {
        ApproximateReceiveCount: m.Attributes?.ApproximateReceiveCount ?? '1',
        SentTimestamp: m.Attributes?.SentTimestamp ?? String(Date.now()),
        SenderId: m.Attributes?.SenderId ?? 'local',
        ApproximateFirstReceiveTimestamp:
          m.Attributes?.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
        ...(m.Attributes?.MessageGroupId ? { MessageGroupId: m.Attributes.MessageGroupId } : {}),
        ...(m.Attributes?.MessageDeduplicationId
          ? { MessageDeduplicationId: m.Attributes.MessageDeduplicationId }
          : {}),
        ...(m.Attributes?.SequenceNumber ? { SequenceNumber: m.Attributes.SequenceNumber } : {}),
      },
      messageAttributes: {},
      md5OfBody: m.MD5OfBody ?? '',
      eventSource: 'aws:sqs',
      eventSourceARN: queueArn,
      awsRegion: 'us-east-1',
    })),
  };
}

/** The event an EventBridge schedule rule delivers. */
export function scheduledEvent(time = new Date()): ScheduledEvent {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    account: '000000000000',
    time: time.toISOString(),
    region: 'us-east-1',
    resources: ['arn:aws:events:us-east-1:000000000000:rule/kluctl-serverless-schedule'],
    detail: {},
  };
}
