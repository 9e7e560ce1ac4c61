/**
 * Hot clicks as a user sees them, on every dialect: a campaign whose message has two links to one
 * destination and dynamic-content blocks, messages clicked by people (a browser) and by a bot, and
 * the answer checked against what happened: counts per occurrence, shares of all the execution's
 * clicks in every view, and positions that point at the very anchors in the HTML. Then a second
 * execution whose content moved on, and the campaign's clicks summed over both.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as R from '../src/adapters/http/api-responses.js';
import { testDialects } from './support/databases.js';
import { startTestServer, type TestServer } from './support/server.js';

const CHROME = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/128.0 Safari/537.36';
const BOT = 'python-requests/2.32.3';
const MINUTE = 60_000;

const HTML = [
  '<html><body>',
  '<p><a href="https://shop.example/sale">Top sale</a></p>',
  '<div data-condition="region:eu"><p>Europe: <a href="https://shop.example/eu">EU deals</a></p></div>',
  '<div data-condition="region:us"><a title="a<b" href="https://shop.example/us">US deals</a></div>',
  '<p><a class="btn" href="https://shop.example/sale">Bottom sale</a></p>',
  '</body></html>',
].join('\n');
const TEXT = 'Sale: https://shop.example/sale';

/** The second week: the EU link changed in place, the US block moved below the bottom button. */
const HTML_NEXT = [
  '<html><body>',
  '<p><a href="https://shop.example/sale">Top sale</a></p>',
  '<div data-condition="region:eu"><p>Europe: <a href="https://shop.example/eu-autumn">EU autumn deals</a></p></div>',
  '<p><a class="btn" href="https://shop.example/sale">Bottom sale</a></p>',
  '<div data-condition="region:us"><a href="https://shop.example/us">US deals</a></div>',
  '</body></html>',
].join('\n');

interface Message {
  id: number;
  links: { ordinal: number; part: string; tracked: string }[];
  honeypotUrl: string | null;
}

