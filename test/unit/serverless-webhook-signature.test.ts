/**
 * Webhook authentication per provider (lib/serverless/webhook-signature.ts): a valid proof, a wrong
 * one, a missing one, a truncated one and one of the wrong length, for every provider. The expected
 * values are computed independently here (HMAC-SHA256 of the body, hex) from the providers' documented
 * header formats.
 */
import { createHmac } from 'node:crypto';
import type { SignatureVerdict } from '../../lib/serverless/protocol.js';
import { SIGNATURE_HEADERS, signWebhook, verifyWebhook } from '../../lib/serverless/webhook-signature.js';
import type { WebhookProvider } from '../../lib/serverless/webhook-signature.js';

const secret = Buffer.from('It\u2019s a Secret to Everybody');
const body = Buffer.from(
  '{"ref":"refs/heads/main","repository":{"clone_url":"https://example.com/o/r.git"}}',
);
const hex = createHmac('sha256', secret).update(body).digest('hex');
const otherHex = createHmac('sha256', 'another secret').update(body).digest('hex');

type Row = [string, WebhookProvider, string | undefined, SignatureVerdict];
const hmacRows = (provider: WebhookProvider, prefix: string): Row[] => [
  ['valid', provider, `${prefix}${hex}`, 'ok'],
  ['valid, upper-case hex', provider, `${prefix}${hex.toUpperCase()}`, 'ok'],
  ['wrong', provider, `${prefix}${otherHex}`, 'mismatch'],
  ['missing', provider, undefined, 'missing'],
  ['empty', provider, '', 'missing'],
  ['truncated', provider, `${prefix}${hex.slice(0, 63)}`, 'malformed'],
  ['wrong length (longer)', provider, `${prefix}${hex}00`, 'malformed'],
  ['wrong length (sha1-sized)', provider, `${prefix}${hex.slice(0, 40)}`, 'malformed'],
  ['not hex', provider, `${prefix}${'z'.repeat(64)}`, 'malformed'],
];

describe('verifyWebhook', () => {
  it.each<Row>([
    // GitHub: X-Hub-Signature-256: sha256=<hex>
    ...hmacRows('github', 'sha256='),
    ['github without the sha256= prefix', 'github', hex, 'malformed'],
    ['github with the sha1 scheme', 'github', `sha1=${hex}`, 'malformed'],
    // Gitea: X-Gitea-Signature: <hex>
    ...hmacRows('gitea', ''),
    ['gitea with a prefix', 'gitea', `sha256=${hex}`, 'malformed'],
    // Bitbucket Server: X-Hub-Signature: sha256=<hex>
    ...hmacRows('bitbucket', 'sha256='),
    // generic: X-KS-Signature: sha256=<hex>
    ...hmacRows('generic', 'sha256='),
    // GitLab: X-Gitlab-Token is the secret itself
    ['valid', 'gitlab', secret.toString('utf8'), 'ok'],
    ['wrong', 'gitlab', 'It\u2019s a Secret to Everybodz', 'mismatch'],
    ['missing', 'gitlab', undefined, 'missing'],
    ['truncated', 'gitlab', secret.toString('utf8').slice(0, -1), 'mismatch'],
    ['wrong length (longer)', 'gitlab', `${secret.toString('utf8')} `, 'mismatch'],
    ['an HMAC instead of the token', 'gitlab', `sha256=${hex}`, 'mismatch'],
  ])('%s (%s)', (_name, provider, header, want) => {
    expect(verifyWebhook(provider, secret, body, header)).toBe(want);
  });

  it('rejects a valid signature of another body', () => {
    const other = Buffer.from(`${body.toString()} `);
    expect(verifyWebhook('github', secret, other, `sha256=${hex}`)).toBe('mismatch');
  });

  it.each<WebhookProvider>(['github', 'gitlab', 'gitea', 'bitbucket', 'generic'])(
    'signWebhook makes what %s sends, in its header',
    (provider) => {
      const value = signWebhook(provider, secret, body);
      expect(verifyWebhook(provider, secret, body, value)).toBe('ok');
      expect(SIGNATURE_HEADERS[provider].header).toMatch(/^x-[a-z0-9-]+$/);
    },
  );
});
