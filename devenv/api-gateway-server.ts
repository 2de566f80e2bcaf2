/**
 * A small local HTTP server shaped like an API Gateway HTTP API (payload format 2.0): each request is
 * turned into the event API Gateway would build (lambda-events.ts), routed by method and path to a real
 * handler, and the handler's structured result becomes the HTTP answer. It plays the HTTP API of the
 * CDK stack (`POST /ingest`, `POST /webhook/{provider}`, `ANY /ui` and `ANY /ui/{proxy+}`) so the shim,
 * Git providers and browsers reach the real handlers over real HTTP, as they would in AWS: cookies
 * arrive in `cookies`, header names lower-cased, the query string raw, bodies that are not text in
 * base64; a result's `cookies` become `Set-Cookie` headers and a base64 body is decoded.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { httpApiEvent } from './lambda-events.js';

/** A Lambda handler behind a route. */
export type HttpApiHandler = (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2>;

/**
 * One route: a path such as `/ingest`, `/webhook/{provider}` (one trailing segment) or `/ui/{proxy+}`
 * (a greedy trailing parameter: one or more segments), and its method (`ANY` for all).
 */
export interface HttpApiRoute {
  /** Default `POST`. */
  readonly method?: string;
  readonly path: string;
  readonly handler: HttpApiHandler;
}

/** API Gateway refuses larger payloads before any function runs. */
const MAX_PAYLOAD_BYTES = 10 * 1024 * 1024;

/** Content types API Gateway passes as text; any other body reaches the function in base64. */
const TEXT_TYPES = /^(text\/|application\/(json|x-www-form-urlencoded|xml|javascript)|[^;]*\+(json|xml))/i;

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
      (r) => reply(res, req.method === 'HEAD', r),
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

/** Writes a function's result as API Gateway does: each of `cookies` one `Set-Cookie` header. */
function reply(res: ServerResponse, head: boolean, r: APIGatewayProxyStructuredResultV2): void {
  const headers: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(r.headers ?? {})) headers[k] = String(v);
  if (r.cookies?.length) headers['set-cookie'] = r.cookies;
  res.writeHead(r.statusCode ?? 200, headers);
  const body = Buffer.from(r.body ?? '', r.isBase64Encoded ? 'base64' : 'utf8');
  res.end(head ? undefined : body);
}

async function answer(
  req: IncomingMessage,
  routes: readonly HttpApiRoute[],
  calls: Map<string, number>,
): Promise<APIGatewayProxyStructuredResultV2> {
  const raw = req.url ?? '/';
  const q = raw.indexOf('?');
  const path = q < 0 ? raw : raw.slice(0, q);
  const method = req.method ?? 'GET';
  // API Gateway routes `/ui/` to the route `/ui` and keeps the slash in `rawPath` (observed on HTTP
  // APIs: aws-powertools/powertools-lambda-python#1552).
  const match = matchRoute(routes, method, path.length > 1 ? path.replace(/\/$/, '') : path);
  if (!match) {
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
    // Duplicates joined with commas (payload 2.0 has no multi-value headers); cookies with `;`.
    if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(k === 'cookie' ? '; ' : ',') : v;
  }
  const body = Buffer.concat(chunks);
  const text = size === 0 || TEXT_TYPES.test(headers['content-type'] ?? '');
  const { route } = match;
  const routeKey = `${route.method ?? 'POST'} ${route.path}`;
  calls.set(route.path, (calls.get(route.path) ?? 0) + 1);
  return route.handler(
    httpApiEvent({
      method,
      path,
      routeKey,
      rawQueryString: q < 0 ? '' : raw.slice(q + 1),
      headers,
      ...(match.params ? { pathParameters: match.params } : {}),
      ...(size > 0 ? { body: body.toString(text ? 'utf8' : 'base64'), isBase64Encoded: !text } : {}),
    }),
  );
}

function matchRoute(
  routes: readonly HttpApiRoute[],
  method: string,
  path: string,
): { route: HttpApiRoute; params?: Record<string, string> } | undefined {
  for (const route of routes) {
    const want = route.method ?? 'POST';
    if (want !== 'ANY' && want !== method) continue;
    const param = /^(.*)\/\{(\w+)(\+?)\}$/.exec(route.path);
    if (!param) {
      if (route.path === path) return { route };
      continue;
    }
    const [, base, name, greedy] = param;
    const rest = path.startsWith(`${base}/`) ? path.slice(base!.length + 1) : '';
    if (rest && (greedy || !rest.includes('/'))) {
      return { route, params: { [name!]: decodeURIComponent(rest) } };
    }
  }
  return undefined;
}
