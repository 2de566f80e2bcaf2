/** Webhook secret texts: one shared secret or one per provider (lib/serverless/webhook-secrets.ts). */
import { cachedWebhookSecrets, parseWebhookSecrets, secretOf } from '../../lib/serverless/webhook-secrets.js';

const text = (b: Uint8Array | undefined) => (b ? Buffer.from(b).toString('utf8') : undefined);

describe('parseWebhookSecrets', () => {
  it('takes plain text as the secret of every provider, without the final newline of a file', () => {
    const set = parseWebhookSecrets('s3cr3t\n', 'file x');
    expect(text(secretOf(set, 'github'))).toBe('s3cr3t');
    expect(text(secretOf(set, 'gitlab'))).toBe('s3cr3t');
  });

  it('keeps inner and leading whitespace (it may be part of the secret)', () => {
    expect(text(secretOf(parseWebhookSecrets(' a b\n\n', 'x'), 'gitea'))).toBe(' a b\n');
  });

  it('maps providers to their own secrets, with default for the rest', () => {
    const set = parseWebhookSecrets('{"github": "gh", "default": "d"}', 'x');
    expect(text(secretOf(set, 'github'))).toBe('gh');
    expect(text(secretOf(set, 'bitbucket'))).toBe('d');
    expect(secretOf(parseWebhookSecrets('{"gitlab": "gl"}', 'x'), 'github')).toBeUndefined();
  });

  it.each([
    ['', 'the webhook secret from S is empty'],
    ['\n', 'the webhook secret from S is empty'],
    ['{"github": ', "starts with '{' but is not valid JSON"],
    ['{"gihub": "x"}', "unknown key 'gihub' in the webhook secrets from S; expected github, gitlab"],
    ['{"github": 5}', "the webhook secret 'github' from S must be a non-empty string"],
    ['{"github": ""}', "the webhook secret 'github' from S must be a non-empty string"],
    ['{}', 'the webhook secrets from S name no provider'],
  ])('refuses %j', (input, message) => {
    expect(() => parseWebhookSecrets(input, 'S')).toThrow(message);
  });

  it('never puts a secret value into an error', () => {
    expect(() => parseWebhookSecrets('{"github": 5, "gitlab": "TOPSECRET", "x": "y"}', 'S')).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining('TOPSECRET') }),
    );
  });
});

describe('cachedWebhookSecrets', () => {
  it('loads once per TTL, and again after it (rotation); failures are not cached', async () => {
    let now = 0;
    const values = ['one', 'two'];
    let loads = 0;
    let fail = false;
    const secrets = cachedWebhookSecrets(
      () => {
        loads++;
        if (fail) return Promise.reject(new Error('throttled'));
        return Promise.resolve(values[Math.min(loads - 1, 1)]);
      },
      { ttlMs: 1000, clock: { now: () => new Date(now) }, source: 'arn:x' },
    );
    const [a, b] = await Promise.all([secrets.secretFor('github'), secrets.secretFor('gitlab')]);
    expect([text(a), text(b), loads]).toEqual(['one', 'one', 1]);
    now = 999;
    expect(text(await secrets.secretFor('github'))).toBe('one');
    now = 1000;
    fail = true;
    await expect(secrets.secretFor('github')).rejects.toThrow('throttled');
    fail = false;
    expect(text(await secrets.secretFor('github'))).toBe('two');
  });

  it('answers undefined when the secret does not exist', async () => {
    const secrets = cachedWebhookSecrets(() => Promise.resolve(undefined), {
      clock: { now: () => new Date(0) },
      source: 'arn:x',
    });
    expect(await secrets.secretFor('github')).toBeUndefined();
  });
});
