/**
 * The dashboard as a person uses it, in Debian's Chromium, over the demo's world: sign in, open the
 * demo campaign, switch between human and all hits and find the API's figures, follow a percentage
 * to the contacts behind it, see every link of the message carry its share of clicks without the
 * frame requesting a tracking URL, open a contact's timeline, and watch a live click arrive.
 * One browser and one page for the file; the tests run in order and share them.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { chromiumAvailable, dashboardForFile, type DashboardServer, humanClick, isTrackingUrl, pageLoaded, recordRequests, signInWithForm } from '../support/browser.js';
import { providerFlagSummary, type ProviderFlagFigures } from '../../src/app/report-figures.js';

const available = chromiumAvailable();

describe.skipIf(!available)('the dashboard in a real browser', () => {
  const dashboard = dashboardForFile();
  let server: DashboardServer;
  let page: Page;
  let campaignId: number;
  beforeAll(() => {
    ({ server, page } = dashboard);
    campaignId = server.demo.campaign.id;
  });

  it('lets nobody in without signing in, then signs in through the form', async () => {
    const response = await page.goto(`${server.base}/campaigns/${campaignId}`);
    // The server sent the browser to the sign-in page, naming where it was going.
    expect(new URL(page.url()).pathname).toBe('/sign-in');
    expect(new URL(page.url()).searchParams.get('next')).toBe(`/campaigns/${campaignId}`);
    expect(response?.ok()).toBe(true);

    await page.getByLabel('Email').fill(server.user.email);
    await page.getByLabel('Password').fill('not the password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toMatch(/do not match an account/);

    await signInWithForm(page, server.base, server.user);
    expect(new URL(page.url()).pathname).toBe('/');
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Campaigns');
  });

  it('opens the demo campaign from the list of campaigns', async () => {
    await page.getByRole('link', { name: server.demo.campaign.name, exact: true }).click();
    await page.waitForURL(`**/campaigns/${campaignId}`);
    await pageLoaded(page);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe(server.demo.campaign.name);
  });

  it('shows the API figures of human hits by default and of all hits after the toggle', async () => {
    const report = await server.api('GET', `/api/campaigns/${campaignId}/report`);
    const human = report.totals.byVerdict.human;
    // Machine and bot hits are many in the demo: the two scopes must differ for the toggle to show anything.
    expect(report.totals.uniqueOpens).toBeGreaterThan(human.uniqueOpens);

    const toggle = page.getByRole('group', { name: 'Count hits from' });
    expect(await toggle.getByRole('button', { name: 'Human' }).getAttribute('aria-pressed')).toBe('true');
    expect(await figure(page, 'opened (human)')).toBe(human.uniqueOpens);
    expect(await figure(page, 'clicked (human)')).toBe(human.uniqueClicks);
    expect(await figure(page, 'delivered')).toBe(report.totals.delivered);

    await toggle.getByRole('button', { name: 'All' }).click();
    await expect.poll(() => toggle.getByRole('button', { name: 'All' }).getAttribute('aria-pressed')).toBe('true');
    expect(new URL(page.url()).searchParams.get('scope')).toBe('all');
    expect(await figure(page, 'opened (all hits)')).toBe(report.totals.uniqueOpens);
    expect(await figure(page, 'clicked (all hits)')).toBe(report.totals.uniqueClicks);

    await toggle.getByRole('button', { name: 'Human' }).click();
    await expect.poll(() => figure(page, 'opened (human)')).toBe(human.uniqueOpens);
  });

  it("follows a percentage to the contacts behind it: as many rows as the figure's count", async () => {
    const clicked = await figure(page, 'clicked (human)');
    expect(clicked).toBeGreaterThan(0);
    await page.getByRole('link', { name: /%\s*clicked \(human\).*: see the contacts$/ }).first().click();
    await page.waitForURL('**/contacts?**');
    await pageLoaded(page);
    const status = page.getByRole('status').filter({ hasText: /shown/ });
    await expect.poll(() => status.textContent()).toMatch(/^All \d+ shown\.$/);
    const table = page.getByRole('table', { name: /^Contacts: / });
    // One header row, then one row per message counted.
    expect((await table.getByRole('row').count()) - 1).toBe(clicked);
    expect(await status.textContent()).toBe(`All ${clicked} shown.`);
  });

  it('shows every link occurrence of the message with its share of clicks, and the frame requests no tracking URL', async () => {
    const requests = recordRequests(page);
    await page.goto(`${server.base}/campaigns/${campaignId}/hot-clicks`);
    await pageLoaded(page);
    const frame = page.getByTitle(/as recipients saw it/).contentFrame();
    const badges = frame.getByLabel(/^Link \d+, /);
    // The page shows the latest execution (the second issue) by default, shares of human clicks.
    const latest = server.demo.issues.at(-1)!.executionId;
    const hot = await server.api('GET', `/api/executions/${latest}/hot-clicks`);
    const htmlLinks: { ordinal: number; url: string; share: { human: number | null } }[] = hot.links.filter((l: { part: string }) => l.part === 'html');
    expect(htmlLinks.length).toBeGreaterThan(5);
    await expect.poll(() => badges.count()).toBe(htmlLinks.length);

    const shown = new Map<number, { label: string; text: string }>();
    for (const badge of await badges.all()) {
      const label = (await badge.getAttribute('aria-label'))!;
      shown.set(Number(/^Link (\d+),/.exec(label)![1]), { label, text: (await badge.textContent())!.trim() });
    }
    for (const link of htmlLinks) {
      const badge = shown.get(link.ordinal);
      expect(badge, `a badge on link ${link.ordinal}`).toBeDefined();
      const share = link.share.human;
      expect(badge!.text, `link ${link.ordinal}'s badge`).toBe(share === null ? '–' : `${(share * 100).toFixed(1)} %`);
      expect(badge!.label).toContain(link.url);
    }
    // A condition's view: only the unconditional links and that block's carry a badge.
    const condition = hot.conditions[0] as string;
    await page.getByLabel('Blocks shown').selectOption(condition);
    const view = await server.api('GET', `/api/executions/${latest}/hot-clicks?condition=${encodeURIComponent(condition)}`);
    await expect.poll(() => page.getByTitle(/as recipients saw it/).contentFrame().getByLabel(/^Link \d+, /).count()).toBe(view.links.filter((l: { part: string }) => l.part === 'html').length);

    const tracking = requests.filter((url) => isTrackingUrl(url, server.base));
    expect(tracking, 'requests to tracking URLs while the message was shown').toEqual([]);
    expect(requests.length).toBeGreaterThan(0);
  });

  it("opens a contact's timeline from a list of contacts", async () => {
    const [email, messageId] = [...server.demo.issues[0]!.messageIds.entries()].find(([address]) => address.endsWith('@corp.example'))!;
    const message = await server.api('GET', `/api/messages/${messageId}`);
    await page.goto(`${server.base}/contacts`);
    await pageLoaded(page);
    await page.getByRole('link', { name: email, exact: true }).first().click();
    await page.waitForURL(`**/contacts/${message.contact.id}`);
    await pageLoaded(page);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe(email);
    const timeline = page.getByRole('list', { name: 'Events, newest first' });
    // A corporate gateway scanned every link of both issues: the timeline has those hits, judged bot.
    await expect.poll(() => timeline.getByRole('listitem').count()).toBeGreaterThan(5);
    expect(await timeline.textContent()).toMatch(/bot/i);
  });

  it('shows a human click arrive live on the campaign page', async () => {
    await page.goto(`${server.base}/campaigns/${campaignId}`);
    await pageLoaded(page);
    await expect.poll(() => page.getByRole('heading', { name: /^Live: human opens and clicks/ }).textContent(), { timeout: 10_000 }).toMatch(/\blive$/);
    const hits = page.getByRole('list', { name: /Human opens and clicks as they arrive/ });
    expect(await hits.getByRole('listitem').count()).toBe(0);

    // A reader of the second issue who had not clicked: a click now, from a desktop browser at home.
    const issue = server.demo.issues.at(-1)!;
    let target: { email: string; tracked: string } | null = null;
    for (const [email, id] of issue.messageIds) {
      const message = await server.api('GET', `/api/messages/${id}`);
      if (message.status.state === 'delivered' && !email.endsWith('@corp.example')) {
        target = { email, tracked: issue.trackedLinks.get(email)![0]! };
        break;
      }
    }
    expect(target, 'a delivered message of the second issue').not.toBeNull();
    expect(await humanClick(target!.tracked)).toBe(302);

    await expect.poll(() => hits.getByRole('listitem').count(), { timeout: 10_000 }).toBe(1);
    const line = await hits.getByRole('listitem').first().textContent();
    expect(line).toMatch(/^Clicked/);
    expect(line).toContain(target!.email);
  });

  it("shows what the sending provider flagged, opens and clicks apart, with mailsight's answer to each", async () => {
    // The demo sends through its own SMTP sink, which flags nothing: the report is the server's, with
    // the flags a Mailgun account would have added (the figures behind them are tested through the API
    // in test/provider-flags.test.ts); the sentences are the server's own function's.
    const flags: ProviderFlagFigures[] = [
      { reason: 'provider:mailgun-bot-generic', series: 'opens', flagged: 3, agreed: 2, disagreed: 1, unmatched: 0 },
      { reason: 'provider:mailgun-bot-generic', series: 'clicks', flagged: 2, agreed: 1, disagreed: 0, unmatched: 1 },
    ];
    const sentences = providerFlagSummary(flags);
    const pattern = `**/api/campaigns/${campaignId}/report*`;
    await page.route(pattern, async (route) => {
      const response = await route.fetch();
      await route.fulfill({ response, json: { ...(await response.json()), providerFlags: flags, providerFlagSummary: sentences } });
    });
    await page.goto(`${server.base}/campaigns/${campaignId}`);
    await pageLoaded(page);
    expect(await page.getByRole('heading', { name: 'What the sending provider flagged' }).count()).toBe(1);
    for (const sentence of sentences) expect(await page.getByText(sentence, { exact: true }).count(), sentence).toBe(1);
    expect(sentences[1]).toMatch(/^2 clicks flagged provider:mailgun-bot-generic: mailsight said machine or bot for 1, human for 0, and saw no click within 60 s of 1$/);
    const table = page.getByRole('table', { name: /^Opens and clicks the provider flagged/ });
    const rows = table.getByRole('row');
    expect(await rows.count()).toBe(3);
    expect((await rows.nth(1).getByRole('cell').allTextContents()).map((t) => t.trim())).toEqual(['provider:mailgun-bot-generic', 'opens', '3', '2', '1', '0']);
    expect((await rows.nth(2).getByRole('cell').allTextContents()).map((t) => t.trim())).toEqual(['provider:mailgun-bot-generic', 'clicks', '2', '1', '0', '1']);
    await page.unroute(pattern);
  });
});

/** The count a funnel figure shows: the number in the link to its contacts, named "<count> <label>, ...: see the contacts". */
async function figure(page: Page, label: string): Promise<number> {
  const escaped = label.replace(/[()]/g, '\\$&');
  const link = page.getByRole('link', { name: new RegExp(`^[0-9][0-9,. \u202f]* ${escaped}, .*: see the contacts$`) }).first();
  const text = (await link.textContent())!.replace(/[^0-9]/g, '');
  return Number(text);
}
