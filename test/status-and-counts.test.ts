/**
 * A message's status (GET /api/messages/:id) and its place in the campaign report's counts agree, on
 * every dialect: for each ordered pair of events (a, then b), one message alone in its campaign, so
 * that the report's counts are exactly that message's facts. The report's SQL counts are the sums of
 * `reportFacts` over any set of events. And no rate exceeds 1 through the server.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CampaignTotals, EngagementTotals } from '../src/app/ports.js';
import type { NewEvent, StoredEvent } from '../src/core/events.js';
import {
  ENGAGEMENT_HITS,
  passes,
  REASON_COUNT_NAMES,
  REASON_COUNTS,
  reportFacts,
  STATUS_PRECEDENCE,
  statusKey,
  type ReasonCount,
  type ReportFacts,
  type Scope,
  type StatusEvent,
  type StatusKey,
} from '../src/core/message-status.js';
import { VERDICTS, type Verdict } from '../src/core/nhi/verdict.js';
import { startTestServer, type TestServer } from './support/server.js';
import { testDialects } from './support/databases.js';

const HTML = '<p><a href="https://shop.example/a">A</a> <a href="https://shop.example/b">B</a></p>';
const CHROME = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/128.0 Safari/537.36';
const path = (url: string) => new URL(url).pathname;

interface Created {
  id: number;
  campaignId: number;
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
  // Written by our sending code, not reported through the API.
  const written = (event: Pick<NewEvent, 'type' | 'reason'>) => (m: Created) =>
    s.storage.events.append([{ ...event, messageId: m.id, campaignId: m.campaignId, at: s.clock.now(), source: 'smtp' }]);
  return {
    sending: written({ type: 'sending' }),
    relayDeferred: written({ type: 'deferred', reason: 'undefined' }),
    duplicateBlocked: written({ type: 'blocked', reason: 'duplicate' }),
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
const UNSENT: StatusKey[] = ['queued', 'sending', 'blocked'];
const rank = (key: StatusKey) => STATUS_PRECEDENCE.findIndex((s) => s.key === key);
const one = (yes: boolean) => (yes ? 1 : 0);

/** The report's counts for a campaign of one message, against that message's status. */
function expectAgreement(key: StatusKey, inferredOpen: boolean, t: any, label: string) {
  expect(t.messages, label).toBe(1);
  expect(t.sent, label).toBe(one(!UNSENT.includes(key)));
  expect(t.sending, label).toBe(one(key === 'sending'));
  expect(t.attempted, label).toBe(one(key !== 'queued'));
  expect(t.delivered, label).toBe(one(DELIVERED.includes(key)));
  expect(t.hardBounced, label).toBe(one(key === 'bounced-hard'));
  expect(t.softBounced, label).toBe(one(key === 'bounced-soft'));
  expect(t.bounced, label).toBe(one(key.startsWith('bounced')));
  expect(t.deferred, label).toBe(one(key === 'deferred'));
  expect(t.blocked, label).toBe(one(key === 'blocked'));
  // Every bounced or blocked message is counted under one reason.
  const sum = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);
  expect(sum(t.bouncesByReason), label).toBe(t.bounced);
  expect(sum(t.blockedByReason), label).toBe(t.blocked);
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

  describe(`the report's SQL counts are the sums of reportFacts on ${dialect}`, () => {
    let s: TestServer;
    beforeAll(async () => {
      s = await startTestServer(dialect);
    });
    afterAll(async () => s?.close());

    const EVENT_KINDS = ['queued', 'sending', 'sent', 'delivered', 'deferred', 'bounced', 'blocked', 'complained', 'unsubscribed', 'opened', 'clicked', 'unsubscribe_page'] as const;
    it('for any events of any messages: statuses, reasons (ties in time included), recipients, verdicts', async () => {
      const reason = fc.constantFrom(null, 'userunknown', 'mailboxfull', 'expired', 'hard-bounce', 'complained', 'duplicate', 'duplicate-key');
      const verdict = fc.constantFrom<Verdict | null>(null, ...VERDICTS);
      // Few distinct times, so that several events of a message often share one: the id decides then.
      const event = fc.record({
        // Bounces and blocks twice as often: their reasons are what the counts by reason pick among.
        type: fc.constantFrom(...EVENT_KINDS, 'bounced', 'bounced', 'blocked'),
        subtype: fc.constantFrom(null, 'hard', 'soft'),
        at: fc.integer({ min: 0, max: 3 }),
        reason,
        recipient: fc.constantFrom(null, 'ann@any.example', 'bob@any.example'),
        method: fc.constantFrom('GET', 'HEAD'),
        linkOrdinal: fc.constantFrom(0, 1, 2),
        verdict,
        // Our relay's own answers (a deferral from it is a retry to come, not the recipient's server).
        fromRelay: fc.boolean(),
      });
      const campaign = fc.array(fc.array(event, { maxLength: 7 }), { minLength: 1, maxLength: 6 });
      let run = 0;
      await fc.assert(
        fc.asyncProperty(campaign, async (messages) => {
          run++;
          const campaignId = (await s.api('POST', '/api/campaigns', { name: `facts ${run}` })).body.id as number;
          const executionId = (await s.api('POST', `/api/campaigns/${campaignId}/executions`, { subject: 'f', html: HTML })).body.id;
          const created = await Promise.all(messages.map(async (_, i) => (await s.api('POST', '/api/messages', { executionId, to: [`m${i}@facts${run}.example`] })).body as Created));
          const start = s.clock.now();
          await s.storage.events.append(
            messages.flatMap((events, i) =>
              events.map((e): NewEvent => {
                const hit = e.type === 'opened' || e.type === 'clicked' || e.type === 'unsubscribe_page';
                return {
                  messageId: created[i]!.id,
                  campaignId,
                  type: e.type,
                  at: start + e.at,
                  source: hit ? 'pixel' : e.fromRelay ? 'smtp' : 'api',
                  subtype: e.type === 'bounced' ? e.subtype : null,
                  recipient: e.recipient,
                  reason: e.reason,
                  hit: hit ? { method: e.method, ip: null, userAgent: null, headers: {}, linkOrdinal: e.type === 'clicked' ? e.linkOrdinal : null } : null,
                  judgement: hit && e.verdict ? { verdict: e.verdict, reasons: [], at: start } : null,
                };
              }),
            ),
          );
          // The facts in TypeScript, over the events as stored (with their ids and the queued event of creation).
          const stored = await Promise.all(created.map((m) => s.storage.events.listForMessage(m.id)));
          const expected = sumFacts(stored.map((events) => events.map(statusEvent)));
          expect(await s.storage.reports.campaignTotals(campaignId)).toEqual(expected);
        }),
        { numRuns: 80 },
      );
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

/** A stored event as the status machine reads it. */
function statusEvent(e: StoredEvent): StatusEvent {
  return {
    id: e.id,
    type: e.type,
    at: e.at,
    method: e.hit?.method ?? null,
    linkOrdinal: e.hit?.linkOrdinal ?? null,
    source: e.source,
    bounceType: e.type === 'bounced' ? (e.subtype === 'hard' ? 'hard' : 'soft') : null,
    verdict: e.judgement?.verdict ?? null,
    reason: e.reason ?? null,
  };
}

/** The campaign totals as the sum of each message's reportFacts (and its hits, for the totals of hits). */
function sumFacts(messages: StatusEvent[][]): CampaignTotals {
  const facts = messages.map(reportFacts);
  const count = (has: (f: ReportFacts) => boolean) => facts.filter(has).length;
  const hits = (test: keyof typeof ENGAGEMENT_HITS, scope: Scope) =>
    messages.flat().filter((e) => passes(e, ENGAGEMENT_HITS[test]) && (scope === 'all' || e.verdict === scope)).length;
  const engagement = (scope: Scope): EngagementTotals => ({
    uniqueOpens: count((f) => f.byScope[scope].opened),
    inferredOpens: count((f) => f.byScope[scope].inferredOpen),
    totalOpens: hits('open', scope),
    uniqueClicks: count((f) => f.byScope[scope].clicked),
    totalClicks: hits('click', scope),
    unsubscribedOpens: count((f) => f.byScope[scope].unsubscribedOpen),
  });
  const byReason = (name: ReasonCount) => {
    const counts: Record<string, number> = {};
    for (const f of facts) if ((REASON_COUNTS[name] as readonly StatusKey[]).includes(f.status)) counts[f.reason!] = (counts[f.reason!] ?? 0) + 1;
    return counts;
  };
  return {
    messages: facts.length,
    attempted: count((f) => f.attempted),
    sent: count((f) => f.sent),
    sending: count((f) => f.sending),
    delivered: count((f) => f.delivered),
    deferred: count((f) => f.deferred),
    hardBounced: count((f) => f.hardBounced),
    softBounced: count((f) => f.softBounced),
    blocked: count((f) => f.blocked),
    ...(Object.fromEntries(REASON_COUNT_NAMES.map((name) => [name, byReason(name)])) as Record<ReasonCount, Record<string, number>>),
    complained: count((f) => f.complained),
    unsubscribed: count((f) => f.unsubscribed),
    ...engagement('all'),
    byVerdict: Object.fromEntries(VERDICTS.map((v) => [v, engagement(v)])) as Record<Verdict, EngagementTotals>,
  };
}
