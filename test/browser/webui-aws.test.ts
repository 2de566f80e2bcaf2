/**
 * The web UI as the AWS stack serves it, in a real headless Chromium: the real functions/webui handler
 * behind the local API Gateway v2 server (`ANY /ui`, `ANY /ui/{proxy+}`; cookies, lower-cased headers
 * and base64 bodies as payload 2.0 passes them), built by its composition root from LocalStack S3 and
 * Secrets Manager, next to the rest of the serverless stack (shim → ingest mirrors → reconcile function).
 * Sessions are signed cookies and the page polls, as the HTTP API cannot stream: a change made outside
 * the browser and an action taken in it both show in the list after the next poll, without a reload.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { join } from 'node:path';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Page } from 'playwright-core';
import { buildWebuiFunction } from '../../functions/webui/compose.js';
import { handleWebuiEvent } from '../../functions/webui/handler.js';
import { hashPassword } from '../../lib/webui/users.js';
import { startLocalHttpApi } from '../../devenv/api-gateway-server.js';
import type { LocalHttpApi } from '../../devenv/api-gateway-server.js';
import { localAwsSettings, uniqueSuffix } from '../../devenv/aws-local.js';
import { createRepo } from '../../devenv/git-repo.js';
import type { TestRepo } from '../../devenv/git-repo.js';
import { startGitServer } from '../../devenv/git-server.js';
import type { GitServer } from '../../devenv/git-server.js';
import { fixtureFiles } from '../support/fixtures.js';
import {
  applyKluctlDeployment,
  getKluctlDeployment,
  patchKluctlDeploymentSpec,
  readyCondition,
} from '../support/kluctl-deployment.js';
import { startServerlessStack } from '../support/serverless-stack.js';
import type { ServerlessStack } from '../support/serverless-stack.js';
import { createTestNamespace, eventually, testEnv } from '../support/test-env.js';
import { ARTIFACTS, WAIT, confirmAction, expectText, launchChromium, logIn } from './chromium.js';
import type { Browser } from './chromium.js';

const ADMIN = ['alice', 'alice-pw'] as const;
/** The function's poll interval (functions/webui/compose.ts) plus a reconcile's worth of slack. */
const AFTER_POLL = 5000 + 20_000;

let git: GitServer;
let repo: TestRepo;
let ns: string;
let stack: ServerlessStack;
let ui: LocalHttpApi;
let browser: Browser;
let page: Page;
/** Requests of the page for the deployment list (the polls). */
let listRequests = 0;

beforeAll(async () => {
  git = await startGitServer();
  repo = await createRepo(git, 'webui-aws-project', await fixtureFiles('skeleton'));
  ns = await createTestNamespace('webui-aws-browser');
  stack = await startServerlessStack({ namespaces: [ns] });
  const aws = localAwsSettings(testEnv().s3.endpoint);
  const sm = new SecretsManagerClient(aws);
  const secret = async (name: string, value: string) =>
    (await sm.send(new CreateSecretCommand({ Name: `${name}-${uniqueSuffix()}`, SecretString: value }))).ARN!;
  const users = { users: [{ name: ADMIN[0], role: 'admin', passwordHash: await hashPassword(ADMIN[1]) }] };
  const env = {
    ...stack.env,
    WEBUI_USERS_SECRET_ARN: await secret('ks-webui-users', JSON.stringify(users)),
    WEBUI_SESSION_KEY_SECRET_ARN: await secret('ks-webui-key', `${'k'.repeat(40)}${uniqueSuffix()}`),
    // Plain HTTP on loopback here; the HTTP API is HTTPS only.
    WEBUI_INSECURE_COOKIES: 'true',
  };
  sm.destroy();
  const webui = await buildWebuiFunction(env);
  ui = await startLocalHttpApi([
    { method: 'ANY', path: '/ui', handler: (e) => handleWebuiEvent(e, webui) },
    { method: 'ANY', path: '/ui/{proxy+}', handler: (e) => handleWebuiEvent(e, webui) },
  ]);
  await applyKluctlDeployment(ns, 'app', {
    interval: '5m',
    timeout: '2m',
    source: { git: { url: repo.url, ref: { branch: 'main' } } },
    target: 'dev',
    args: { namespace: ns },
  });
  // Through the shim, ingest, the queue and the reconcile function.
  await eventually(
    async () => expect(readyCondition(await getKluctlDeployment(ns, 'app'))?.status).toBe('True'),
    { timeoutMs: WAIT, intervalMs: 500 },
  );
  browser = await launchChromium();
  page = browser.page;
  page.on('request', (r) => {
    if (new URL(r.url()).pathname === '/ui/api/deployments') listRequests++;
  });
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await ui?.close();
  await stack?.stop();
  await git?.stop();
  await repo?.cleanup();
}, 60_000);

/** Marks the document: a reload or navigation loses the mark. */
async function markDocument(): Promise<void> {
  await page.evaluate(() => ((globalThis as unknown as { ksMark: number }).ksMark = 1));
}

async function documentMarked(): Promise<boolean> {
  return page.evaluate(() => (globalThis as unknown as { ksMark?: number }).ksMark === 1);
}

describe('web UI function in Chromium, through the local HTTP API', () => {
  it('logs in with a signed session cookie and lists the deployment that ingest mirrored', async () => {
    await logIn(page, `${ui.url}/ui/`, ADMIN);
    const cookies = await browser.context.cookies(ui.url);
    const session = cookies.find((c) => c.name === 'ks_session');
    expect(session).toMatchObject({ httpOnly: true, sameSite: 'Strict' });
    // Signed: `<payload>.<HMAC>`, the user inside.
    expect(Buffer.from(session!.value.split('.')[0]!, 'base64url').toString()).toContain(ADMIN[0]);
    const row = page.locator('tr[data-name="app"]');
    await expectText(row, 'Ready');
    await expectText(page.locator('.live'), 'live');
    await page.screenshot({ path: join(ARTIFACTS, 'aws-list.png'), fullPage: true });
  }, 120_000);

  it('shows a change made outside the browser after the next poll, without a reload', async () => {
    const row = page.locator('tr[data-name="app"]');
    await markDocument();
    const before = listRequests;
    // As `gitops suspend` would: the shim pushes the change, ingest updates the mirror.
    await patchKluctlDeploymentSpec(ns, 'app', { suspend: true });
    await eventually(async () => expect(await row.textContent()).toContain('suspended'), {
      timeoutMs: AFTER_POLL,
      intervalMs: 250,
    });
    expect(await documentMarked()).toBe(true);
    expect(listRequests).toBeGreaterThan(before);
  }, 120_000);

  it('resumes from the detail page; the list shows it after the next poll, without a reload', async () => {
    await page.locator('tr[data-name="app"]').getByRole('link', { name: 'app' }).click();
    await page.getByRole('heading', { name: `${ns}/app` }).waitFor();
    await markDocument();
    await confirmAction(page, 'Resume');
    await page.getByRole('status').filter({ hasText: 'resume requested' }).waitFor();
    await eventually(async () => expect((await getKluctlDeployment(ns, 'app')).spec.suspend).toBeFalsy(), {
      timeoutMs: WAIT,
    });
    await page.getByRole('link', { name: '← All deployments' }).click();
    const row = page.locator('tr[data-name="app"]');
    await eventually(async () => expect(await row.textContent()).not.toContain('suspended'), {
      timeoutMs: AFTER_POLL,
      intervalMs: 250,
    });
    expect(await documentMarked()).toBe(true);
    expect(browser.errors).toEqual([]);
  }, 120_000);
});
