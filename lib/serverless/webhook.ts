/**
 * The webhook endpoint's core (DESIGN.md §3), shared by the webhook function and the local runner's
 * HTTP server: refuse oversized bodies (413) before reading them as anything, authenticate the request
 * in constant time (401, nothing enqueued), answer pings, and for a push look up the deployments that
 * follow the pushed repository and ref in the repo index and enqueue one reconcile each (202 with the
 * count; an unknown repository is 202 with none). No Git access happens here, so the answer is quick;
 * the reconcile finds the new commit itself.
 */
import { errorMessage } from '../errors.js';
import type { Logger, StateStore } from '../ports.js';
import type { DeploymentId } from '../state/layout.js';
import type { ReconcileMessage, ReconcileQueue } from './protocol.js';
import { forgetProbedRefs } from './clone-cache.js';
import { deploymentsForPush } from './repo-index.js';
import { tryRepoKeyOf } from './repo-url.js';
import { parseWebhookEvent } from './webhook-payload.js';
import type { PushEvent } from './webhook-payload.js';
import type { WebhookSecrets } from './webhook-secrets.js';
import { SIGNATURE_HEADERS, isWebhookProvider, verifyWebhook } from './webhook-signature.js';
import type { WebhookProvider } from './webhook-signature.js';

/** Largest webhook body accepted by default (GitHub caps its payloads at 25 MB; pushes are far smaller). */
export const MAX_WEBHOOK_BYTES = 1024 * 1024;

/** One webhook request as the HTTP layer hands it over. */
export interface WebhookRequest {
  /** The `{provider}` path segment. */
  readonly provider: string;
  /** Request headers with lower-case names. */
  readonly headers: Readonly<Record<string, string | undefined>>;
  /** The raw body; signatures are over these exact bytes. */
  readonly body: Uint8Array;
}

/** The answer: an HTTP status and a small JSON body. */
export interface WebhookResponse {
  readonly status: number;
  readonly body: { readonly message: string; readonly enqueued?: number };
}

/** What the endpoint needs. */
export interface WebhookDeps {
  readonly secrets: WebhookSecrets;
  /** Holds the repo index (repo-index.ts). */
  readonly store: StateStore;
  readonly queue: ReconcileQueue;
  readonly logger: Logger;
  /** Body limit in bytes; default {@link MAX_WEBHOOK_BYTES}. */
  readonly maxBodyBytes?: number;
}

/** Handles one webhook request; never throws (failures of the store or queue answer 503). */
export async function handleWebhook(req: WebhookRequest, deps: WebhookDeps): Promise<WebhookResponse> {
  const { provider } = req;
  if (!isWebhookProvider(provider)) {
    return answer(
      404,
      `unknown webhook provider '${provider.slice(0, 40)}'; use github, gitlab, gitea, bitbucket or generic`,
    );
  }
  const log = deps.logger.child({ provider });
  const limit = deps.maxBodyBytes ?? MAX_WEBHOOK_BYTES;
  if (req.body.length > limit) {
    log.warn('webhook refused: body too large', { bytes: req.body.length, limit });
    return tooLargeAnswer(limit);
  }
  let secret: Uint8Array | undefined;
  try {
    secret = await deps.secrets.secretFor(provider);
  } catch (err) {
    log.error('webhook secret could not be loaded', { error: errorMessage(err) });
    return answer(503, 'the webhook secret could not be loaded; try again later');
  }
  if (!secret) {
    log.warn('webhook refused: no secret configured for this provider');
    return answer(401, `no webhook secret is configured for ${provider}`);
  }
  const header = SIGNATURE_HEADERS[provider].header;
  const verdict = verifyWebhook(provider, secret, req.body, req.headers[header]);
  if (verdict !== 'ok') {
    // The verdict only: never the header's value or the secret.
    log.warn('webhook refused: bad signature', { verdict, header });
    return answer(401, `${verdict} ${header}`);
  }
  const event = parseWebhookEvent(provider, req.headers, req.body);
  switch (event.kind) {
    case 'ping':
      return answer(200, 'pong');
    case 'ignored':
      log.info('webhook event ignored', { event: event.event });
      return answer(202, `event '${event.event.slice(0, 80)}' ignored; only pushes trigger reconciles`, 0);
    case 'invalid':
      log.warn('webhook refused: bad payload', { reason: event.reason });
      return answer(400, event.reason);
    case 'push':
      return enqueueFollowers(event.push, deps, log);
  }
}

async function enqueueFollowers(push: PushEvent, deps: WebhookDeps, log: Logger): Promise<WebhookResponse> {
  const repoKeys = [...new Set(push.repoUrls.map(tryRepoKeyOf).filter((k) => k !== undefined))];
  let found: DeploymentId[];
  try {
    const lists = await Promise.all(
      push.refs.map((ref) =>
        deploymentsForPush(deps.store, push.repoUrls, ref, {
          ...(push.defaultBranch ? { defaultBranch: push.defaultBranch } : {}),
        }),
      ),
    );
    found = dedupe(lists.flat());
  } catch (err) {
    log.error('webhook: repo index could not be read', { repoKeys, error: errorMessage(err) });
    return answer(503, 'the repository index could not be read; try again later');
  }
  if (found.length > 0) {
    const messages: ReconcileMessage[] = found.map((d) => ({ ...d, reason: 'webhook' }));
    try {
      // Before enqueuing: a ref probed shortly before the push would otherwise hide the new commit
      // from the very reconciles this push triggers.
      await Promise.all(repoKeys.map((k) => forgetProbedRefs(deps.store, k)));
      await deps.queue.enqueue(messages);
    } catch (err) {
      log.error('webhook: reconciles could not be enqueued', { repoKeys, error: errorMessage(err) });
      return answer(503, 'the reconciles could not be enqueued; try again later');
    }
  }
  log.info('webhook push', { repoKeys, refs: push.refs, enqueued: found.length });
  const what = found.length === 1 ? 'reconcile' : 'reconciles';
  return answer(
    202,
    found.length > 0
      ? `${found.length} ${what} enqueued`
      : `no deployment follows ${repoKeys.join(', ') || 'this repository'} at ${push.refs.join(', ')}`,
    found.length,
  );
}

/** The 413 answer, also given by HTTP layers that refuse a body before reading it. */
export function tooLargeAnswer(limit: number): WebhookResponse {
  return answer(413, `the body is larger than the limit of ${limit} bytes`);
}

function dedupe(ids: readonly DeploymentId[]): DeploymentId[] {
  const seen = new Map<string, DeploymentId>();
  for (const d of ids) seen.set(`${d.clusterId}/${d.namespace}/${d.name}`, d);
  return [...seen.values()];
}

function answer(status: number, message: string, enqueued?: number): WebhookResponse {
  return { status, body: { message, ...(enqueued !== undefined ? { enqueued } : {}) } };
}

export type { WebhookProvider };
