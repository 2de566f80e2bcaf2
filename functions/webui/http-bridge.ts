/**
 * API Gateway v2 events to the Node request/response pair the web UI is written against
 * (lib/webui/webui-http.ts serves the runner's http.Server too), and the answer back: one buffered
 * response, as an HTTP API integration cannot stream (hence no Server-Sent Events here).
 */
import { Readable } from 'node:stream';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';

/** A request handler in the shape of the web UI's `handle`. */
export type NodeHandler = (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;

/** Serves one HTTP API event with `handle`; 404 when it does not take the path. */
export async function serveEvent(
  event: APIGatewayProxyEventV2,
  handle: NodeHandler,
): Promise<APIGatewayProxyStructuredResultV2> {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(event.headers ?? {})) if (v !== undefined) headers[k.toLowerCase()] = v;
  // The HTTP API moves cookies out of the headers (payload format 2.0).
  if (event.cookies?.length) headers.cookie = event.cookies.join('; ');
  const body = event.body ? Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8') : undefined;
  const req = Object.assign(Readable.from(body ? [body] : []), {
    method: event.requestContext.http.method,
    url: `${event.rawPath}${event.rawQueryString ? `?${event.rawQueryString}` : ''}`,
    headers,
  }) as unknown as IncomingMessage;
  const res = new BufferedResponse();
  // The cast is the bridge: BufferedResponse has the members the web UI uses (writeHead, setHeader,
  // write, end, headersSent).
  const taken = await handle(req, res as unknown as ServerResponse);
  if (!taken) return { statusCode: 404, headers: { 'content-type': 'text/plain' }, body: 'not found' };
  return res.result();
}

/** Collects what the web UI writes. */
class BufferedResponse {
  private status = 200;
  private readonly headers = new Map<string, string | string[]>();
  private readonly chunks: Buffer[] = [];
  headersSent = false;

  setHeader(name: string, value: string | string[] | number): this {
    this.headers.set(name.toLowerCase(), typeof value === 'number' ? String(value) : value);
    return this;
  }

  writeHead(status: number, headers?: Record<string, string | string[] | number>): this {
    this.status = status;
    for (const [k, v] of Object.entries(headers ?? {})) this.setHeader(k, v);
    this.headersSent = true;
    return this;
  }

  write(chunk: string | Uint8Array): boolean {
    this.chunks.push(Buffer.from(chunk));
    return true;
  }

  end(chunk?: string | Uint8Array): this {
    if (chunk !== undefined) this.write(chunk);
    this.headersSent = true;
    return this;
  }

  on(): this {
    return this;
  }

  result(): APIGatewayProxyStructuredResultV2 {
    const headers: Record<string, string> = {};
    let cookies: string[] = [];
    for (const [k, v] of this.headers) {
      if (k === 'set-cookie') cookies = Array.isArray(v) ? v : [v];
      else headers[k] = Array.isArray(v) ? v.join(', ') : v;
    }
    return {
      statusCode: this.status,
      headers,
      ...(cookies.length ? { cookies } : {}),
      body: Buffer.concat(this.chunks).toString('base64'),
      // Base64 always: the bridge does not guess which bodies are text.
      isBase64Encoded: true,
    };
  }
}
