/**
 * How each Git provider proves a webhook came from it, checked in constant time. GitHub, Gitea,
 * Bitbucket Server and our generic endpoint sign the raw body with HMAC-SHA256 (hex, with or without a
 * `sha256=` prefix); GitLab sends the secret itself as a token. Nothing here returns or logs a secret
 * or a signature: callers only learn the verdict.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { SignatureVerdict } from './protocol.js';

/** The providers with a webhook endpoint (`/webhook/<provider>`). */
export const WEBHOOK_PROVIDERS = ['github', 'gitlab', 'gitea', 'bitbucket', 'generic'] as const;

/** One of {@link WEBHOOK_PROVIDERS}. */
export type WebhookProvider = (typeof WEBHOOK_PROVIDERS)[number];

/** Whether `name` is a provider with an endpoint. */
export function isWebhookProvider(name: string): name is WebhookProvider {
  return (WEBHOOK_PROVIDERS as readonly string[]).includes(name);
}

/** The header carrying each provider's proof, and its form. */
export const SIGNATURE_HEADERS: Readonly<
  Record<
    WebhookProvider,
    { readonly header: string; readonly scheme: 'hmac' | 'token'; readonly prefix: string }
  >
> = {
  github: { header: 'x-hub-signature-256', scheme: 'hmac', prefix: 'sha256=' },
  gitea: { header: 'x-gitea-signature', scheme: 'hmac', prefix: '' },
  bitbucket: { header: 'x-hub-signature', scheme: 'hmac', prefix: 'sha256=' },
  generic: { header: 'x-ks-signature', scheme: 'hmac', prefix: 'sha256=' },
  gitlab: { header: 'x-gitlab-token', scheme: 'token', prefix: '' },
};

/** The signature header value a provider would send for `body` (for tests, benchmarks and clients). */
export function signWebhook(provider: WebhookProvider, secret: Uint8Array, body: Uint8Array): string {
  const h = SIGNATURE_HEADERS[provider];
  if (h.scheme === 'token') return Buffer.from(secret).toString('utf8');
  return `${h.prefix}${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/**
 * Checks the proof of a webhook request. `headerValue` is the provider's header (undefined when
 * absent). A value of the wrong form or length is `malformed`; a well-formed wrong one `mismatch`.
 */
export function verifyWebhook(
  provider: WebhookProvider,
  secret: Uint8Array,
  body: Uint8Array,
  headerValue: string | undefined,
): SignatureVerdict {
  if (headerValue === undefined || headerValue === '') return 'missing';
  const h = SIGNATURE_HEADERS[provider];
  if (h.scheme === 'token') return verifyToken(secret, headerValue);
  if (!headerValue.startsWith(h.prefix)) return 'malformed';
  const hex = headerValue.slice(h.prefix.length);
  // A truncated or padded value never reaches the comparison, which needs equal lengths.
  if (!/^[0-9a-fA-F]{64}$/.test(hex)) return 'malformed';
  const want = createHmac('sha256', secret).update(body).digest();
  return timingSafeEqual(Buffer.from(hex, 'hex'), want) ? 'ok' : 'mismatch';
}

/**
 * GitLab's token is compared through SHA-256 digests, so the time taken depends neither on where the
 * first difference is nor on the secret's length.
 */
function verifyToken(secret: Uint8Array, token: string): SignatureVerdict {
  const got = createHash('sha256').update(token, 'utf8').digest();
  const want = createHash('sha256').update(secret).digest();
  return timingSafeEqual(got, want) ? 'ok' : 'mismatch';
}
