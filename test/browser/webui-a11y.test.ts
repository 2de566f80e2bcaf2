/**
 * Accessibility of the web UI in the real headless Chromium: axe-core (injected from the npm package,
 * nothing fetched) audits the login page, the deployment list and a deployment's page with a diff open,
 * and finds no violation of impact serious or critical against WCAG 2.1 A/AA and axe's best practices.
 * Everything is done with the keyboard alone: log in, open the deployment, reach every action by Tab
 * and run one with Enter; the confirmation dialog keeps focus inside, Escape cancels it, and focus
 * returns to the button that opened it.
 */
import { beforeAll, describe, expect, it } from '@jest/globals';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { USERS } from '../integration/webui-scenario.js';
import { ARTIFACTS, webuiScenarioInChromium } from './chromium.js';

const ui = webuiScenarioInChromium('webui-a11y');
let axeSource: string;

beforeAll(async () => {
  axeSource = await readFile(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
});

/** The little of the DOM the page-side functions use (this project compiles without the DOM library). */
interface PageElement {
  readonly tagName: string;
  readonly id: string;
  readonly textContent: string | null;
  getAttribute(name: string): string | null;
  closest(selector: string): PageElement | null;
}
interface PageGlobals {
  readonly document: { readonly activeElement: PageElement | null };
  readonly axe: { run(context: unknown, options: unknown): Promise<unknown> };
}

interface Violation {
  readonly id: string;
  readonly impact: string | null;
  readonly help: string;
  readonly nodes: readonly { readonly target: readonly string[] }[];
}

/**
 * axe's violations on the page as it is now. The source goes in through the DevTools protocol
 * (page.evaluate), which the page's Content-Security-Policy does not govern; an injected <script>
 * would be refused, as it should.
 */
async function audit(): Promise<Violation[]> {
  await ui.page.evaluate(axeSource);
  return ui.page.evaluate(async () => {
    const { axe, document } = globalThis as unknown as PageGlobals;
    const r = (await axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] },
      resultTypes: ['violations'],
    })) as { violations: Violation[] };
    return r.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.map((n) => ({ target: n.target })),
    }));
  });
}

/** Fails with every serious or critical violation listed (rule, help, elements). */
async function expectAccessible(what: string): Promise<void> {
  const violations = await audit();
  const grave = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  const text = (vs: Violation[]) =>
    vs.map((v) => `${v.impact} ${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`);
  expect({ page: what, violations: text(grave) }).toEqual({ page: what, violations: [] });
  // The lesser findings are kept in the log, so they stay visible without failing the test.
  if (violations.length > grave.length) console.log(`${what}: ${text(violations).join('\n')}`);
}

/** The focused element, as a user hears it: its accessible label or text, and its tag. */
function focused(): Promise<{ name: string; tag: string; id: string; inDialog: boolean }> {
  return ui.page.evaluate(() => {
    const e = (globalThis as unknown as PageGlobals).document.activeElement;
    if (!e) return { name: '', tag: '', id: '', inDialog: false };
    const name = (e.getAttribute('aria-label') ?? e.textContent ?? '').trim().replace(/\s+/g, ' ');
    return { name, tag: e.tagName.toLowerCase(), id: e.id, inDialog: e.closest('dialog') !== null };
  });
}

/**
 * Waits for the confirmation dialog that Enter on `opener` opens. Two CI runs of this session saw the
 * dialog not come (never reproduced here, cause unknown): then what the page shows (the focused
 * element, the actions, script errors) is logged with a screenshot, and Enter is pressed once more if
 * the focus is still on `opener`; a second miss fails the test with the same details.
 */
async function dialogOpened(opener: string): Promise<void> {
  const dialog = ui.page.getByRole('dialog');
  const details = async () => {
    await ui.page.screenshot({ path: join(ARTIFACTS, 'a11y-no-dialog.png'), fullPage: true });
    const actions = await ui.page
      .locator('section.actions')
      .innerHTML()
      .catch((e: Error) => e.message);
    return `focused ${JSON.stringify(await focused())}; page errors ${JSON.stringify(ui.browser.errors)}; actions ${actions}`;
  };
  try {
    await dialog.waitFor({ timeout: 10_000 });
    return;
  } catch {
    console.warn(`no dialog 10 s after Enter on ${opener}: ${await details()}`);
  }
  if ((await focused()).name === opener) await ui.page.keyboard.press('Enter');
  try {
    await dialog.waitFor({ timeout: 20_000 });
  } catch (err) {
    throw new Error(`no dialog after Enter on ${opener}, twice: ${await details()}`, { cause: err });
  }
}

