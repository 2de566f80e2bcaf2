/**
 * A small local HTTP server shaped like an API Gateway HTTP API (payload format 2.0): each request is
 * turned into the event API Gateway would build (lambda-events.ts), routed by path to a real handler,
 * and the handler's structured result becomes the HTTP answer. It plays the HTTP API of the CDK stack
 * (`POST /ingest`, `POST /webhook/{provider}`) so the shim and Git providers reach the real handlers
 * over real HTTP, as they would in AWS.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { apiGatewayEvent } from './lambda-events.js';

/** A Lambda handler behind a route. */
export type HttpApiHandler = (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2>;

/** One route: a path such as `/ingest` or `/webhook/{provider}` (one trailing path parameter at most). */
export interface HttpApiRoute {
  readonly path: string;
  readonly handler: HttpApiHandler;
}

/** API Gateway refuses larger payloads before any function runs. */
const MAX_PAYLOAD_BYTES = 10 * 1024 * 1024;

/** A running local HTTP API. */
export interface LocalHttpApi {
  /** `http://127.0.0.1:PORT`. */
  readonly url: string;
  /** Requests answered, per route path. */
  readonly calls: Map<string, number>;
  close(): Promise<void>;
}

/** Starts the HTTP API on a free loopback port. */
export async function startLocalHttpApi(routes: readonly HttpApiRoute[]): Promise<LocalHttpApi> {
  const calls = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    void answer(req, routes, calls).then(
      (r) => {
        res.writeHead(r.statusCode ?? 200, (r.headers ?? {}) as Record<string, string>);
        res.end(r.body ?? '');
      },
      () =>
        res.writeHead(500, { 'content-type': 'application/json' }).end('{"message":"Internal Server Error"}'),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function answer(
  req: IncomingMessage,
  routes: readonly HttpApiRoute[],
  calls: Map<string, number>,
): Promise<APIGatewayProxyStructuredResultV2> {
  const path = new URL(req.url ?? '/', 'http://local').pathname;
  const match = matchRoute(routes, path);
  if (!match || req.method !== 'POST') {
    req.resume();
    return { statusCode: 404, body: '{"message":"Not Found"}' };
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req as AsyncIterable<Buffer>) {
    size += c.length;
    if (size > MAX_PAYLOAD_BYTES) return { statusCode: 413, body: '{"message":"Request Entity Too Large"}' };
    chunks.push(c);
  }
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) {
    if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(',') : v;
  }
  const event = apiGatewayEvent(path, Buffer.concat(chunks).toString('utf8'), headers);
  calls.set(match.route.path, (calls.get(match.route.path) ?? 0) + 1);
  return match.route.handler({
    ...event,
    routeKey: `POST ${match.route.path}`,
    ...(match.params ? { pathParameters: match.params } : {}),
  });
}

function matchRoute(
  routes: readonly HttpApiRoute[],
  path: string,
): { route: HttpApiRoute; params?: Record<string, string> } | undefined {
  for (const route of routes) {
    const param = /^(.*)\/\{(\w+)\}$/.exec(route.path);
    if (!param) {
      if (route.path === path) return { route };
      continue;
    }
    const [, base, name] = param;
    const rest = path.startsWith(`${base}/`) ? path.slice(base!.length + 1) : '';
    if (rest && !rest.includes('/')) return { route, params: { [name!]: decodeURIComponent(rest) } };
  }
  return undefined;
}
