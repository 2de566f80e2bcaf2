/**
 * The webhook function behind the HTTP API (`POST /webhook/{provider}`, API Gateway v2 payload): Git
 * providers' push events go to lib/serverless/webhook.ts, which answers 202 with the number of
 * reconciles enqueued, 200 to pings, 401 without a valid signature, 413 for oversized bodies.
 */
import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { MAX_WEBHOOK_BYTES, handleWebhook, tooLargeAnswer } from '../../lib/serverless/webhook.js';
import type { WebhookDeps, WebhookResponse } from '../../lib/serverless/webhook.js';
import { webhookDeps } from './compose.js';

/** Handles one HTTP request with the given dependencies. */
export async function handleWebhookEvent(
  event: APIGatewayProxyEventV2,
  deps: WebhookDeps,
): Promise<APIGatewayProxyStructuredResultV2> {
  if (event.requestContext.http.method !== 'POST') {
    return reply({ status: 405, body: { message: 'webhooks are POSTed' } });
  }
  const raw = event.body ?? '';
  const limit = deps.maxBodyBytes ?? MAX_WEBHOOK_BYTES;
  // Base64 grows by a third: refuse a body too large before decoding it.
  if (event.isBase64Encoded && raw.length > Math.ceil((limit * 4) / 3) + 4)
    return reply(tooLargeAnswer(limit));
  const body = Buffer.from(raw, event.isBase64Encoded ? 'base64' : 'utf8');
  const headers: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(event.headers ?? {})) headers[k.toLowerCase()] = v;
  const provider = event.pathParameters?.provider ?? event.rawPath.split('/').pop() ?? '';
  return reply(await handleWebhook({ provider, headers, body }, deps));
}

function reply(res: WebhookResponse): APIGatewayProxyStructuredResultV2 {
  return {
    statusCode: res.status,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(res.body),
  };
}

/** The Lambda entry point. */
export const handler = middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>().handler((event) =>
  handleWebhookEvent(event, webhookDeps()),
);
