/**
 * The web UI in a real headless Chromium (Debian's `chromium`, driven by playwright-core; no browser
 * download), against the real API server and a local runner reconciling what the UI asks: log in,
 * list and search, open a deployment, request a diff and read it, approve the pending hash and see it
 * deploy, suspend and resume, a viewer refused an action, and an OIDC login. Screenshots of the main pages are kept
 * in test-artifacts/webui/.
 */
import { join } from 'node:path';
import { eventually, kubectlJson } from '../support/test-env.js';
import { OIDC_USER, SECRET_V2, USERS } from '../integration/webui-scenario.js';
import {
  ARTIFACTS,
  WAIT,
  confirmAction as confirm,
  expectText,
  logIn as logInAt,
  webuiScenarioInChromium,
} from './chromium.js';

const ui = webuiScenarioInChromium('webui-browser');

const logIn = (user: readonly [string, string]) => logInAt(ui.page, `${ui.sc.base}/`, user);
const confirmAction = (name: string | RegExp) => confirm(ui.page, name);

async function configMapValue(): Promise<string | undefined> {
  const cm = await kubectlJson<{ data?: { k?: string } }>(['get', 'configmap', 'cm', '-n', ui.sc.ns]);
  return cm.data?.k;
}

describe('web UI in Chromium', () => {
  it('logs in, lists, searches and opens the deployment', async () => {
    await ui.page.goto(`${ui.sc.base}/`);
    await ui.page.getByLabel('User').fill(USERS.admin[0]);
    await ui.page.getByLabel('Password').fill('wrong');
    await ui.page.getByRole('button', { name: 'Log in' }).click();
    await ui.page.getByRole('alert').filter({ hasText: 'wrong user name or password' }).waitFor();

    await logIn(USERS.admin);
    const row = ui.page.locator('tr[data-name="app"]');
    await row.waitFor();
    await expectText(row, 'pending');
    await ui.page.screenshot({ path: join(ARTIFACTS, 'list.png'), fullPage: true });

    await ui.page.getByLabel('Search').fill('no-such-deployment');
    await ui.page.getByText('No deployment matches.').waitFor();
    await ui.page.getByLabel('Search').fill('app');
    await ui.page.getByLabel('Show').selectOption('approval');
    await row.waitFor();

    await row.getByRole('link', { name: 'app' }).click();
    await ui.page.getByRole('heading', { name: `${ui.sc.ns}/app` }).waitFor();
    await ui.page.getByRole('heading', { name: 'Waiting for approval' }).waitFor();
  }, 180_000);

  it('requests a diff and shows it readably, the Secret obfuscated', async () => {
    await confirmAction('Diff');
    await ui.page.getByRole('status').filter({ hasText: 'diff requested' }).waitFor();
    // The runner takes the request; the live list brings the page its result without a reload.
    const diffRow = ui.page.locator('table.history tr', {
      has: ui.page.locator('td', { hasText: /^diff$/ }),
    });
    await diffRow.first().waitFor();
    await diffRow.first().getByRole('button', { name: 'Show' }).click();
    await ui.page.locator('pre.diff').first().waitFor();
    await expectText(ui.page.locator('pre.diff .line.del').first(), '-v1');
    await expectText(ui.page.locator('pre.diff .line.add').first(), '+v2');
    const body = await ui.page.content();
    expect(body).toContain('*****');
    expect(body).not.toContain(SECRET_V2);
    await ui.page.screenshot({ path: join(ARTIFACTS, 'diff.png'), fullPage: true });
  }, 180_000);

  it('approves the pending hash and sees it deploy', async () => {
    expect(await configMapValue()).toBe('v1');
    await confirmAction(/^Approve /);
    await eventually(async () => expect(await configMapValue()).toBe('v2'), {
      timeoutMs: WAIT,
      intervalMs: 500,
    });
    await ui.page.getByRole('heading', { name: 'Waiting for approval' }).waitFor({ state: 'detached' });
    await ui.page.screenshot({ path: join(ARTIFACTS, 'detail.png'), fullPage: true });
  }, 180_000);

  it('suspends and resumes', async () => {
    const badges = ui.page.locator('p.badges');
    await confirmAction('Suspend');
    await expectText(badges, 'suspended');
    await confirmAction('Resume');
    await eventually(async () => expect(await badges.textContent()).not.toContain('suspended'), {
      timeoutMs: WAIT,
    });
  }, 180_000);

  it('refuses an action of a viewer', async () => {
    await ui.page.getByRole('button', { name: 'Log out' }).click();
    await ui.page.getByLabel('User').waitFor();
    await logIn(USERS.viewer);
    await ui.page.locator('tr[data-name="app"]').getByRole('link', { name: 'app' }).click();
    await confirmAction('Deploy');
    await ui.page.getByRole('status').filter({ hasText: 'deploy refused' }).waitFor();
    await expectText(ui.page.getByRole('status'), 'viewer');
    const kd = await kubectlJson<{ metadata: { annotations?: Record<string, string> } }>([
      'get',
      'kluctldeployment',
      'app',
      '-n',
      ui.sc.ns,
    ]);
    expect(kd.metadata.annotations?.['kluctl.io/request-deploy']).toBeUndefined();
    expect(
      ui.sc.log.some((l) => l.msg === 'web UI action refused' && l.fields?.user === USERS.viewer[0]),
    ).toBe(true);
    expect(
      ui.sc.log.some(
        (l) =>
          l.msg === 'web UI action' && l.fields?.user === USERS.admin[0] && l.fields.action === 'approve',
      ),
    ).toBe(true);
  }, 180_000);

  it('logs in with OIDC through the provider (code flow with PKCE)', async () => {
    await ui.page.getByRole('button', { name: 'Log out' }).click();
    await ui.page.getByRole('link', { name: 'Log in with OIDC' }).click();
    await ui.page.getByText(`${OIDC_USER.email} (admin)`).waitFor();
    await ui.page.locator('tr[data-name="app"]').waitFor();
    expect(ui.browser.errors).toEqual([]);
  }, 180_000);
});
