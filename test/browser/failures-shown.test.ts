/**
 * What the dashboard shows when things go wrong or change under it, in Debian's Chromium over the
 * demo's world: a sign-out that failed says so and stays; a new filter never shows the previous
 * one's rows while its own load; a failed reload keeps the data with a notice above it; a hot-clicks
 * address naming another campaign's execution is refused; a deleted outgoing webhook endpoint is
 * marked deleted and offers no Delete; and the all-executions report, where ordinals repeat, names
 * each link's execution and leads to every execution's hot clicks. Failures are made with request
 * interception (page.route).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { Page, Route } from 'playwright-core';
import { chromiumAvailable, dashboardForFile, type DashboardServer, pageLoaded, signInWithForm } from '../support/browser.js';

const available = chromiumAvailable();

describe.skipIf(!available)('failures and changes shown in a real browser', () => {
  const dashboard = dashboardForFile();
  let server: DashboardServer;
  let page: Page;
  beforeAll(() => {
    ({ server, page } = dashboard);
  });

  it('signs in', async () => {
    await signInWithForm(page, server.base, server.user);
  });

  it('says a sign-out everywhere failed, and stays on the page, signed in', async () => {
    await page.goto(`${server.base}/settings`);
    await pageLoaded(page);
    const refuse = (route: Route) => (route.request().method() === 'DELETE' ? route.fulfill({ status: 403, json: { error: 'CSRF', message: 'The request lacks the session CSRF token' } }) : route.fallback());
    await page.route('**/api/session*', refuse);
    await page.getByRole('button', { name: 'Sign out everywhere' }).click();
    await expect.poll(() => page.getByRole('alert').filter({ hasText: /Could not sign out everywhere/ }).textContent()).toMatch(/CSRF token\. Your sessions are still open/);
    expect(new URL(page.url()).pathname).toBe('/settings');
    await page.unroute('**/api/session*', refuse);
    // Still signed in: the API answers this browser's session.
    expect(await page.evaluate(async () => (await fetch('/api/session')).status)).toBe(200);
  });

  it("never shows the previous filter's rows while the new filter's load", async () => {
    await page.goto(`${server.base}/review`);
    await pageLoaded(page);
    const table = page.getByRole('table', { name: /^Reports kept for review/ });
    expect(await table.count()).toBe(1);
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    const hold = async (route: Route) => {
      await held;
      await route.fallback();
    };
    await page.route('**/api/inbound-reports?*state=*', hold);
    await page.getByLabel('State').selectOption('not-a-report');
    await expect.poll(() => page.getByText(/Loading the reports kept for review/).count()).toBe(1);
    expect(await table.count()).toBe(0);
    release();
    await pageLoaded(page);
    await page.unroute('**/api/inbound-reports?*state=*', hold);
  });

  it('keeps the data when a reload fails, with a notice above it', async () => {
    await page.goto(`${server.base}/settings`);
    await pageLoaded(page);
    const keys = page.getByRole('table', { name: 'API keys' });
    const before = await keys.getByRole('row').count();
    const refuse = (route: Route) => (route.request().method() === 'GET' ? route.fulfill({ status: 503, json: { error: 'UNAVAILABLE', message: 'The database is not answering' } }) : route.fallback());
    await page.route('**/api/keys', refuse);
    // Creating a key reloads the list; that reload fails.
    await page.getByRole('form', { name: 'New key' }).getByLabel('Name').fill('reload check');
    await page.getByRole('button', { name: 'Create the key' }).click();
    await expect.poll(() => page.getByRole('alert').filter({ hasText: /Could not refresh this/ }).textContent()).toMatch(/The database is not answering\. What is shown is as it was last loaded/);
    expect(await keys.getByRole('row').count()).toBe(before);
    await page.unroute('**/api/keys', refuse);
    await page.getByRole('button', { name: 'Refresh again' }).click();
    await expect.poll(() => keys.getByRole('row').count()).toBe(before + 1);
    expect(await page.getByRole('alert').filter({ hasText: /Could not refresh this/ }).count()).toBe(0);
  });

  it("refuses a hot-clicks address naming another campaign's execution", async () => {
    const campaign = server.demo.campaign.id;
    const other = await server.api<{ id: number }>('POST', '/api/campaigns', { name: 'Another campaign' });
    const execution = await server.api<{ id: number }>('POST', `/api/campaigns/${other.id}/executions`, { subject: 'Elsewhere', html: '<p><a href="https://elsewhere.example/">elsewhere</a></p>' });
    await page.goto(`${server.base}/campaigns/${campaign}/hot-clicks?execution=${execution.id}`);
    await pageLoaded(page);
    expect(await page.getByRole('alert').textContent()).toContain(`Execution #${execution.id} is not an execution of the campaign`);
    expect(await page.getByTitle(/as recipients saw it/).count()).toBe(0);
    await page.getByRole('link', { name: /latest execution/ }).click();
    await pageLoaded(page);
    expect(await page.getByTitle(/as recipients saw it/).count()).toBe(1);
  });

  it('marks a deleted outgoing webhook endpoint deleted, with no Delete button', async () => {
    const gone = await server.api<{ id: number }>('POST', '/api/webhook-endpoints', { url: 'https://gone.example/hook' });
    await server.api('DELETE', `/api/webhook-endpoints/${gone.id}`);
    await page.goto(`${server.base}/settings`);
    await pageLoaded(page);
    const card = page.getByRole('listitem').filter({ has: page.getByRole('heading', { name: 'https://gone.example/hook' }) });
    expect(await card.getByText(/^deleted /).count()).toBe(1);
    expect(await card.getByRole('button', { name: 'Delete' }).count()).toBe(0);
    expect(await card.getByRole('button', { name: /delivery log/ }).count()).toBe(1);
  });

  it("names each link's execution in the all-executions report, and leads to every execution's hot clicks", async () => {
    const campaign = server.demo.campaign.id;
    const report = await server.api<{ executions: { execution: { id: number } }[] }>('GET', `/api/campaigns/${campaign}/report`);
    expect(report.executions.length).toBeGreaterThan(1);
    await page.goto(`${server.base}/campaigns/${campaign}`);
    await pageLoaded(page);
    const links = page.getByRole('table', { name: /^Link occurrences/ });
    for (const { execution } of report.executions) expect(await links.getByRole('rowheader', { name: new RegExp(`^Execution #${execution.id}, `) }).count()).toBe(1);
    const first = report.executions[0]!.execution.id;
    expect(await page.getByRole('link', { name: new RegExp(`^[0-9]+ clicked link 1 of execution ${first},`) }).count()).toBe(1);
    expect(await page.getByRole('link', { name: /hot clicks/ }).getAttribute('href')).toBe(`/campaigns/${campaign}/hot-clicks?execution=all`);
  });
});
