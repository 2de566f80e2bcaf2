/**
 * What the browser tests share: Debian's headless Chromium driven by playwright-core (no browser
 * download), the folder their screenshots are kept in, and the steps every test takes on the page
 * (log in, confirm an action, wait for a text).
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import type { BrowserContext, Locator, Page } from 'playwright-core';
import { eventually } from '../support/test-env.js';
import { startWebuiScenario } from '../integration/webui-scenario.js';
import type { WebuiScenario } from '../integration/webui-scenario.js';
import type { OidcProviderOptions } from '../../devenv/oidc-provider.js';

const CHROMIUM = '/usr/bin/chromium';
/** Screenshots of the main pages, kept as test artifacts (gitignored). */
export const ARTIFACTS = join(process.cwd(), 'test-artifacts', 'webui');
/** Generous: the machine is shared, and a reconcile runs between some steps. */
export const WAIT = 90_000;

/** A running browser with one page; `errors` collects the page's uncaught script errors. */
export interface Browser {
  readonly page: Page;
  readonly context: BrowserContext;
  readonly errors: string[];
  close(): Promise<void>;
}

/** Starts headless Chromium with a fresh profile. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium`);
  const profile = await mkdtemp(join(tmpdir(), 'ks-chromium-'));
  await mkdir(ARTIFACTS, { recursive: true });
  const context = await chromium.launchPersistentContext(profile, {
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
  const page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(WAIT);
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  return {
    page,
    context,
    errors,
    close: async () => {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}

/** Logs in with the form at `url` as `user` (name, password). */
export async function logIn(page: Page, url: string, user: readonly [string, string]): Promise<void> {
  await page.goto(url);
  await page.getByLabel('User').fill(user[0]);
  await page.getByLabel('Password').fill(user[1]);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByText(`${user[0]} (`).waitFor();
}

/** Clicks an action button and answers Yes in the confirmation dialog. */
export async function confirmAction(page: Page, name: string | RegExp): Promise<void> {
  await page.getByRole('button', { name, exact: typeof name === 'string' }).click();
  const dialog = page.getByRole('dialog');
  await dialog.waitFor();
  await dialog.getByRole('button', { name: 'Yes' }).click();
}

/** Waits until the locator's text contains `text`. */
export async function expectText(locator: Locator, text: string): Promise<void> {
  await eventually(async () => expect(await locator.textContent()).toContain(text), { timeoutMs: WAIT });
}

/** The web UI scenario and a browser, ready once the file's `beforeAll` has run. */
export interface ScenarioInChromium {
  readonly sc: WebuiScenario;
  readonly browser: Browser;
  readonly page: Page;
}

/**
 * Starts the web UI scenario (runner and OIDC on, the provider with `oidc`) and Chromium before the
 * file's tests and stops both after them.
 */
export function webuiScenarioInChromium(
  prefix: string,
  oidc: Partial<OidcProviderOptions> = {},
): ScenarioInChromium {
  const ui = {} as { sc: WebuiScenario; browser: Browser; page: Page };
  beforeAll(async () => {
    ui.sc = await startWebuiScenario(prefix, { runner: true, oidc });
    ui.browser = await launchChromium();
    ui.page = ui.browser.page;
  }, 240_000);
  afterAll(async () => {
    await ui.browser?.close();
    await ui.sc?.close();
  }, 60_000);
  return ui;
}
