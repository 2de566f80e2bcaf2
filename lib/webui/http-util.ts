/**
 * HTTP helpers of the web UI: security headers, JSON bodies (size-limited, JSON only), same-origin
 * checks, and answers with a status.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { KsError, errorMessage } from '../errors.js';
import type { Logger } from '../ports.js';

/** Page security: nothing but our own files, no framing, no inline script. */
export const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
} as const;

/** Largest JSON body the API reads. */
export const MAX_BODY = 64 * 1024;

/** Refuses anything but POST. */
export function requirePost(req: IncomingMessage): void {
  if (req.method !== 'POST') throw new HttpError(405, 'use POST');
}

/**
 * Refuses a request whose Origin (sent by browsers on every POST) is not this server: with the
 * SameSite=Strict cookie and the CSRF token, the third guard against cross-site requests.
 */
export function requireSameOrigin(req: IncomingMessage): void {
  const origin = headerOf(req, 'origin');
  if (origin === undefined) return;
  let host: string;
  try {
    host = new URL(origin).host;
  } catch {
    throw new HttpError(403, 'bad Origin header');
  }
  if (host !== req.headers.host) throw new HttpError(403, `cross-origin request from ${origin} refused`);
}

/** One request header as a string. */
export function headerOf(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** The JSON object body (empty: `{}`); 413 past {@link MAX_BODY}, 415 if not JSON. */
export async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const type = headerOf(req, 'content-type') ?? '';
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) throw new HttpError(413, `body larger than ${MAX_BODY} bytes`);
    chunks.push(chunk);
  }
  if (size === 0) return {};
  // JSON only: a cross-site form cannot send it without a preflight.
  if (!type.startsWith('application/json')) throw new HttpError(415, 'send application/json');
  try {
    const v = JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
    return typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : {};
  } catch {
    throw new HttpError(400, 'body is not JSON');
  }
}

/** An answer with a status code, thrown from deep inside a route. */
export class HttpError extends KsError {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super('InvalidInput', message);
  }
}

/** Answers an error: its status, and its message unless it is internal (then it is logged). */
export function sendError(res: ServerResponse, err: unknown, log: Logger, path: string): void {
  const status =
    err instanceof HttpError
      ? err.status
      : err instanceof KsError
        ? ({ InvalidInput: 400, KubeNotFound: 404, KubeConflict: 409 }[err.code as string] ?? 500)
        : 500;
  if (status === 500) log.error('web UI request failed', { path, error: errorMessage(err) });
  if (res.headersSent) {
    res.end();
    return;
  }
  send(res, status, { message: status === 500 ? 'internal error; see the runner log' : errorMessage(err) });
}

/** Answers JSON with the security headers and no caching. */
export function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, {
    'content-type': 'application/json',
    'cache-control': 'no-store',
    ...SECURITY_HEADERS,
  });
  res.end(`${JSON.stringify(body)}\n`);
}

/** A decoded path segment; 400 when it is not valid percent-encoding. */
export function dec(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    throw new HttpError(400, `bad path segment ${s}`);
  }
}
