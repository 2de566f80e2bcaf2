/**
 * Webhook secrets: one shared by every provider, or one per provider. Both come as one text (a Secrets
 * Manager SecretString in AWS, `--webhook-secret-file` or `KLUCTL_SERVERLESS_WEBHOOK_SECRET` in the
 * runner): plain text is the shared secret; a JSON object maps provider names (and `default`) to
 * secrets, e.g. `{"github": "...", "gitlab": "...", "default": "..."}`. Errors name the field, never a
 * value.
 */
import { KsError } from '../errors.js';
import type { Clock } from '../ports.js';
import { WEBHOOK_PROVIDERS } from './webhook-signature.js';
import type { WebhookProvider } from './webhook-signature.js';

/** Where the webhook endpoint gets the secret of a provider. */
export interface WebhookSecrets {
  /** The secret for `provider`; undefined when none is configured (requests are then refused). */
  secretFor(provider: WebhookProvider): Promise<Uint8Array | undefined>;
}

/** Secrets per provider, parsed. */
export type WebhookSecretSet = Readonly<Partial<Record<WebhookProvider | 'default', Uint8Array>>>;

/**
 * Parses the secret text (see the file comment). One trailing newline is dropped, as files usually
 * end with one. `source` names where the text came from, for errors.
 */
export function parseWebhookSecrets(text: string, source: string): WebhookSecretSet {
  const trimmed = text.replace(/\r?\n$/, '');
  if (trimmed.trim() === '') {
    throw new KsError('InvalidInput', `the webhook secret from ${source} is empty; put the secret there`);
  }
  if (!trimmed.trimStart().startsWith('{')) return { default: Buffer.from(trimmed, 'utf8') };
  let parsed: unknown;
  try {
    parsed = JSON.parse(trimmed);
  } catch {
    throw new KsError(
      'InvalidInput',
      `the webhook secret from ${source} starts with '{' but is not valid JSON; give one secret as plain ` +
        'text or a JSON object of provider names to secrets',
    );
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new KsError('InvalidInput', `the webhook secret from ${source} must be a JSON object`);
  }
  const allowed = [...WEBHOOK_PROVIDERS, 'default'];
  const out: Partial<Record<WebhookProvider | 'default', Uint8Array>> = {};
  for (const [key, value] of Object.entries(parsed)) {
    if (!allowed.includes(key)) {
      throw new KsError(
        'InvalidInput',
        `unknown key '${key}' in the webhook secrets from ${source}; expected ${allowed.join(', ')}`,
      );
    }
    if (typeof value !== 'string' || value === '') {
      throw new KsError(
        'InvalidInput',
        `the webhook secret '${key}' from ${source} must be a non-empty string`,
      );
    }
    out[key as WebhookProvider | 'default'] = Buffer.from(value, 'utf8');
  }
  if (Object.keys(out).length === 0) {
    throw new KsError('InvalidInput', `the webhook secrets from ${source} name no provider`);
  }
  return out;
}

/** The secret of `provider` in a set: its own, else the shared `default`. */
export function secretOf(set: WebhookSecretSet, provider: WebhookProvider): Uint8Array | undefined {
  return set[provider] ?? set.default;
}

/** Secrets known up front (the runner's file or environment variable). */
export function staticWebhookSecrets(set: WebhookSecretSet): WebhookSecrets {
  return { secretFor: (provider) => Promise.resolve(secretOf(set, provider)) };
}

/** Options of {@link cachedWebhookSecrets}. */
export interface CachedSecretsOptions {
  /** How long a loaded secret text is used before it is read again (rotation); default 5 minutes. */
  readonly ttlMs?: number;
  readonly clock: Clock;
  /** Names the source in errors, e.g. the secret's ARN. */
  readonly source: string;
}

/**
 * Secrets loaded by `load` (e.g. from Secrets Manager) and kept for `ttlMs`, so a warm function does
 * not call the secret store per request. A failed load is not cached. `load` returning undefined means
 * no secret exists: every request is refused.
 */
export function cachedWebhookSecrets(
  load: () => Promise<string | undefined>,
  opts: CachedSecretsOptions,
): WebhookSecrets {
  const ttl = opts.ttlMs ?? 5 * 60_000;
  let cached: { set: WebhookSecretSet | undefined; at: number } | undefined;
  let pending: Promise<WebhookSecretSet | undefined> | undefined;
  const current = async (): Promise<WebhookSecretSet | undefined> => {
    const now = opts.clock.now().getTime();
    if (cached && now - cached.at < ttl) return cached.set;
    pending ??= load()
      .then((text) => {
        const set = text === undefined ? undefined : parseWebhookSecrets(text, opts.source);
        cached = { set, at: now };
        return set;
      })
      .finally(() => {
        pending = undefined;
      });
    return pending;
  };
  return {
    async secretFor(provider) {
      const set = await current();
      return set ? secretOf(set, provider) : undefined;
    },
  };
}
