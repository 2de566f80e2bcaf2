/**
 * The web UI in a real headless Chromium (Debian's `chromium`, driven by playwright-core; no browser
 * download), against the real API server and a local runner reconciling what the UI asks: log in,
 * list and search, open a deployment, request a diff and read it, approve the pending hash and see it
 * deploy, suspend and resume, a viewer refused an action, and an OIDC login. Screenshots of the main pages are kept
 * in test-artifacts/webui/.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import type { BrowserContext, Page } from 'playwright-core';
import { eventually, kubectlJson } from '../support/test-env.js';
import { OIDC_USER, SECRET_V2, USERS, startWebuiScenario } from '../integration/webui-scenario.js';
import type { WebuiScenario } from '../integration/webui-scenario.js';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = join(process.cwd(), 'test-artifacts', 'webui');
/** Generous: the machine is shared, and a reconcile runs between some steps. */
const WAIT = 90_000;

let sc: WebuiScenario;
let profile: string;
let context: BrowserContext;
let page: Page;
/** Script errors of the page: any fails the last test. */
const pageErrors: string[] = [];

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium`);
  sc = await startWebuiScenario('webui-browser', { runner: true, oidc: true });
  profile = await mkdtemp(join(tmpdir(), 'ks-chromium-'));
  await mkdir(ARTIFACTS, { recursive: true });
  context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    viewport: { width: 1280, height: 900 },
  });
  page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(WAIT);
  page.on('pageerror', (e) => pageErrors.push(e.message));
}, 240_000);

afterAll(async () => {
  await context?.close();
  if (profile) await rm(profile, { recursive: true, force: true });
  await sc?.close();
}, 60_000);

async function logIn(user: readonly [string, string]): Promise<void> {
  await page.goto(`${sc.base}/`);
  await page.getByLabel('User').fill(user[0]);
  await page.getByLabel('Password').fill(user[1]);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByText(`${user[0]} (`).waitFor();
}

/** Clicks an action button and answers Yes in the confirmation dialog. */
async function confirmAction(name: string | RegExp): Promise<void> {
  await page.getByRole('button', { name, exact: typeof name === 'string' }).click();
  const dialog = page.getByRole('dialog');
  await dialog.waitFor();
  await dialog.getByRole('button', { name: 'Yes' }).click();
}

async function configMapValue(): Promise<string | undefined> {
  const cm = await kubectlJson<{ data?: { k?: string } }>(['get', 'configmap', 'cm', '-n', sc.ns]);
  return cm.data?.k;
}

describe('web UI in Chromium', () => {
  it('logs in, lists, searches and opens the deployment', async () => {
    await page.goto(`${sc.base}/`);
    await page.getByLabel('User').fill(USERS.admin[0]);
    await page.getByLabel('Password').fill('wrong');
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('alert').filter({ hasText: 'wrong user name or password' }).waitFor();

    await logIn(USERS.admin);
    const row = page.locator('tr[data-name="app"]');
    await row.waitFor();
    await expectText(row, 'pending');
    await page.screenshot({ path: join(ARTIFACTS, 'list.png'), fullPage: true });

    await page.getByLabel('Search').fill('no-such-deployment');
    await page.getByText('No deployment matches.').waitFor();
    await page.getByLabel('Search').fill('app');
    await page.getByLabel('Show').selectOption('approval');
    await row.waitFor();

    await row.getByRole('link', { name: 'app' }).click();
    await page.getByRole('heading', { name: `${sc.ns}/app` }).waitFor();
    await page.getByRole('heading', { name: 'Waiting for approval' }).waitFor();
  }, 180_000);

  it('requests a diff and shows it readably, the Secret obfuscated', async () => {
    await confirmAction('Diff');
    await page.getByRole('status').filter({ hasText: 'diff requested' }).waitFor();
    // The runner takes the request; the live list brings the page its result without a reload.
    const diffRow = page.locator('table.history tr', { has: page.locator('td', { hasText: /^diff$/ }) });
    await diffRow.first().waitFor();
    await diffRow.first().getByRole('button', { name: 'Show' }).click();
    await page.locator('pre.diff').first().waitFor();
    await expectText(page.locator('pre.diff .line.del').first(), '-v1');
    await expectText(page.locator('pre.diff .line.add').first(), '+v2');
    const body = await page.content();
    expect(body).toContain('*****');
    expect(body).not.toContain(SECRET_V2);
    await page.screenshot({ path: join(ARTIFACTS, 'diff.png'), fullPage: true });
  }, 180_000);

  it('approves the pending hash and sees it deploy', async () => {
    expect(await configMapValue()).toBe('v1');
    await confirmAction(/^Approve /);
    await eventually(async () => expect(await configMapValue()).toBe('v2'), {
      timeoutMs: WAIT,
      intervalMs: 500,
    });
    await page.getByRole('heading', { name: 'Waiting for approval' }).waitFor({ state: 'detached' });
    await page.screenshot({ path: join(ARTIFACTS, 'detail.png'), fullPage: true });
  }, 180_000);

  it('suspends and resumes', async () => {
    const badges = page.locator('p.badges');
    await confirmAction('Suspend');
    await expectText(badges, 'suspended');
    await confirmAction('Resume');
    await eventually(async () => expect(await badges.textContent()).not.toContain('suspended'), {
      timeoutMs: WAIT,
    });
  }, 180_000);

  it('refuses an action of a viewer', async () => {
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByLabel('User').waitFor();
    await logIn(USERS.viewer);
    await page.locator('tr[data-name="app"]').getByRole('link', { name: 'app' }).click();
    await confirmAction('Deploy');
    await page.getByRole('status').filter({ hasText: 'deploy refused' }).waitFor();
    await expectText(page.getByRole('status'), 'viewer');
    const kd = await kubectlJson<{ metadata: { annotations?: Record<string, string> } }>([
      'get',
      'kluctldeployment',
      'app',
      '-n',
      sc.ns,
    ]);
    expect(kd.metadata.annotations?.['kluctl.io/request-deploy']).toBeUndefined();
    expect(sc.log.some((l) => l.msg === 'web UI action refused' && l.fields?.user === USERS.viewer[0])).toBe(
      true,
    );
    expect(
      sc.log.some(
        (l) =>
          l.msg === 'web UI action' && l.fields?.user === USERS.admin[0] && l.fields.action === 'approve',
      ),
    ).toBe(true);
  }, 180_000);

  it('logs in with OIDC through the provider (code flow with PKCE)', async () => {
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByRole('link', { name: 'Log in with OIDC' }).click();
    await page.getByText(`${OIDC_USER.email} (admin)`).waitFor();
    await page.locator('tr[data-name="app"]').waitFor();
    expect(pageErrors).toEqual([]);
  }, 180_000);
});

/** Waits until the locator's text contains `text`. */
async function expectText(locator: ReturnType<Page['locator']>, text: string): Promise<void> {
  await eventually(async () => expect(await locator.textContent()).toContain(text), { timeoutMs: WAIT });
}
