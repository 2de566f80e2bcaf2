/**
 * The web UI function (functions/webui/) through its real handler with API Gateway v2 events, built by
 * its composition root against LocalStack S3 and Secrets Manager and the real API server: users and
 * the session key come from secrets, the list from the mirror that ingest wrote for a KluctlDeployment
 * on the test cluster, and a deploy request lands as Kluctl's annotation on that cluster through the
 * registered kubeconfig. Sessions are signed cookies, so a second function instance accepts them; a
 * viewer is refused; the page is told to poll, as the HTTP API cannot stream.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFile } from 'node:fs/promises';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { handleIngest } from '../../functions/ingest/handler.js';
import { buildWebuiFunction } from '../../functions/webui/compose.js';
import { handleWebuiEvent } from '../../functions/webui/handler.js';
import { HttpKubeClient } from '../../lib/adapters/http-kube-client.js';
import { createS3StateStore } from '../../lib/adapters/s3-factory.js';
import { createSecretsClusterRegistry } from '../../lib/adapters/secrets-cluster-registry.js';
import type { KluctlDeployment } from '../../lib/api/types.js';
import { silentLogger } from '../../lib/ports.js';
import type { IngestDeps } from '../../lib/serverless/ingest.js';
import { SHIM_HEADERS, signPush } from '../../lib/serverless/protocol.js';
import { MemoryReconcileQueue } from '../../lib/serverless/memory-queue.js';
import { hashPassword } from '../../lib/webui/users.js';
import type { Webui } from '../../lib/webui/webui-http.js';
import { createBucket, localAwsSettings, uniqueSuffix } from '../../devenv/aws-local.js';
import { apiGatewayEvent } from '../../devenv/lambda-events.js';
import { applyKluctlDeployment } from '../support/kluctl-deployment.js';
import { createTestNamespace, installCrds, kubectlJson, testEnv } from '../support/test-env.js';

const HOST = 'abc123.execute-api.eu-west-1.amazonaws.com';
const shimKey = Buffer.from('0123456789abcdef0123456789abcdef');
let env: Record<string, string>;
let webui: Webui;
let ns: string;
let clusterId: string;
const saved = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };

beforeAll(async () => {
  const aws = localAwsSettings(testEnv().s3.endpoint);
  await installCrds();
  ns = await createTestNamespace('webui-aws');
  const admin = await HttpKubeClient.fromKubeconfig({ kubeconfigPath: testEnv().kubeconfigPath });
  clusterId = await admin.clusterId();
  admin.close();
  const prefix = `ks-webui-${uniqueSuffix()}/clusters/`;
  const registry = createSecretsClusterRegistry({ prefix, ...aws });
  await registry.register({
    id: clusterId,
    kubeconfig: await readFile(testEnv().kubeconfigPath, 'utf8'),
    shimKey,
  });
  const users = {
    users: [
      { name: 'alice', role: 'admin', passwordHash: await hashPassword('alice-pw') },
      { name: 'victor', role: 'viewer', passwordHash: await hashPassword('victor-pw') },
    ],
  };
  const sm = new SecretsManagerClient(aws);
  const secret = async (name: string, value: string) =>
    (await sm.send(new CreateSecretCommand({ Name: `${name}-${uniqueSuffix()}`, SecretString: value }))).ARN!;
  const usersArn = await secret('ks-webui-users', JSON.stringify(users));
  const keyArn = await secret('ks-webui-key', 'k'.repeat(20) + uniqueSuffix() + 'x'.repeat(40));
  sm.destroy();
  // Credentials from the environment, as in Lambda.
  process.env.AWS_ACCESS_KEY_ID = aws.credentials.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = aws.credentials.secretAccessKey;
  const bucket = await createBucket(aws.endpoint, 'ks-webui');
  env = {
    STATE_BUCKET: bucket,
    S3_ENDPOINT: aws.endpoint,
    SECRETS_ENDPOINT: aws.endpoint,
    AWS_REGION: aws.region,
    CLUSTER_SECRET_PREFIX: prefix,
    WEBUI_USERS_SECRET_ARN: usersArn,
    WEBUI_SESSION_KEY_SECRET_ARN: keyArn,
  };
  // The deployment on the cluster, and its mirror written by the ingest handler from a signed push.
  const spec = {
    interval: '5m',
    source: { git: { url: 'https://git.example.com/team/app.git' } },
    target: 't1',
  };
  await applyKluctlDeployment(ns, 'app', spec);
  const kd = await kubectlJson<KluctlDeployment>(['get', 'kluctldeployment', 'app', '-n', ns]);
  const ingest: IngestDeps = {
    store: createS3StateStore({ bucket, ...aws }),
    queue: new MemoryReconcileQueue(),
    clusters: registry,
    clock: { now: () => new Date() },
    logger: silentLogger,
  };
  const body = JSON.stringify({
    clusterId,
    kind: 'upsert',
    objects: [{ metadata: kd.metadata, spec: kd.spec }],
  });
  const ts = Math.floor(Date.now() / 1000);
  const pushed = await handleIngest(
    apiGatewayEvent('/ingest', body, {
      [SHIM_HEADERS.cluster]: clusterId,
      [SHIM_HEADERS.timestamp]: String(ts),
      [SHIM_HEADERS.signature]: signPush(shimKey, clusterId, ts, body),
    }),
    ingest,
  );
  expect(pushed.statusCode).toBe(200);
  webui = await buildWebuiFunction(env);
}, 120_000);

afterAll(() => {
  process.env.AWS_ACCESS_KEY_ID = saved.id;
  process.env.AWS_SECRET_ACCESS_KEY = saved.secret;
});

interface Answer {
  readonly status: number;
  readonly body: Record<string, unknown>;
  readonly text: string;
  readonly cookies: readonly string[];
  readonly headers: Record<string, unknown>;
}

/** One request through the handler, as the HTTP API sends it (cookies apart, payload 2.0). */
async function call(
  method: string,
  path: string,
  opts: { cookie?: string; csrf?: string; body?: object; to?: Webui } = {},
): Promise<Answer> {
  const body = opts.body ? JSON.stringify(opts.body) : '';
  const base = apiGatewayEvent(path, body, {
    host: HOST,
    ...(method === 'POST' ? { origin: `https://${HOST}` } : {}),
    ...(opts.csrf ? { 'x-csrf-token': opts.csrf } : {}),
  });
  const event: APIGatewayProxyEventV2 = {
    ...base,
    routeKey: path === '/ui' ? 'ANY /ui' : 'ANY /ui/{proxy+}',
    requestContext: { ...base.requestContext, http: { ...base.requestContext.http, method } },
    ...(opts.cookie ? { cookies: [opts.cookie] } : {}),
    ...(body ? {} : { body: undefined }),
  };
  const res = (await handleWebuiEvent(event, opts.to ?? webui)) as APIGatewayProxyStructuredResultV2;
  const text = Buffer.from(res.body ?? '', res.isBase64Encoded ? 'base64' : 'utf8').toString('utf8');
  let parsed: Record<string, unknown> = {};
  try {
    parsed = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // Not JSON: the page or a script.
  }
  return {
    status: res.statusCode ?? 0,
    body: parsed,
    text,
    cookies: res.cookies ?? [],
    headers: res.headers ?? {},
  };
}

