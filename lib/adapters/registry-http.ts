/**
 * The HTTP plumbing of the registry client (lib/adapters/http-oci-source.ts): one buffered request on
 * node:http/https (for `insecureSkipTlsVerify`, which fetch cannot do without undici), redirects
 * followed as registries backed by object stores send blobs elsewhere, and the registry's JSON error
 * body written as go-containerregistry writes it, since Kluctl's messages are that text.
 */
import http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';

/** A buffered response. Header names are lower case. */
export interface RegistryResponse {
  readonly status: number;
  readonly statusText: string;
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly body: Buffer;
}

/** Options of {@link httpRequest}. */
export interface RegistryRequestOptions {
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: Buffer;
  /** Default true. */
  readonly rejectUnauthorized?: boolean;
  /** Follow 30x (the Authorization header is dropped when the host changes). Default false. */
  readonly followRedirects?: boolean;
}

const MAX_REDIRECTS = 5;
const TIMEOUT_MS = 60_000;

function once(method: string, url: URL, opts: RegistryRequestOptions): Promise<RegistryResponse> {
  const mod = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = mod.request(
      url,
      {
        method,
        headers: { 'user-agent': 'kluctl-serverless', ...opts.headers },
        timeout: TIMEOUT_MS,
        ...(url.protocol === 'https:' ? { rejectUnauthorized: opts.rejectUnauthorized ?? true } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const headers: Record<string, string | undefined> = {};
          for (const [k, v] of Object.entries(res.headers)) headers[k] = Array.isArray(v) ? v.join(', ') : v;
          resolve({
            status: res.statusCode ?? 0,
            statusText: res.statusMessage ?? '',
            headers,
            body: Buffer.concat(chunks),
          });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${url.toString()}: timed out`)));
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** One request, buffered; network failures reject with `<METHOD> <url>: <cause>`. */
export async function httpRequest(
  method: string,
  url: string,
  opts: RegistryRequestOptions = {},
): Promise<RegistryResponse> {
  let current = new URL(url);
  let headers = { ...opts.headers };
  for (let i = 0; ; i++) {
    let res: RegistryResponse;
    try {
      res = await once(method, current, { ...opts, headers });
    } catch (err) {
      throw new Error(`${method} ${current.toString()}: ${(err as Error).message}`, { cause: err });
    }
    const location = res.headers.location;
    if (!opts.followRedirects || res.status < 300 || res.status >= 400 || !location || i >= MAX_REDIRECTS)
      return res;
    const next = new URL(location, current);
    if (next.host !== current.host) {
      const { authorization: _dropped, ...rest } = headers;
      headers = rest;
    }
    current = next;
  }
}

/**
 * Refuses token realms a registry must not send its client to (go-containerregistry's rule, so Kluctl's):
 * plain `http` only for a plain-HTTP registry, and no private, loopback or link-local IP literal unless
 * the realm is the registry's own `host:port`. Otherwise a registry could aim credentials at, say, the
 * cloud metadata service.
 */
export function checkRealm(realm: string, registryHost: string, plainHttp: boolean): string | undefined {
  let u: URL;
  try {
    u = new URL(realm);
  } catch {
    return `invalid realm in www-authenticate: parsing realm "${realm}" failed`;
  }
  if (u.protocol === 'http:' && !plainHttp)
    return 'invalid realm in www-authenticate: realm scheme "http" not allowed for a secure registry; use https';
  if (u.protocol !== 'http:' && u.protocol !== 'https:')
    return `invalid realm in www-authenticate: realm scheme "${u.protocol.replace(':', '')}" not allowed; must be https (or http for insecure registries)`;
  if (u.host === registryHost) return undefined;
  const host = u.hostname.replace(/^\[|\]$/g, '');
  if (isIP(host) && isPrivateAddress(host))
    return `invalid realm in www-authenticate: realm host "${host}" is a private or link-local address`;
  return undefined;
}

/** Loopback, RFC 1918 / unique-local, link-local and unspecified addresses (Go's net.IP predicates). */
function isPrivateAddress(ip: string): boolean {
  if (isIP(ip) === 4) {
    const [a, b] = ip.split('.').map(Number) as [number, number];
    return (
      a === 127 ||
      a === 10 ||
      a === 0 ||
      (a === 172 && b >= 16 && b <= 31) ||
      (a === 192 && b === 168) ||
      (a === 169 && b === 254)
    );
  }
  const v6 = ip.toLowerCase();
  if (v6.startsWith('::ffff:')) return isPrivateAddress(v6.slice(7));
  return v6 === '::1' || v6 === '::' || /^f[cd]/.test(v6) || /^fe[89ab]/.test(v6);
}

/** A JSON value as Go's `%v` prints it (maps with sorted keys), for registry error details. */
function goValue(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(goValue).join(' ')}]`;
  if (v && typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1));
    return `map[${entries.map(([k, x]) => `${k}:${goValue(x)}`).join(' ')}]`;
  }
  return v === null || v === undefined ? '<nil>' : String(v as string | number | boolean);
}

interface Diagnostic {
  readonly code?: string;
  readonly message?: string;
  readonly detail?: unknown;
}

/**
 * The error text of a failed registry response: `CODE: message[; detail]` per error of the body,
 * else `unexpected status code <n> <text>: <body>`.
 */
export function registryErrorText(res: RegistryResponse): string {
  let errors: readonly Diagnostic[] = [];
  try {
    const parsed = JSON.parse(res.body.toString('utf8')) as { errors?: Diagnostic[] };
    errors = Array.isArray(parsed.errors) ? parsed.errors : [];
  } catch {
    // not a registry error body
  }
  if (errors.length === 0) {
    const statusLine = `${res.status} ${res.statusText}`.trim();
    return `unexpected status code ${statusLine}: ${res.body.toString('utf8').trim()}`;
  }
  const texts = errors.map((e) => {
    const msg = e.message ?? '<empty>';
    const detail = e.detail === undefined || e.detail === null ? '' : `; ${goValue(e.detail)}`;
    return `${e.code ?? ''}: ${msg}${detail}`;
  });
  return texts.length === 1 ? texts[0]! : `multiple errors returned: ${texts.join('; ')}`;
}