for (const dialect of await testDialects()) {
  describe(`hot clicks (${dialect})`, () => {
    let s: TestServer;
    let campaignId: number;
    let execution: { id: number; html: string };
    let usContactId: number;

    beforeAll(async () => {
      s = await startTestServer(dialect);
    });
    afterAll(async () => s?.close());

    async function get<T extends import('zod').ZodType>(schema: T, url: string): Promise<import('zod').output<T>> {
      const response = await s.api('GET', url);
      expect(response.status, `${url}: ${JSON.stringify(response.body)}`).toBe(200);
      const parsed = schema.safeParse(response.body);
      expect(parsed.success ? [] : parsed.error.issues, url).toEqual([]);
      return parsed.data!;
    }

    async function send(executionId: number, email: string, region: string): Promise<Message> {
      const created = await s.api('POST', '/api/messages', { executionId, to: [{ email, attributes: { region } }] });
      expect(created.status).toBe(201);
      await s.api('POST', `/api/messages/${created.body.id}/events`, { type: 'delivered', at: s.clock.now() });
      return created.body as Message;
    }

    /** One click on an occurrence, a few minutes after the one before: people read before they click. */
    async function click(message: Message, ordinal: number, userAgent: string, ip: string): Promise<void> {
      s.clock.advance(3 * MINUTE);
      const url = ordinal === 0 ? message.honeypotUrl! : message.links.find((l) => l.ordinal === ordinal)!.tracked;
      const response = await s.app.inject({ method: 'GET', url: new URL(url).pathname, headers: { 'user-agent': userAgent, 'accept-language': 'en', 'x-forwarded-for': ip } });
      // The honeypot answers with a page of its own; a link redirects to its destination.
      expect(response.statusCode).toBe(ordinal === 0 ? 200 : 302);
    }

    it('counts each occurrence apart, human and all, with shares of all the clicks and positions on the anchors', async () => {
      const campaign = await s.api('POST', '/api/campaigns', { name: 'weekly deals', kind: 'recurring', tracking: { honeypot: true } });
      campaignId = campaign.body.id;
      const created = await s.api('POST', `/api/campaigns/${campaignId}/executions`, { subject: 'Deals', html: HTML, text: TEXT });
      expect(created.status).toBe(201);
      execution = created.body;

      const eu = await send(execution.id, 'ana@eu.example', 'eu');
      const us = await send(execution.id, 'bob@us.example', 'us');
      const eu2 = await send(execution.id, 'eva@eu.example', 'eu');
      usContactId = (await s.api('GET', `/api/messages/${us.id}`)).body.contact.id;
      s.clock.advance(60 * MINUTE);

      // People: Ana clicks the top sale twice and the EU deals; Bob the bottom sale and the US deals; Eva the top sale.
      await click(eu, 1, CHROME, '198.51.100.11');
      await click(eu, 2, CHROME, '198.51.100.11');
      await click(eu, 1, CHROME, '198.51.100.11');
      await click(us, 4, CHROME, '198.51.100.22');
      await click(us, 3, CHROME, '198.51.100.22');
      await click(eu2, 1, CHROME, '198.51.100.33');
      // A bot: the bottom sale twice, and the honeypot.
      s.clock.advance(30 * MINUTE);
      await click(eu2, 4, BOT, '203.0.113.9');
      await click(eu2, 4, BOT, '203.0.113.9');
      await click(eu2, 0, BOT, '203.0.113.9');

      const hot = await get(R.ExecutionHotClicks, `/api/executions/${execution.id}/hot-clicks`);
      expect(hot.view).toEqual({ kind: 'all', conditions: null, contactId: null });
      expect(hot.conditions).toEqual(['region:eu', 'region:us']);
      expect(hot.sharesOf).toMatch(/all link occurrences of the execution/);
      // The honeypot is no link: its click is in no figure.
      expect(hot.links.map((l) => [l.ordinal, l.part, l.url])).toEqual([
        [1, 'html', 'https://shop.example/sale'],
        [2, 'html', 'https://shop.example/eu'],
        [3, 'html', 'https://shop.example/us'],
        [4, 'html', 'https://shop.example/sale'],
        [5, 'text', 'https://shop.example/sale'],
      ]);
      const figures = hot.links.map((l) => ({ ordinal: l.ordinal, uniqueHuman: l.clicks.unique.human, totalHuman: l.clicks.total.human, uniqueAll: l.clicks.unique.all, totalAll: l.clicks.total.all, totalBot: l.clicks.total.bot }));
      expect(figures).toEqual([
        { ordinal: 1, uniqueHuman: 2, totalHuman: 3, uniqueAll: 2, totalAll: 3, totalBot: 0 },
        { ordinal: 2, uniqueHuman: 1, totalHuman: 1, uniqueAll: 1, totalAll: 1, totalBot: 0 },
        { ordinal: 3, uniqueHuman: 1, totalHuman: 1, uniqueAll: 1, totalAll: 1, totalBot: 0 },
        { ordinal: 4, uniqueHuman: 1, totalHuman: 1, uniqueAll: 2, totalAll: 3, totalBot: 2 },
        { ordinal: 5, uniqueHuman: 0, totalHuman: 0, uniqueAll: 0, totalAll: 0, totalBot: 0 },
      ]);
      expect(hot.totals).toMatchObject({ all: 8, human: 6, bot: 2 });
      // Shares: human of the 6 human clicks, all of the 8 clicks. Two links to one URL keep their own.
      expect(hot.links.map((l) => l.share)).toEqual([
        { human: 3 / 6, all: 3 / 8 },
        { human: 1 / 6, all: 1 / 8 },
        { human: 1 / 6, all: 1 / 8 },
        { human: 1 / 6, all: 3 / 8 },
        { human: 0, all: 0 },
      ]);
      expect(hot.shownShare.all).toBeCloseTo(1);

      // Each badge goes on the anchor it counts: the tag and its href, in the execution's HTML.
      const tags = ['<a href="https://shop.example/sale">', '<a href="https://shop.example/eu">', '<a title="a<b" href="https://shop.example/us">', '<a class="btn" href="https://shop.example/sale">'];
      for (const [index, link] of hot.links.filter((l) => l.part === 'html').entries()) {
        const { tag, href } = link.position!;
        expect(execution.html.slice(tag.start, tag.end)).toBe(tags[index]);
        expect(execution.html.slice(href.start, href.end)).toBe(link.raw);
      }
      expect(hot.links.find((l) => l.part === 'text')!.position).toBeNull();
    });

    it('a view of the blocks a condition, a contact or attributes select keeps shares of all the clicks', async () => {
      const eu = await get(R.ExecutionHotClicks, `/api/executions/${execution.id}/hot-clicks?condition=${encodeURIComponent('region:eu')}`);
      expect(eu.view).toEqual({ kind: 'condition', conditions: ['region:eu'], contactId: null });
      expect(eu.links.map((l) => l.ordinal)).toEqual([1, 2, 4, 5]);
      expect(eu.shownShare.all).toBeCloseTo(7 / 8);
      expect(eu.shownShare.human).toBeCloseTo(5 / 6);
      expect(eu.totals.all).toBe(8);

      const bob = await get(R.ExecutionHotClicks, `/api/executions/${execution.id}/hot-clicks?contact=${usContactId}`);
      expect(bob.view).toEqual({ kind: 'contact', conditions: ['region:us'], contactId: usContactId });
      expect(bob.links.map((l) => l.ordinal)).toEqual([1, 3, 4, 5]);

      const attributes = await get(R.ExecutionHotClicks, `/api/executions/${execution.id}/hot-clicks?attributes=${encodeURIComponent('{"Region":"EU"}')}`);
      expect(attributes.links.map((l) => l.ordinal)).toEqual([1, 2, 4, 5]);
      const nobody = await get(R.ExecutionHotClicks, `/api/executions/${execution.id}/hot-clicks?attributes=${encodeURIComponent('{}')}`);
      expect(nobody.view.conditions).toEqual([]);
      expect(nobody.links.map((l) => l.ordinal)).toEqual([1, 4, 5]);

      const both = await get(R.ExecutionHotClicks, `/api/executions/${execution.id}/hot-clicks?condition=region:eu&condition=region:us`);
      expect(both.links.map((l) => l.ordinal)).toEqual([1, 2, 3, 4, 5]);
    });

    it('refuses a view it cannot show, naming what is wrong', async () => {
      const base = `/api/executions/${execution.id}/hot-clicks`;
      const refused = async (query: string, status: number, message: RegExp) => {
        const response = await s.api('GET', `${base}?${query}`);
        expect(response.status, query).toBe(status);
        expect(response.body.message).toMatch(message);
      };
      await refused('condition=region:asia', 400, /"region:asia" is no condition label.*"region:eu", "region:us"/);
      await refused(`condition=region:eu&contact=${usContactId}`, 400, /at most one of condition, contact and attributes/);
      await refused('attributes=[1]', 400, /attributes: not a JSON object/);
      await refused('attributes={', 400, /attributes: not a JSON object/);
      await refused('contact=999999', 404, /contact 999999/);
      await refused('limit=3', 400, /limit/);
      expect((await s.api('GET', '/api/executions/999999/hot-clicks')).status).toBe(404);
      expect((await s.api('GET', '/api/campaigns/999999/hot-clicks')).status).toBe(404);
    });

    it("sums a recurring campaign's executions, each link matched to the last execution's and saying how", async () => {
      const next = await s.api('POST', `/api/campaigns/${campaignId}/executions`, { subject: 'Deals', html: HTML_NEXT, text: TEXT });
      const reader = await send(next.body.id, 'zoe@eu.example', 'eu');
      s.clock.advance(60 * MINUTE);
      await click(reader, 1, CHROME, '198.51.100.44');
      await click(reader, 2, CHROME, '198.51.100.44');

      const hot = await get(R.CampaignHotClicks, `/api/campaigns/${campaignId}/hot-clicks`);
      expect(hot.executionIds).toEqual([execution.id, next.body.id]);
      expect(hot.referenceExecutionId).toBe(next.body.id);
      const rows = hot.links.map((row) => ({
        ordinal: row.link.ordinal,
        url: row.link.url,
        totalAll: row.clicks.total.all,
        totalHuman: row.clicks.total.human,
        matches: row.matches.map((m) => `${m.executionId === execution.id ? 'first' : 'next'}#${m.ordinal} ${m.how}`),
      }));
      expect(rows).toEqual([
        { ordinal: 1, url: 'https://shop.example/sale', totalAll: 4, totalHuman: 4, matches: ['first#1 same-url-same-ordinal', 'next#1 reference'] },
        { ordinal: 2, url: 'https://shop.example/eu-autumn', totalAll: 2, totalHuman: 2, matches: ['first#2 same-position-other-url', 'next#2 reference'] },
        { ordinal: 3, url: 'https://shop.example/sale', totalAll: 3, totalHuman: 1, matches: ['first#4 same-url-nearest-position', 'next#3 reference'] },
        { ordinal: 4, url: 'https://shop.example/us', totalAll: 1, totalHuman: 1, matches: ['first#3 same-url-nearest-position', 'next#4 reference'] },
        { ordinal: 5, url: 'https://shop.example/sale', totalAll: 0, totalHuman: 0, matches: ['first#5 same-url-same-ordinal', 'next#5 reference'] },
      ]);
      expect(hot.unmatched).toEqual([]);
      expect(hot.totals).toMatchObject({ all: 10, human: 8 });
      expect(hot.links[0]!.share).toEqual({ human: 4 / 8, all: 4 / 10 });
      // Positions are the reference execution's.
      const tag = hot.links[2]!.link.position!.tag;
      expect(HTML_NEXT.slice(tag.start, tag.end)).toBe('<a class="btn" href="https://shop.example/sale">');
    });
  });
}
