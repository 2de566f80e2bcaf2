/**
 * Lambda events shaped as AWS delivers them (API Gateway HTTP API v2, SQS, EventBridge schedule), so
 * the real handlers can be invoked in process against LocalStack.
 */
import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEventV2, ScheduledEvent, SQSEvent } from 'aws-lambda';
import type { Message } from '@aws-sdk/client-sqs';

/** One request as an HTTP API (payload format 2.0) hands it to a Lambda function. */
export interface HttpApiRequest {
  readonly method: string;
  /** The path as sent, not decoded (`rawPath`). */
  readonly path: string;
  /** The route that matched, e.g. `ANY /ui/{proxy+}`; default `<method> <path>`. */
  readonly routeKey?: string;
  readonly rawQueryString?: string;
  /** Header names in any case; API Gateway lower-cases them. A `cookie` header goes to `cookies`. */
  readonly headers?: Readonly<Record<string, string>>;
  readonly pathParameters?: Readonly<Record<string, string>>;
  readonly body?: string;
  readonly isBase64Encoded?: boolean;
}

/**
 * The event API Gateway builds for an HTTP API route (payload format 2.0): lower-cased headers
 * (duplicates already joined with commas by the caller), the cookies moved out of the headers into
 * `cookies`, the query string raw and parsed (duplicates joined with commas).
 */
export function httpApiEvent(r: HttpApiRequest): APIGatewayProxyEventV2 {
  const now = new Date();
  const headers: Record<string, string> = {};
  let cookies: string[] | undefined;
  for (const [k, v] of Object.entries(r.headers ?? {})) {
    const name = k.toLowerCase();
    if (name === 'cookie')
      cookies = v
        .split(';')
        .map((c) => c.trim())
        .filter(Boolean);
    else headers[name] = v;
  }
  const rawQueryString = r.rawQueryString ?? '';
  const query: Record<string, string> = {};
  for (const [k, v] of new URLSearchParams(rawQueryString)) query[k] = k in query ? `${query[k]},${v}` : v;
  const routeKey = r.routeKey ?? `${r.method} ${r.path}`;
  return {
    version: '2.0',
    routeKey,
    rawPath: r.path,
    rawQueryString,
    ...(cookies?.length ? { cookies } : {}),
    headers,
    ...(rawQueryString ? { queryStringParameters: query } : {}),
    ...(r.pathParameters ? { pathParameters: { ...r.pathParameters } } : {}),
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      domainName: headers.host ?? 'local.execute-api.localhost',
      domainPrefix: 'local',
      http: {
        method: r.method,
        path: r.path,
        protocol: 'HTTP/1.1',
        sourceIp: '127.0.0.1',
        userAgent: headers['user-agent'] ?? 'test',
      },
      requestId: randomUUID(),
      routeKey,
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
    ...(r.body !== undefined ? { body: r.body } : {}),
    isBase64Encoded: r.isBase64Encoded ?? false,
  };
}

/** A POST through an HTTP API (payload format 2.0); header names are lower-cased as API Gateway does. */
export function apiGatewayEvent(
  path: string,
  body: string,
  headers: Readonly<Record<string, string>> = {},
): APIGatewayProxyEventV2 {
  return httpApiEvent({
    method: 'POST',
    path,
    headers: {
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength(body)),
      ...headers,
    },
    body,
  });
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
