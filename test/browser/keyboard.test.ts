/**
 * The dashboard with the keyboard alone, in Debian's Chromium: signing in, moving through a page with
 * Tab, switching human/all hits with Enter, following a figure to its contacts, and reaching every
 * hot-clicks badge in the message's frame, which shows its counts on focus.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { chromiumAvailable, dashboardForFile, type DashboardServer, pageLoaded } from '../support/browser.js';

const available = chromiumAvailable();

/** The little of the DOM these checks read inside the page (the Node typings have no DOM). */
interface PageElement {
  tagName: string;
  textContent: string | null;
  getAttribute(name: string): string | null;
}
interface PageGlobals {
  document: { activeElement: PageElement | null; body: PageElement };
  getComputedStyle(element: PageElement, pseudo: string): { display: string };
}

/** What has the keyboard focus: its accessible text, in the page or in the frame holding it. */
async function focused(page: Page): Promise<{ frame: boolean; text: string; label: string | null; pressed: string | null }> {
  for (const frame of page.frames()) {
    const found = await frame.evaluate(() => {
      // Runs in the page, where globalThis is its window.
      const { document } = globalThis as unknown as PageGlobals;
      const element = document.activeElement;
      if (!element || element === document.body || element.tagName === 'IFRAME') return null;
      return { text: (element.textContent ?? '').trim(), label: element.getAttribute('aria-label'), pressed: element.getAttribute('aria-pressed') };
    });
    if (found) return { frame: frame !== page.mainFrame(), ...found };
  }
  return { frame: false, text: '', label: null, pressed: null };
}

/** Presses Tab until what has the focus matches, at most `limit` times; fails naming what it saw. */
async function tabTo(page: Page, matches: (f: Awaited<ReturnType<typeof focused>>) => boolean, limit = 80): Promise<void> {
  const seen: string[] = [];
  for (let i = 0; i < limit; i++) {
    await page.keyboard.press('Tab');
    const now = await focused(page);
    if (matches(now)) return;
    seen.push(now.label ?? now.text);
  }
  throw new Error(`not reached with ${limit} Tabs; the focus went through: ${seen.join(' | ')}`);
}

describe.skipIf(!available)('the dashboard with the keyboard alone', () => {
  const dashboard = dashboardForFile();
  let server: DashboardServer;
  let page: Page;
  beforeAll(() => {
    ({ server, page } = dashboard);
  });

  it('signs in by typing and pressing Enter', async () => {
    await page.goto(`${server.base}/campaigns/${server.demo.campaign.id}`);
    await page.waitForURL('**/sign-in?**');
    // The address field has the focus as the page opens.
    await page.keyboard.type(server.user.email);
    await page.keyboard.press('Tab');
    await page.keyboard.type(server.user.password);
    await page.keyboard.press('Enter');
    await page.waitForURL(`**/campaigns/${server.demo.campaign.id}`);
    await pageLoaded(page);
  });

  it('switches to all hits with Enter and follows a figure to its contacts', async () => {
    await tabTo(page, (f) => f.text === 'All hits');
    expect((await focused(page)).pressed).toBe('false');
    await page.keyboard.press('Enter');
    await expect.poll(async () => (await focused(page)).pressed).toBe('true');
    expect(new URL(page.url()).searchParams.get('scope')).toBe('all');

    await tabTo(page, (f) => /opened \(all hits\).*: see the contacts$/.test(f.label ?? ''));
    await page.keyboard.press('Enter');
    await page.waitForURL('**/contacts?**');
    await pageLoaded(page);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toMatch(/opened/i);
  });

  it("reaches every badge of the message's frame and shows its counts on focus", async () => {
    await page.goto(`${server.base}/campaigns/${server.demo.campaign.id}/hot-clicks`);
    await pageLoaded(page);
    const frame = page.frameLocator('iframe');
    const badges = await frame.locator('[data-mailsight-ordinal]').count();
    expect(badges).toBeGreaterThan(5);
    await tabTo(page, (f) => f.frame && /^Link \d+, /.test(f.label ?? ''));
    const ordinals = new Set<string>();
    for (let i = 0; i < 4 * badges && ordinals.size < badges; i++) {
      const now = await focused(page);
      if (now.frame && now.label?.startsWith('Link ')) {
        ordinals.add(now.label.split(',')[0]!);
        // The counts show beside a focused badge (its ::after), not only on hover.
        const shown = await page
          .frames()
          .find((f) => f !== page.mainFrame())!
          .evaluate(() => {
            const { document, getComputedStyle } = globalThis as unknown as PageGlobals;
            return getComputedStyle(document.activeElement!, '::after').display;
          });
        expect(shown).toBe('block');
      }
      await page.keyboard.press('Tab');
    }
    expect(ordinals.size).toBe(badges);
  });
});
