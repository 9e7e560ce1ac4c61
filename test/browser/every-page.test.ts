/**
 * Every page of the dashboard, over the demo's world, in Debian's Chromium: axe-core finds no serious
 * or critical accessibility violation on it, and a screenshot of it at a laptop's and a phone's width
 * goes to test-artifacts/screenshots/ (with UPDATE_SCREENSHOTS=1, to docs/screenshots/ too, for the
 * README). One browser and one page for the file.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { chromiumAvailable, dashboardForFile, type DashboardServer, expectAccessible, pageLoaded, saveScreenshots, signInWithForm } from '../support/browser.js';

const available = chromiumAvailable();

describe.skipIf(!available)('every page of the dashboard: accessible, photographed', () => {
  const dashboard = dashboardForFile();
  let server: DashboardServer;
  let page: Page;
  beforeAll(() => {
    ({ server, page } = dashboard);
  });

  /** Checks and photographs the page the browser shows now. */
  async function check(name: string): Promise<void> {
    await pageLoaded(page);
    await expectAccessible(page, name);
    await saveScreenshots(page, name);
  }

  it('sign-in', async () => {
    await page.goto(`${server.base}/sign-in`);
    expect(await page.getByRole('heading', { name: 'Sign in' }).count()).toBe(1);
    await check('sign-in');
    await signInWithForm(page, server.base, server.user);
  });

  it('campaigns', async () => {
    await page.goto(`${server.base}/`);
    await check('campaigns');
    expect(await page.getByRole('link', { name: server.demo.campaign.name, exact: true }).count()).toBeGreaterThan(0);
  });

  it('campaign', async () => {
    await page.goto(`${server.base}/campaigns/${server.demo.campaign.id}`);
    await check('campaign');
  });

  it('hot clicks', async () => {
    await page.goto(`${server.base}/campaigns/${server.demo.campaign.id}/hot-clicks`);
    await check('hot-clicks');
  });

  it('contacts', async () => {
    await page.goto(`${server.base}/contacts`);
    await check('contacts');
  });

  it("a figure's contacts (drill list)", async () => {
    await page.goto(`${server.base}/campaigns/${server.demo.campaign.id}`);
    await pageLoaded(page);
    await page.getByRole('link', { name: /^[0-9][0-9,. \u202f]* delivered, .*: see the contacts$/ }).first().click();
    await page.waitForURL('**/contacts?**');
    await check('drill-list');
  });

  it('contact', async () => {
    const [, messageId] = [...server.demo.issues[0]!.messageIds.entries()].find(([email]) => email.endsWith('@corp.example'))!;
    const message = await server.api('GET', `/api/messages/${messageId}`);
    await page.goto(`${server.base}/contacts/${message.contact.id}`);
    await check('contact');
  });

  it('suppressions', async () => {
    await page.goto(`${server.base}/suppressions`);
    await check('suppressions');
  });

  it('review', async () => {
    await page.goto(`${server.base}/review`);
    await check('review');
  });

  it('settings', async () => {
    await page.goto(`${server.base}/settings`);
    await check('settings');
  });
});
