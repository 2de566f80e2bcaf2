/**
 * The web UI function behind the HTTP API (`ANY /ui` and `ANY /ui/{proxy+}`, API Gateway v2 payload):
 * the page and its JSON API (lib/webui/webui-http.ts, as the runner serves them), with sessions signed
 * into the cookie and live updates by polling.
 */
import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { Webui } from '../../lib/webui/webui-http.js';
import { webuiFunction } from './compose.js';
import { serveEvent } from './http-bridge.js';

/** Handles one HTTP request with the given web UI. */
export function handleWebuiEvent(
  event: APIGatewayProxyEventV2,
  webui: Webui,
): Promise<APIGatewayProxyStructuredResultV2> {
  return serveEvent(event, (req, res) => webui.handle(req, res));
}

/** The Lambda entry point. */
export const handler = middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>().handler(
  async (event) => handleWebuiEvent(event, await webuiFunction()),
);
