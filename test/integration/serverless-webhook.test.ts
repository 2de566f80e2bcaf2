/**
 * The webhook function against LocalStack S3, SQS FIFO and Secrets Manager, invoked through its real
 * handler with API Gateway v2 events and dependencies built by its composition root: each provider's
 * push enqueues one reconcile per following deployment (its FIFO group), and refused requests (bad or
 * missing signature, oversized body, unknown repository) enqueue nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { buildWebhookDeps } from '../../functions/webhook/compose.js';
import { handleWebhookEvent } from '../../functions/webhook/handler.js';
import type { KluctlDeploymentSpec } from '../../lib/api/types.js';
import type { StateStore } from '../../lib/ports.js';
import { indexMirror } from '../../lib/serverless/repo-index.js';
import type { WebhookDeps } from '../../lib/serverless/webhook.js';
import { signWebhook } from '../../lib/serverless/webhook-signature.js';
import type { WebhookProvider } from '../../lib/serverless/webhook-signature.js';
import {
  createBucket,
  createFifoQueue,
  drainQueue,
  localAwsSettings,
  localSqs,
  uniqueSuffix,
} from '../../devenv/aws-local.js';
import { apiGatewayEvent } from '../../devenv/lambda-events.js';
import { testEnv } from '../support/test-env.js';

const secrets = { github: 'gh-secret', gitlab: 'gl-token', default: 'shared-secret' };
const repo = 'https://git.example.com/team/app.git';
let sqs: SQSClient;
let queueUrl: string;
let deps: WebhookDeps;
let store: StateStore;
let savedEnv: Record<string, string | undefined> = {};

beforeAll(async () => {
  const settings = localAwsSettings(testEnv().s3.endpoint);
  const bucket = await createBucket(settings.endpoint, 'ks-webhook');
  sqs = localSqs(settings.endpoint);
  queueUrl = await createFifoQueue(sqs, 'ks-webhook');
  const sm = new SecretsManagerClient(settings);
  const name = `ks-webhook-${uniqueSuffix()}`;
  const created = await sm.send(
    new CreateSecretCommand({ Name: name, SecretString: JSON.stringify(secrets) }),
  );
  sm.destroy();
  // The composition root as the function builds it, pointed at LocalStack (credentials from the env,
  // as in Lambda; restored afterwards).
  savedEnv = {
    AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID,
    AWS_SECRET_ACCESS_KEY: process.env.AWS_SECRET_ACCESS_KEY,
  };
  process.env.AWS_ACCESS_KEY_ID = settings.credentials.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = settings.credentials.secretAccessKey;
  deps = buildWebhookDeps({
    STATE_BUCKET: bucket,
    S3_ENDPOINT: settings.endpoint,
    QUEUE_URL: queueUrl,
    SQS_ENDPOINT: settings.endpoint,
    SECRETS_ENDPOINT: settings.endpoint,
    AWS_REGION: settings.region,
    WEBHOOK_SECRET_ARN: created.ARN!,
  });
  store = deps.store;
  const spec = (ref: KluctlDeploymentSpec['source']): KluctlDeploymentSpec => ({
    interval: '5m',
    source: ref,
  });
  const mirror = (name: string, source: KluctlDeploymentSpec['source']) => ({
    metadata: { name, namespace: 'apps' },
    spec: spec(source),
  });
  // As ingest's onMirrorChanged would index them: two clusters follow main, one a tag, one another repo.
  await indexMirror(store, mirror('a', { git: { url: repo, ref: { branch: 'main' } } }), id('c1', 'a'));
  await indexMirror(store, mirror('b', { git: { url: 'git@git.example.com:team/app' } }), id('c2', 'b'));
  await indexMirror(store, mirror('t', { git: { url: repo, ref: { tag: 'v1' } } }), id('c1', 't'));
  await indexMirror(
    store,
    mirror('o', { git: { url: 'https://git.example.com/team/other' } }),
    id('c1', 'o'),
  );
});

afterAll(() => {
  sqs?.destroy();
  for (const [k, v] of Object.entries(savedEnv)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
});

function id(clusterId: string, name: string) {
  return { clusterId, namespace: 'apps', name };
}

/** The reconcile messages now in the queue, with their FIFO group. */
async function enqueued() {
  return (await drainQueue(sqs, queueUrl))
    .map((m) => ({ group: m.Attributes?.MessageGroupId, body: JSON.parse(m.Body!) as unknown }))
    .sort((x, y) => String(x.group).localeCompare(String(y.group)));
}

const msg = (clusterId: string, name: string) => ({
  group: `${clusterId}/apps/${name}`,
  body: { clusterId, namespace: 'apps', name, reason: 'webhook' },
});

function event(provider: string, body: string, headers: Record<string, string>): APIGatewayProxyEventV2 {
  const e = apiGatewayEvent(`/webhook/${provider}`, body, headers);
  return { ...e, routeKey: 'POST /webhook/{provider}', pathParameters: { provider } };
}

async function call(provider: string, body: string, headers: Record<string, string>) {
  const t0 = performance.now();
  const res = await handleWebhookEvent(event(provider, body, headers), deps);
  return {
    status: res.statusCode,
    body: JSON.parse(res.body as string) as unknown,
    ms: performance.now() - t0,
  };
}

const sign = (p: WebhookProvider, secret: string, body: string) =>
  signWebhook(p, Buffer.from(secret), Buffer.from(body));

