/**
 * An OIDC session in the real headless Chromium, against the runner's web UI (live updates by
 * Server-Sent Events) and the local provider handing out 3-second ID tokens with refresh tokens: the
 * page stays logged in past several ID token lifetimes (the stream is cut when a refresh is due, and
 * the browser's reconnect renews the session), and when the provider refuses the refresh the page
 * goes to the login form by itself, without a reload.
 */
import { describe, expect, it } from '@jest/globals';
import { OIDC_USER } from '../integration/webui-scenario.js';
import { eventually } from '../support/test-env.js';
import { webuiScenarioInChromium } from './chromium.js';

const ui = webuiScenarioInChromium('webui-oidc-session', { idTokenTtlS: 3, refreshTokens: true });

describe('OIDC session in Chromium', () => {
  it('stays logged in past the ID token lifetime by refreshing it', async () => {
    await ui.page.goto(`${ui.sc.base}/`);
    await ui.page.getByRole('link', { name: 'Log in with OIDC' }).click();
    await ui.page.getByText(`${OIDC_USER.email} (admin)`).waitFor();
    await ui.page.evaluate(() => ((globalThis as unknown as { ksMark: number }).ksMark = 1));
    await eventually(async () => expect(ui.sc.oidc!.refreshes).toBeGreaterThanOrEqual(2), {
      timeoutMs: 30_000,
      intervalMs: 250,
    });
    await ui.page.locator('tr[data-name="app"]').waitFor();
    await ui.page.getByText('● live').waitFor();
    expect(ui.sc.log.filter((l) => l.msg === 'web UI session refreshed').length).toBeGreaterThanOrEqual(2);
    expect(await ui.page.evaluate(() => (globalThis as unknown as { ksMark?: number }).ksMark)).toBe(1);
  }, 60_000);

  it('goes to the login form by itself when the provider refuses the refresh', async () => {
    ui.sc.oidc!.revokeRefreshTokens();
    await ui.page.getByText('Your session ended; log in again.').waitFor({ timeout: 30_000 });
    await ui.page.getByRole('link', { name: 'Log in with OIDC' }).waitFor();
    expect(await ui.page.evaluate(() => (globalThis as unknown as { ksMark?: number }).ksMark)).toBe(1);
    expect(ui.sc.log.some((l) => l.msg === 'web UI session refresh failed')).toBe(true);
    expect(ui.browser.errors).toEqual([]);
  }, 60_000);
});
