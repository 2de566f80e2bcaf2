/**
 * The web UI in a real headless Chromium (Debian's `chromium`, driven by playwright-core; no browser
 * download), against the real API server and a local runner reconciling what the UI asks: log in,
 * list and search, open a deployment, request a diff and read it, approve the pending hash and see it
 * deploy, suspend and resume, a viewer refused an action, and an OIDC login. Screenshots of the main pages are kept
 * in test-artifacts/webui/.
 */
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { eventually, kubectlJson } from '../support/test-env.js';
import { OIDC_USER, SECRET_V2, USERS, startWebuiScenario } from '../integration/webui-scenario.js';
import type { WebuiScenario } from '../integration/webui-scenario.js';
import {
  ARTIFACTS,
  WAIT,
  confirmAction as confirm,
  expectText,
  launchChromium,
  logIn as logInAt,
} from './chromium.js';
import type { Browser } from './chromium.js';

let sc: WebuiScenario;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  sc = await startWebuiScenario('webui-browser', { runner: true, oidc: true });
  browser = await launchChromium();
  page = browser.page;
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await sc?.close();
}, 60_000);

const logIn = (user: readonly [string, string]) => logInAt(page, `${sc.base}/`, user);
const confirmAction = (name: string | RegExp) => confirm(page, name);

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
    expect(browser.errors).toEqual([]);
  }, 180_000);
});