/** Presses Tab until the focused element's name matches; returns the names passed on the way. */
async function tabTo(name: string | RegExp, max = 80): Promise<string[]> {
  const passed: string[] = [];
  for (let i = 0; i < max; i++) {
    await ui.page.keyboard.press('Tab');
    const f = await focused();
    passed.push(f.name);
    if (typeof name === 'string' ? f.name === name : name.test(f.name)) return passed;
  }
  throw new Error(`${String(name)} not reached by Tab; passed ${passed.join(' | ')}`);
}

describe('web UI accessibility in Chromium', () => {
  it('login page: no serious violations; logging in by keyboard alone', async () => {
    await ui.page.goto(`${ui.sc.base}/`);
    await ui.page.getByLabel('User').waitFor();
    await expectAccessible('login');
    await ui.page.screenshot({ path: join(ARTIFACTS, 'login.png'), fullPage: true });
    await ui.page.keyboard.press('Tab');
    expect(await focused()).toMatchObject({ tag: 'input', id: 'name' });
    await ui.page.keyboard.type(USERS.admin[0]);
    await ui.page.keyboard.press('Tab');
    await ui.page.keyboard.type(USERS.admin[1]);
    await ui.page.keyboard.press('Enter');
    await ui.page.getByText(`${USERS.admin[0]} (admin)`).waitFor();
  }, 120_000);

  it('list: no serious violations; the deployment opens by Tab and Enter', async () => {
    await ui.page.locator('tr[data-name="app"]').waitFor();
    await expectAccessible('list');
    const passed = await tabTo('app');
    expect(passed).toEqual(expect.arrayContaining(['Log out']));
    await ui.page.keyboard.press('Enter');
    await ui.page.getByRole('heading', { name: `${ui.sc.ns}/app` }).waitFor();
  }, 120_000);

  it('detail: every action is reachable by Tab; the dialog traps focus and Escape cancels', async () => {
    await ui.page.getByRole('button', { name: 'Reconcile' }).waitFor();
    await ui.page.locator('body').focus();
    const passed = await tabTo(/^Approve /);
    for (const action of ['Reconcile', 'Deploy', 'Diff', 'Prune', 'Validate', 'Suspend']) {
      expect(passed).toContain(action);
    }
    await ui.page.keyboard.press('Shift+Tab');
    await ui.page.keyboard.press('Shift+Tab');
    expect((await focused()).name).toBe('Validate');
    await ui.page.keyboard.press('Enter');
    await ui.page.getByRole('dialog').waitFor();
    // Focus starts on the harmless answer and stays in the dialog whichever way Tab goes.
    expect(await focused()).toMatchObject({ name: 'Cancel', inDialog: true });
    await expectAccessible('confirmation dialog');
    for (const key of ['Tab', 'Tab', 'Tab', 'Shift+Tab', 'Shift+Tab', 'Shift+Tab']) {
      await ui.page.keyboard.press(key);
      expect((await focused()).inDialog).toBe(true);
    }
    await ui.page.keyboard.press('Escape');
    await ui.page.getByRole('dialog').waitFor({ state: 'detached' });
    expect((await focused()).name).toBe('Validate');
    expect(await ui.page.getByRole('status').textContent()).toBe('');
  }, 120_000);

  it('detail with a diff open: no serious violations; a diff is requested and shown by keyboard', async () => {
    await ui.page.keyboard.press('Shift+Tab');
    expect((await focused()).name).toBe('Prune');
    await ui.page.keyboard.press('Shift+Tab');
    expect((await focused()).name).toBe('Diff');
    await ui.page.keyboard.press('Enter');
    await dialogOpened('Diff');
    await ui.page.keyboard.press('Shift+Tab');
    expect((await focused()).name).toBe('Yes');
    await ui.page.keyboard.press('Enter');
    await ui.page.getByRole('status').filter({ hasText: 'diff requested' }).waitFor();
    const diffRow = ui.page.locator('table.history tr', {
      has: ui.page.locator('td', { hasText: /^diff$/ }),
    });
    await diffRow.first().waitFor({ timeout: 90_000 });
    await diffRow.first().getByRole('button', { name: 'Show' }).focus();
    await ui.page.keyboard.press('Enter');
    await ui.page.locator('pre.diff').first().waitFor();
    await expectAccessible('detail with a diff');
    expect(ui.browser.errors).toEqual([]);
  }, 180_000);
});
