/**
 * The ingest function behind the HTTP API (API Gateway v2 payload): the shim's signed pushes go to
 * lib/serverless/ingest.ts. Answers 200 with counts, 400/401/413 as ingest decides, and 503 when the
 * state store or the queue failed, so the shim retries the push.
 */
import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { errorMessage } from '../../lib/errors.js';
import { ingestPush } from '../../lib/serverless/ingest.js';
import type { IngestDeps } from '../../lib/serverless/ingest.js';
import { MAX_PUSH_BYTES } from '../../lib/serverless/protocol.js';
import { indexMirror } from '../../lib/serverless/repo-index.js';
import { runtimeDeps } from '../shared/runtime-deps.js';

/** Handles one HTTP request with the given dependencies. */
export async function handleIngest(
  event: APIGatewayProxyEventV2,
  deps: IngestDeps,
): Promise<APIGatewayProxyStructuredResultV2> {
  const raw = event.body ?? '';
  // Base64 grows by a third: refuse a body too large before decoding it.
  if (event.isBase64Encoded && raw.length > Math.ceil((MAX_PUSH_BYTES * 4) / 3) + 4) {
    return reply(413, { error: `push body exceeds ${MAX_PUSH_BYTES} bytes; send fewer objects per push` });
  }
  const body = event.isBase64Encoded ? Buffer.from(raw, 'base64').toString('utf8') : raw;
  const headers: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(event.headers ?? {})) headers[k.toLowerCase()] = v;
  try {
    const result = await ingestPush(deps, { headers, body });
    return reply(result.status, result.body);
  } catch (err) {
    deps.logger.error('ingest failed; the shim will retry', { error: errorMessage(err) });
    return reply(503, { error: 'the push could not be stored; retry later' });
  }
}

function reply(statusCode: number, body: unknown): APIGatewayProxyStructuredResultV2 {
  return { statusCode, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
}

/** The Lambda entry point. */
export const handler = middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>().handler((event) =>
  handleIngest(event, ingestDeps()),
);

/** The runtime dependencies, with each mirror change also kept in the repository index for webhooks. */
export function ingestDeps(env: NodeJS.ProcessEnv = process.env): IngestDeps {
  const deps = runtimeDeps(env);
  return { ...deps, onMirrorChanged: (mirror, id) => indexMirror(deps.store, mirror, id) };
}
