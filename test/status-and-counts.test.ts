/**
 * A message's status (GET /api/messages/:id) and its place in the campaign report's counts agree, on
 * every dialect: for each ordered pair of events (a, then b), one message alone in its campaign, so
 * that the report's counts are exactly that message's facts. And no rate exceeds 1 through the server.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STATUS_PRECEDENCE, statusKey, type StatusKey } from '../src/core/message-status.js';
import { startTestServer, type TestServer } from './support/server.js';
import { testDialects } from './support/databases.js';

const HTML = '<p><a href="https://shop.example/a">A</a> <a href="https://shop.example/b">B</a></p>';
const CHROME = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/128.0 Safari/537.36';
const path = (url: string) => new URL(url).pathname;

interface Created {
  id: number;
  html: string;
  links: { tracked: string }[];
  honeypotUrl: string;
  unsubscribeUrl: string;
}

/** Every kind of event a message can get after it is queued, each made the way it is made in production. */
function kinds(s: TestServer) {
  const report = (body: object) => (m: Created) => s.api('POST', `/api/messages/${m.id}/events`, body);
  const request = (method: 'GET' | 'HEAD', url: (m: Created) => string) => (m: Created) =>
    s.app.inject({ method, url: path(url(m)), headers: { 'user-agent': CHROME, 'accept-language': 'en', 'x-forwarded-for': `198.51.100.${(m.id % 250) + 1}` } });
  const pixel = (m: Created) => /<img src="([^"]+)"/.exec(m.html)![1]!;
  return {
    sent: report({ type: 'sent' }),
    delivered: report({ type: 'delivered' }),
    deferred: report({ type: 'deferred', code: 451 }),
    hardBounce: report({ type: 'bounced', bounceType: 'hard', code: 550, status: '5.1.1' }),
    softBounce: report({ type: 'bounced', bounceType: 'soft', code: 452, status: '4.2.2' }),
    complained: report({ type: 'complained' }),
    unsubscribed: (m: Created) =>
      s.app.inject({ method: 'POST', url: path(m.unsubscribeUrl), headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'List-Unsubscribe=One-Click' }),
    opened: request('GET', pixel),
    clicked: request('GET', (m) => m.links[0]!.tracked),
    honeypotClick: request('GET', (m) => m.honeypotUrl),
    probedLink: request('HEAD', (m) => m.links[0]!.tracked),
    probedPixel: request('HEAD', pixel),
    unsubscribePage: request('GET', (m) => m.unsubscribeUrl),
  } satisfies Record<string, (m: Created) => Promise<unknown>>;
}

const DELIVERED: StatusKey[] = ['complained', 'unsubscribed', 'clicked', 'opened', 'delivered'];
const UNSENT: StatusKey[] = ['queued', 'blocked'];
const rank = (key: StatusKey) => STATUS_PRECEDENCE.findIndex((s) => s.key === key);
const one = (yes: boolean) => (yes ? 1 : 0);

/** The report's counts for a campaign of one message, against that message's status. */
function expectAgreement(key: StatusKey, inferredOpen: boolean, t: any, label: string) {
  expect(t.messages, label).toBe(1);
  expect(t.sent, label).toBe(one(!UNSENT.includes(key)));
  expect(t.delivered, label).toBe(one(DELIVERED.includes(key)));
  expect(t.hardBounced, label).toBe(one(key === 'bounced-hard'));
  expect(t.softBounced, label).toBe(one(key === 'bounced-soft'));
  expect(t.bounced, label).toBe(one(key.startsWith('bounced')));
  expect(t.deferred, label).toBe(one(key === 'deferred'));
  expect(t.blocked, label).toBe(one(key === 'blocked'));
  expect(t.complained, label).toBe(one(key === 'complained'));
  // Unsubscribes, clicks and opens are outranked only by what the recipient said after them.
  expect(t.unsubscribed === 1 ? rank(key) <= rank('unsubscribed') : key !== 'unsubscribed', label).toBe(true);
  expect(t.uniqueClicks === 1 ? rank(key) <= rank('clicked') : key !== 'clicked', label).toBe(true);
  expect(t.uniqueOpens === 1 ? rank(key) <= rank('opened') : key !== 'opened' && key !== 'clicked', label).toBe(true);
  expect(t.uniqueOpens, label).toBeGreaterThanOrEqual(t.uniqueClicks);
  expect(t.inferredOpens, label).toBe(one(inferredOpen));
  expect(t.unsubscribedOpens, label).toBe(t.uniqueOpens * t.unsubscribed);
}

