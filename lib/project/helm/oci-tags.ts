/**
 * Lists the tags of an OCI chart repository through the registry API (`/v2/<name>/tags/list`), with
 * the anonymous or basic-auth token flow registries use. Needed by `helm-update` only; helm itself has
 * no command for it.
 */
import { ToolError } from '../../errors.js';
import type { HelmCredentialEntry } from './helm-credentials.js';

function challenge(header: string | null): { scheme: string; params: Record<string, string> } | undefined {
  if (!header) return undefined;
  const [scheme, ...rest] = header.split(' ');
  const params: Record<string, string> = {};
  for (const m of rest.join(' ').matchAll(/(\w+)="([^"]*)"/g)) params[m[1]!] = m[2]!;
  return { scheme: (scheme ?? '').toLowerCase(), params };
}

function basic(c: HelmCredentialEntry | undefined): string | undefined {
  if (c?.username === undefined || c.password === undefined) return undefined;
  return `Basic ${Buffer.from(`${c.username}:${c.password}`).toString('base64')}`;
}

/** The tags of `oci://host/path` (credentials matched by the caller). */
export async function listOciTags(repo: string, cred: HelmCredentialEntry | undefined): Promise<string[]> {
  const u = new URL(repo);
  const base = `${cred?.plainHttp ? 'http' : 'https'}://${u.host}`;
  const url = `${base}/v2${u.pathname.replace(/\/+$/, '')}/tags/list`;
  let res = await fetch(url);
  if (res.status === 401) {
    const ch = challenge(res.headers.get('www-authenticate'));
    let auth: string | undefined;
    if (ch?.scheme === 'bearer' && ch.params.realm) {
      const t = new URL(ch.params.realm);
      if (ch.params.service) t.searchParams.set('service', ch.params.service);
      if (ch.params.scope) t.searchParams.set('scope', ch.params.scope);
      const b = basic(cred);
      const tr = await fetch(t, b ? { headers: { authorization: b } } : {});
      if (!tr.ok) throw new ToolError(`listing tags of ${repo} failed: token request returned ${tr.status}`);
      const body = (await tr.json()) as { token?: string; access_token?: string };
      auth = `Bearer ${body.token ?? body.access_token ?? ''}`;
    } else auth = basic(cred);
    if (auth) res = await fetch(url, { headers: { authorization: auth } });
  }
  if (!res.ok) throw new ToolError(`listing tags of ${repo} failed: ${res.status} ${res.statusText}`);
  const body = (await res.json()) as { tags?: string[] | null };
  return body.tags ?? [];
}
