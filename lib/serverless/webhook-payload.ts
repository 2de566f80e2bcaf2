/**
 * What a provider's webhook says, reduced to what the runtime needs: was it a ping, a push (which
 * repository, in which URL forms, which refs, and the default branch when the provider names it), or
 * another event we ignore. Field names follow each provider's documented push payload:
 * - GitHub `push` (header X-GitHub-Event): `ref`, `repository.clone_url|ssh_url|git_url|html_url`,
 *   `repository.default_branch`; `ping` answers the hook's creation. JSON or form-encoded `payload=`.
 * - Gitea `push` (X-Gitea-Event): the same fields as GitHub; tags arrive as pushes of `refs/tags/...`.
 * - GitLab `Push Hook` / `Tag Push Hook` (X-Gitlab-Event), or a `System Hook` whose `event_name` is
 *   `push`/`tag_push`: `ref`, `project.git_http_url|git_ssh_url|web_url`, `project.default_branch`, and
 *   the older `repository.git_http_url|git_ssh_url|homepage`.
 * - Bitbucket Server `repo:refs_changed` (X-Event-Key): `changes[].ref.id` (or `refId`) and
 *   `repository.links.clone[].href`; `diagnostics:ping` answers "Test connection".
 * - generic: `{"repository": "<clone URL>", "ref": "refs/heads/main", "defaultBranch"?: "main"}`.
 */
import type { WebhookProvider } from './webhook-signature.js';

/** The meaning of one webhook request. */
export type WebhookEvent =
  | { readonly kind: 'ping' }
  | { readonly kind: 'ignored'; readonly event: string }
  | { readonly kind: 'push'; readonly push: PushEvent }
  | { readonly kind: 'invalid'; readonly reason: string };

/** A push: the repository in every URL form the payload gives, the refs moved, the default branch. */
export interface PushEvent {
  readonly repoUrls: readonly string[];
  readonly refs: readonly string[];
  readonly defaultBranch?: string;
}

/** The header naming the event, per provider (generic has none: every request is a push). */
const EVENT_HEADERS: Readonly<Record<WebhookProvider, string | undefined>> = {
  github: 'x-github-event',
  gitea: 'x-gitea-event',
  gitlab: 'x-gitlab-event',
  bitbucket: 'x-event-key',
  generic: undefined,
};

/** Reads an authenticated request's event and payload. */
export function parseWebhookEvent(
  provider: WebhookProvider,
  headers: Readonly<Record<string, string | undefined>>,
  body: Uint8Array,
): WebhookEvent {
  const header = EVENT_HEADERS[provider];
  const event = header ? (headers[header] ?? '') : 'push';
  if (isPing(provider, event)) return { kind: 'ping' };
  if (!isPushEvent(provider, event)) return { kind: 'ignored', event: event || '(no event header)' };
  const payload = decodePayload(headers['content-type'], body);
  if (payload === undefined) return { kind: 'invalid', reason: 'the body is not a JSON object' };
  if (provider === 'gitlab' && event === 'System Hook') {
    const kind = str(payload.event_name) ?? str(payload.object_kind);
    if (kind !== 'push' && kind !== 'tag_push') return { kind: 'ignored', event: `System Hook ${kind}` };
  }
  const push = PUSH_READERS[provider](payload);
  if (push.repoUrls.length === 0) return { kind: 'invalid', reason: 'the payload names no repository URL' };
  if (push.refs.length === 0) return { kind: 'invalid', reason: 'the payload names no ref' };
  return { kind: 'push', push };
}

function isPing(provider: WebhookProvider, event: string): boolean {
  return (
    (provider === 'github' && event === 'ping') || (provider === 'bitbucket' && event === 'diagnostics:ping')
  );
}

function isPushEvent(provider: WebhookProvider, event: string): boolean {
  switch (provider) {
    case 'github':
    case 'gitea':
      return event === 'push';
    case 'gitlab':
      return event === 'Push Hook' || event === 'Tag Push Hook' || event === 'System Hook';
    case 'bitbucket':
      return event === 'repo:refs_changed';
    case 'generic':
      return true;
  }
}

type Json = Readonly<Record<string, unknown>>;

/** JSON, or GitHub's and Gitea's form encoding (`payload=<json>`); undefined unless an object. */
function decodePayload(contentType: string | undefined, body: Uint8Array): Json | undefined {
  let text = Buffer.from(body).toString('utf8');
  if (contentType?.toLowerCase().startsWith('application/x-www-form-urlencoded')) {
    text = new URLSearchParams(text).get('payload') ?? '';
  }
  try {
    const v: unknown = JSON.parse(text);
    return obj(v);
  } catch {
    return undefined;
  }
}

const PUSH_READERS: Readonly<Record<WebhookProvider, (p: Json) => PushEvent>> = {
  github: githubLike,
  gitea: githubLike,
  gitlab(p) {
    const project = obj(p.project);
    const repo = obj(p.repository);
    return push(
      [
        project?.git_http_url,
        project?.git_ssh_url,
        project?.web_url,
        repo?.git_http_url,
        repo?.git_ssh_url,
        repo?.homepage,
      ],
      [p.ref],
      project?.default_branch,
    );
  },
  bitbucket(p) {
    const links = obj(obj(p.repository)?.links);
    const clone = Array.isArray(links?.clone) ? links.clone : [];
    const changes = Array.isArray(p.changes) ? p.changes : [];
    return push(
      clone.map((c) => obj(c)?.href),
      changes.map((c) => str(obj(obj(c)?.ref)?.id) ?? obj(c)?.refId),
      undefined,
    );
  },
  generic: (p) => push([p.repository], [p.ref], p.defaultBranch),
};

function githubLike(p: Json): PushEvent {
  const repo = obj(p.repository);
  return push([repo?.clone_url, repo?.ssh_url, repo?.git_url, repo?.html_url], [p.ref], repo?.default_branch);
}

function push(urls: readonly unknown[], refs: readonly unknown[], defaultBranch: unknown): PushEvent {
  const strings = (xs: readonly unknown[]) => [...new Set(xs.map(str).filter((x) => x !== undefined))];
  const branch = str(defaultBranch);
  return { repoUrls: strings(urls), refs: strings(refs), ...(branch ? { defaultBranch: branch } : {}) };
}

function obj(v: unknown): Json | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : undefined;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}