for (const dialect of await testDialects()) {
  describe(`status and report counts agree on ${dialect}`, () => {
    let s: TestServer;
    beforeAll(async () => {
      s = await startTestServer(dialect);
    });
    afterAll(async () => s?.close());

    async function alone(label: string, events: ((m: Created) => Promise<unknown>)[]) {
      const campaign = await s.api('POST', '/api/campaigns', { name: label, tracking: { honeypot: true } });
      const execution = await s.api('POST', `/api/campaigns/${campaign.body.id}/executions`, { subject: label, html: HTML });
      const created = await s.api('POST', '/api/messages', { executionId: execution.body.id, to: [`m${campaign.body.id}@corp.example`] });
      expect(created.status, label).toBe(201);
      for (const event of events) {
        s.clock.advance(60_000);
        await event(created.body);
      }
      const view = await s.api('GET', `/api/messages/${created.body.id}`);
      const report = await s.api('GET', `/api/campaigns/${campaign.body.id}/report`);
      expect(report.status, label).toBe(200);
      return { key: statusKey(view.body.status), inferredOpen: view.body.inferredOpen as boolean, totals: report.body.totals };
    }

    it('for a queued message and for a blocked one', async () => {
      const queued = await alone('queued', []);
      expect(queued.key).toBe('queued');
      expectAgreement(queued.key, queued.inferredOpen, queued.totals, 'queued');

      const campaign = await s.api('POST', '/api/campaigns', { name: 'blocked' });
      const execution = await s.api('POST', `/api/campaigns/${campaign.body.id}/executions`, { subject: 'b', html: HTML });
      // Suppress the address through a complaint on a first message, then send it a second one.
      const first = await s.api('POST', '/api/messages', { executionId: execution.body.id, to: ['blocked@corp.example'] });
      await s.api('POST', `/api/messages/${first.body.id}/events`, { type: 'complained' });
      const other = await s.api('POST', '/api/campaigns', { name: 'blocked, alone' });
      const otherExecution = await s.api('POST', `/api/campaigns/${other.body.id}/executions`, { subject: 'b', html: HTML });
      const blocked = await s.api('POST', '/api/messages', { executionId: otherExecution.body.id, to: ['blocked@corp.example'] });
      const view = await s.api('GET', `/api/messages/${blocked.body.id}`);
      const report = await s.api('GET', `/api/campaigns/${other.body.id}/report`);
      expect(statusKey(view.body.status)).toBe('blocked');
      expectAgreement('blocked', view.body.inferredOpen, report.body.totals, 'blocked');
    });

    it('for every ordered pair of events (a, then b)', async () => {
      const k = kinds(s);
      const names = Object.keys(k) as (keyof typeof k)[];
      const statusAlone = new Map<string, StatusKey>();
      for (const a of names) {
        const { key, inferredOpen, totals } = await alone(a, [k[a]]);
        expectAgreement(key, inferredOpen, totals, a);
        statusAlone.set(a, key);
      }
      // The ones that are nobody's engagement change nothing.
      for (const none of ['honeypotClick', 'probedLink', 'probedPixel', 'unsubscribePage']) expect(statusAlone.get(none), none).toBe('queued');
      for (const a of names) {
        // The messages of one row are independent (each alone in its campaign): they run side by side.
        await Promise.all(
          names.map(async (b) => {
            const label = `${a} then ${b}`;
            const { key, inferredOpen, totals } = await alone(label, [k[a], k[b]]);
            expectAgreement(key, inferredOpen, totals, label);
            // The precedence, whatever the order: the pair's status is the higher of the two alone.
            expect(rank(key), label).toBe(Math.min(rank(statusAlone.get(a)!), rank(statusAlone.get(b)!)));
          }),
        );
      }
    }, 120_000);
  });

  describe(`rates never exceed 1 on ${dialect}`, () => {
    let s: TestServer;
    let campaignId: number;
    let executionId: number;
    beforeAll(async () => {
      s = await startTestServer(dialect);
      campaignId = (await s.api('POST', '/api/campaigns', { name: 'rates' })).body.id;
      executionId = (await s.api('POST', `/api/campaigns/${campaignId}/executions`, { subject: 'r', html: HTML })).body.id;
    });
    afterAll(async () => s?.close());

    async function message(email: string): Promise<Created> {
      return (await s.api('POST', '/api/messages', { executionId, to: [email] })).body;
    }
    const open = (m: Created, ip: string, ua = CHROME) =>
      s.app.inject({ method: 'GET', url: path(/<img src="([^"]+)"/.exec(m.html)![1]!), headers: { 'user-agent': ua, 'accept-language': 'en', 'x-forwarded-for': ip } });
    const unsubscribe = (m: Created) =>
      s.app.inject({ method: 'POST', url: path(m.unsubscribeUrl), headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'List-Unsubscribe=One-Click' });

    it('counts opened messages as delivered: one delivery report and two opened messages give an open rate of 1, not 2', async () => {
      const campaign = await s.api('POST', '/api/campaigns', { name: 'two opens' });
      const execution = await s.api('POST', `/api/campaigns/${campaign.body.id}/executions`, { subject: 'o', html: HTML });
      const [reported, unreported] = await Promise.all(['a@two.example', 'b@two.example'].map(async (to) => (await s.api('POST', '/api/messages', { executionId: execution.body.id, to: [to] })).body as Created));
      await s.api('POST', `/api/messages/${reported!.id}/events`, { type: 'delivered' });
      s.clock.advance(3_600_000);
      await open(reported!, '198.51.100.1');
      await open(unreported!, '198.51.100.2');
      const { body } = await s.api('GET', `/api/campaigns/${campaign.body.id}/report`);
      expect(body.totals).toMatchObject({ sent: 2, delivered: 2, uniqueOpens: 2 });
      expect(body.rates.openRate).toBe(1);
      expect(body.rates.deliveryRate).toBe(1);
      expect(body.humanRates.openRate).toBe(1);
    });

    it('divides, in both columns, the unique opens that unsubscribed by the unique opens', async () => {
      // Human opens: ann (unsubscribes) and bob; a bot opens carl's (unsubscribes); dan and eve unsubscribe
      // by one click in their mail client without opening.
      const [ann, bob, carl, dan, eve] = await Promise.all(['ann', 'bob', 'carl', 'dan', 'eve'].map((n) => message(`${n}@unsub.example`)));
      for (const m of [ann!, bob!, carl!, dan!, eve!]) await s.api('POST', `/api/messages/${m.id}/events`, { type: 'delivered' });
      s.clock.advance(3_600_000);
      await open(ann!, '198.51.100.11');
      await open(bob!, '198.51.100.12');
      await open(carl!, '198.51.100.13', 'curl/8.5.0');
      for (const m of [ann!, carl!, dan!, eve!]) expect((await unsubscribe(m)).statusCode).toBe(200);

      const { body } = await s.api('GET', `/api/campaigns/${campaignId}/report`);
      expect(body.totals).toMatchObject({ unsubscribed: 4, uniqueOpens: 3, unsubscribedOpens: 2 });
      expect(body.totals.byVerdict.human).toMatchObject({ uniqueOpens: 2, unsubscribedOpens: 1 });
      expect(body.totals.byVerdict.bot).toMatchObject({ uniqueOpens: 1, unsubscribedOpens: 1 });
      expect(body.rates.unsubscribeRate).toBeCloseTo(2 / 3);
      expect(body.humanRates.unsubscribeRate).toBeCloseTo(1 / 2);
    });
  });
}