/** A push of `ref` to the test repository as each provider words it, with its proof. */
const pushes: [WebhookProvider, (ref: string) => { body: string; headers: Record<string, string> }][] = [
  [
    'github',
    (ref) => {
      const body = JSON.stringify({
        ref,
        repository: { clone_url: repo, ssh_url: 'git@git.example.com:team/app.git' },
      });
      return {
        body,
        headers: { 'x-github-event': 'push', 'x-hub-signature-256': sign('github', secrets.github, body) },
      };
    },
  ],
  [
    'gitlab',
    (ref) => {
      const body = JSON.stringify({
        object_kind: 'push',
        ref,
        project: { git_http_url: repo, default_branch: 'main' },
      });
      const kind = ref.startsWith('refs/tags/') ? 'Tag Push Hook' : 'Push Hook';
      return { body, headers: { 'x-gitlab-event': kind, 'x-gitlab-token': secrets.gitlab } };
    },
  ],
  [
    'gitea',
    (ref) => {
      const body = JSON.stringify({ ref, repository: { clone_url: repo, default_branch: 'main' } });
      return {
        body,
        headers: { 'x-gitea-event': 'push', 'x-gitea-signature': sign('gitea', secrets.default, body) },
      };
    },
  ],
  [
    'bitbucket',
    (ref) => {
      const body = JSON.stringify({
        eventKey: 'repo:refs_changed',
        repository: { links: { clone: [{ href: repo, name: 'http' }] } },
        changes: [{ ref: { id: ref }, type: 'UPDATE' }],
      });
      return {
        body,
        headers: {
          'x-event-key': 'repo:refs_changed',
          'x-hub-signature': sign('bitbucket', secrets.default, body),
        },
      };
    },
  ],
  [
    'generic',
    (ref) => {
      const body = JSON.stringify({ repository: 'ssh://git@git.example.com/team/app.git', ref });
      return { body, headers: { 'x-ks-signature': sign('generic', secrets.default, body) } };
    },
  ],
];

describe.each(pushes)('%s', (provider, make) => {
  it('enqueues one reconcile per deployment following the pushed branch, in its own FIFO group', async () => {
    const { body, headers } = make('refs/heads/main');
    const res = await call(provider, body, headers);
    expect([res.status, res.body]).toEqual([202, { message: '2 reconciles enqueued', enqueued: 2 }]);
    expect(await enqueued()).toEqual([msg('c1', 'a'), msg('c2', 'b')]);
  });

  it('enqueues the tag follower for a tag push', async () => {
    const { body, headers } = make('refs/tags/v1');
    expect((await call(provider, body, headers)).status).toBe(202);
    expect(await enqueued()).toEqual([msg('c1', 't')]);
  });

  it('refuses a wrong or missing proof with 401 and enqueues nothing', async () => {
    const { body, headers } = make('refs/heads/main');
    const [header] = Object.keys(headers).filter((h) => /signature|token/.test(h));
    const wrong = { ...headers, [header!]: provider === 'gitlab' ? 'wrong' : sign(provider, 'wrong', body) };
    expect((await call(provider, body, wrong)).status).toBe(401);
    const { [header!]: _missing, ...without } = headers;
    expect((await call(provider, body, without)).status).toBe(401);
    // A valid proof of another body.
    expect((await call(provider, `${body} `, headers)).status).toBe(provider === 'gitlab' ? 202 : 401);
    const left = await enqueued();
    expect(left).toEqual(provider === 'gitlab' ? [msg('c1', 'a'), msg('c2', 'b')] : []);
  });
});

describe('requests that enqueue nothing', () => {
  it('answers a push of an unknown repository with 202 and no message', async () => {
    const body = JSON.stringify({
      ref: 'refs/heads/main',
      repository: { clone_url: 'https://git.example.com/x/y.git' },
    });
    const res = await call('github', body, {
      'x-github-event': 'push',
      'x-hub-signature-256': sign('github', secrets.github, body),
    });
    expect([res.status, res.body]).toEqual([
      202,
      { message: 'no deployment follows git.example.com/x/y at refs/heads/main', enqueued: 0 },
    ]);
    expect(await enqueued()).toEqual([]);
  });

  it('refuses an oversized body with 413 before reading it, base64 or not', async () => {
    const big = 'x'.repeat(1024 * 1024 + 1);
    const headers = { 'x-github-event': 'push', 'x-hub-signature-256': sign('github', secrets.github, big) };
    expect((await call('github', big, headers)).status).toBe(413);
    const b64 = { ...event('github', Buffer.from(big).toString('base64'), headers), isBase64Encoded: true };
    expect((await handleWebhookEvent(b64, deps)).statusCode).toBe(413);
    expect(await enqueued()).toEqual([]);
  });

  it('answers a GitHub ping and ignores other events', async () => {
    const ping = JSON.stringify({ zen: 'Design for failure.', hook_id: 1 });
    const res = await call('github', ping, {
      'x-github-event': 'ping',
      'x-hub-signature-256': sign('github', secrets.github, ping),
    });
    expect([res.status, res.body]).toEqual([200, { message: 'pong' }]);
    const pr = JSON.stringify({ action: 'opened' });
    const ignored = await call('github', pr, {
      'x-github-event': 'pull_request',
      'x-hub-signature-256': sign('github', secrets.github, pr),
    });
    expect(ignored.status).toBe(202);
    expect(await enqueued()).toEqual([]);
  });

  it('answers 404 for an unknown provider', async () => {
    expect((await call('svn', '{}', {})).status).toBe(404);
  });
});

it('answers well within a second when warm (no Git access)', async () => {
  const { body, headers } = pushes[0]![1]('refs/heads/main');
  const times: number[] = [];
  for (let i = 0; i < 5; i++) times.push((await call('github', body, headers)).ms);
  await enqueued();
  expect(Math.max(...times)).toBeLessThan(1000);
});