async function login(name: string, password: string): Promise<{ cookie: string; csrf: string }> {
  const res = await call('POST', '/ui/api/login', { body: { name, password } });
  expect(res.status).toBe(200);
  const set = res.cookies[0] ?? '';
  expect(set).toMatch(/HttpOnly/);
  expect(set).toMatch(/SameSite=Strict/);
  expect(set).toMatch(/Secure/);
  return { cookie: set.split(';')[0]!, csrf: res.body.csrfToken as string };
}

const actionPath = (action: string) => `/ui/api/deployments/${clusterId}/${ns}/app/actions/${action}`;

describe('web UI function', () => {
  it('serves the page and its libraries, and refuses the API without a session', async () => {
    const page = await call('GET', '/ui');
    expect(page.status).toBe(200);
    expect(page.text).toContain('/ui/app.js');
    expect((await call('GET', '/ui/vendor/preact.mjs')).status).toBe(200);
    expect((await call('GET', '/ui/api/deployments')).status).toBe(401);
    expect((await call('POST', '/ui/api/login', { body: { name: 'alice', password: 'wrong' } })).status).toBe(
      401,
    );
  });

  it('lists the deployment mirrored by ingest and tells the page to poll', async () => {
    const s = await login('alice', 'alice-pw');
    const res = await call('GET', '/ui/api/deployments', { cookie: s.cookie });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ stream: false, pollMs: 5000 });
    const rows = res.body.deployments as { clusterId: string; namespace: string; name: string }[];
    expect(rows).toContainEqual(expect.objectContaining({ clusterId, namespace: ns, name: 'app' }));
    expect((await call('GET', '/ui/api/events', { cookie: s.cookie })).status).toBe(404);
    const detail = await call('GET', `/ui/api/deployments/${clusterId}/${ns}/app`, { cookie: s.cookie });
    expect(detail.status).toBe(200);
  });

  it('sets the deploy request annotation on the cluster, with a session from another function instance', async () => {
    const s = await login('alice', 'alice-pw');
    // Another cold start: nothing shared but the secrets, as between Lambda instances.
    const other = await buildWebuiFunction(env);
    expect((await call('POST', actionPath('deploy'), { cookie: s.cookie, to: other })).status).toBe(403);
    const res = await call('POST', actionPath('deploy'), { cookie: s.cookie, csrf: s.csrf, to: other });
    expect(res.status).toBe(202);
    const requestValue = res.body.requestValue as string;
    expect(requestValue).toMatch(/^\d{4}-/);
    const kd = await kubectlJson<KluctlDeployment>([
      'get',
      'kluctldeployment',
      'app',
      '-n',
      ns,
      '--show-managed-fields',
    ]);
    // Kluctl's request annotation: JSON carrying the request value.
    const annotation = kd.metadata.annotations?.['kluctl.io/request-deploy'] ?? '{}';
    expect(JSON.parse(annotation)).toMatchObject({ requestValue });
    expect(kd.metadata.managedFields?.some((f) => f.manager === 'kluctl-webui')).toBe(true);
  });

  it('refuses a viewer any action, a forged cookie and a logged-out reader', async () => {
    const v = await login('victor', 'victor-pw');
    const refused = await call('POST', actionPath('suspend'), { cookie: v.cookie, csrf: v.csrf });
    expect(refused.status).toBe(403);
    expect(refused.body.message).toMatch(/viewer/);
    const kd = await kubectlJson<KluctlDeployment>(['get', 'kluctldeployment', 'app', '-n', ns]);
    expect(kd.spec.suspend).toBeFalsy();
    // A cookie with the role changed to admin but the viewer's signature.
    const [payload, sig] = v.cookie.split('=')[1]!.split('.');
    const forged = Buffer.from(
      JSON.stringify({ ...JSON.parse(Buffer.from(payload!, 'base64url').toString()), role: 'admin' }),
    ).toString('base64url');
    expect((await call('GET', '/ui/api/me', { cookie: `ks_session=${forged}.${sig}` })).status).toBe(401);
    expect((await call('GET', '/ui/api/me', { cookie: v.cookie })).body).toMatchObject({
      user: 'victor',
      role: 'viewer',
    });
  });
});
