/**
 * Lists the tags of an OCI chart repository through the registry API (`/v2/<name>/tags/list`), as
 * `helm-update` needs them (helm itself has no command for it). Follows the anonymous, basic and bearer
 * token flows, `Link: <...>; rel="next"` pagination, and the matching credentials entry's TLS settings.
 * Like Kluctl's registry client (go-containerregistry), loopback, `localhost`, `*.local` and RFC 1918
 * hosts are spoken to over plain HTTP even without `plainHttp`.
 */
import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import type { IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { ToolError } from '../../errors.js';
import { describeCredential } from '../../credentials/helm-credentials.js';
import type { HelmCredentialEntry } from '../../credentials/helm-credentials.js';

interface Response {
  readonly status: number;
  readonly statusText: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** Pages are bounded so a misbehaving registry cannot keep helm-update busy forever. */
const MAX_PAGES = 100;
const TIMEOUT_MS = 30_000;

/** Whether go-containerregistry would use plain HTTP for `host` (`host[:port]`). */
export function isInsecureRegistryHost(host: string): boolean {
  const name = host.replace(/^\[|\](:\d+)?$/g, '').replace(/:\d+$/, '');
  if (name === 'localhost' || name.endsWith('.local') || name.endsWith('.localhost')) return true;
  if (host.includes('127.0.0.1') || host.includes('::1')) return true;
  const ip = /^(\d+)\.(\d+)\.\d+\.\d+$/.exec(name);
  if (!ip) return false;
  const [a, b] = [Number(ip[1]), Number(ip[2])];
  return a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168);
}

function tlsOptions(c: HelmCredentialEntry | undefined): Record<string, unknown> {
  return {
    ...(c?.caFile ? { ca: readFileSync(c.caFile) } : {}),
    ...(c?.certFile ? { cert: readFileSync(c.certFile) } : {}),
    ...(c?.keyFile ? { key: readFileSync(c.keyFile) } : {}),
    rejectUnauthorized: !c?.insecureSkipTlsVerify,
  };
}

function get(url: URL, auth: string | undefined, c: HelmCredentialEntry | undefined): Promise<Response> {
  const send = url.protocol === 'http:' ? httpRequest : httpsRequest;
  return new Promise((resolve, reject) => {
    const req = send(
      url,
      {
        method: 'GET',
        headers: { accept: 'application/json', ...(auth ? { authorization: auth } : {}) },
        timeout: TIMEOUT_MS,
        ...(url.protocol === 'https:' ? tlsOptions(c) : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (b: Buffer) => chunks.push(b));
        res.on('error', reject);
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            statusText: res.statusMessage ?? '',
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${TIMEOUT_MS} ms`)));
    req.on('error', reject);
    req.end();
  });
}

function challenge(header: string | undefined): { scheme: string; params: Record<string, string> } {
  const [scheme, ...rest] = (header ?? '').split(' ');
  const params: Record<string, string> = {};
  for (const m of rest.join(' ').matchAll(/(\w+)="([^"]*)"/g)) params[m[1]!] = m[2]!;
  return { scheme: (scheme ?? '').toLowerCase(), params };
}

function basic(c: HelmCredentialEntry | undefined): string | undefined {
  if (c?.username === undefined || c.password === undefined) return undefined;
  return `Basic ${Buffer.from(`${c.username}:${c.password}`).toString('base64')}`;
}

/** The Authorization header a 401 challenge asks for, or undefined when there is nothing to send. */
async function authorize(
  res: Response,
  c: HelmCredentialEntry | undefined,
  what: string,
): Promise<string | undefined> {
  const ch = challenge(res.headers['www-authenticate']);
  if (ch.scheme !== 'bearer' || !ch.params.realm) return basic(c);
  const t = new URL(ch.params.realm);
  if (ch.params.service) t.searchParams.set('service', ch.params.service);
  if (ch.params.scope) t.searchParams.set('scope', ch.params.scope);
  const tr = await get(t, basic(c), c);
  if (tr.status !== 200)
    throw new ToolError(`${what} failed: the token request returned ${tr.status} ${tr.statusText}`);
  const body = JSON.parse(tr.body) as { token?: string; access_token?: string };
  return `Bearer ${body.token ?? body.access_token ?? ''}`;
}

function nextPage(res: Response, current: URL): URL | undefined {
  const m = /<([^>]+)>\s*;\s*rel="?next"?/.exec(String(res.headers.link ?? ''));
  return m ? new URL(m[1]!, current) : undefined;
}

/** The tags of `oci://host/path` (credentials matched by the caller). */
export async function listOciTags(repo: string, cred: HelmCredentialEntry | undefined): Promise<string[]> {
  const u = new URL(repo);
  const plain = cred?.plainHttp || isInsecureRegistryHost(u.host);
  const what = `listing tags of ${repo}`;
  let url: URL | undefined = new URL(
    `${plain ? 'http' : 'https'}://${u.host}/v2${u.pathname.replace(/\/+$/, '')}/tags/list`,
  );
  let auth: string | undefined;
  const tags: string[] = [];
  for (let page = 0; url && page < MAX_PAGES; page++) {
    let res: Response;
    try {
      res = await get(url, auth, cred);
      if (res.status === 401 && auth === undefined) {
        auth = await authorize(res, cred, what);
        if (auth) res = await get(url, auth, cred);
      }
    } catch (err) {
      if (err instanceof ToolError) throw err;
      throw new ToolError(`${what} failed: ${(err as Error).message}`, { cause: err });
    }
    if (res.status === 401)
      throw new ToolError(`${what} failed: 401 Unauthorized (${describeCredential(cred, repo)})`);
    if (res.status !== 200) throw new ToolError(`${what} failed: ${res.status} ${res.statusText}`);
    const body = JSON.parse(res.body) as { tags?: string[] | null };
    tags.push(...(body.tags ?? []));
    url = nextPage(res, url);
  }
  return tags;
}
