/**
 * The lists behind report figures (GET /api/campaigns/:id/contacts, /api/executions/:id/contacts and
 * their CSV exports) on every dialect: for a campaign with mixed traffic over two executions, every
 * list, paged by keyset, has exactly as many rows as the counter of the figure it stands behind.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NewEvent } from '../src/core/events.js';
import { DRILL_FIGURES, type DrillFigure } from '../src/core/drill-down.js';
import { OUTCOME_STATUSES, SCOPES, type Scope, type StatusKey } from '../src/core/message-status.js';
import { parseCsv } from '../src/core/csv.js';
import { readCounters } from '../src/adapters/storage/report-counter-store.js';
import { KyselyDrillDownStore } from '../src/adapters/storage/drill-down-queries.js';
import { drillSelection } from '../src/core/drill-down.js';
import type { Verdict } from '../src/core/nhi/verdict.js';
import { testDialects } from './support/databases.js';
import { startTestServer, type TestServer } from './support/server.js';

const HTML = '<p><a href="https://shop.example/a">A</a> <a href="https://shop.example/b">B</a></p>';
const MESSAGES = 120;
const DOMAINS = ['gmail.com', 'outlook.com', 'corp.example'];

/** A small deterministic generator (xorshift): the same traffic on every dialect and run. */
function random(seed: number): () => number {
  let x = seed;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

/** The counters each status figure sums (OUTCOME_STATUSES), as the report reads them. */
const STATUS_SUMS: Partial<Record<DrillFigure, readonly StatusKey[]>> = {
  attempted: OUTCOME_STATUSES.attempted,
  sent: OUTCOME_STATUSES.sent,
  sending: OUTCOME_STATUSES.sending,
  delivered: OUTCOME_STATUSES.delivered,
  deferred: OUTCOME_STATUSES.deferred,
  bounced: [...OUTCOME_STATUSES.hardBounced, ...OUTCOME_STATUSES.softBounced],
  'hard-bounced': OUTCOME_STATUSES.hardBounced,
  'soft-bounced': OUTCOME_STATUSES.softBounced,
  blocked: OUTCOME_STATUSES.blocked,
};
const FACTS: Partial<Record<DrillFigure, string>> = { opened: 'opened', clicked: 'clicked', 'inferred-open': 'inferredOpen', 'unsubscribed-open': 'unsubscribedOpen' };

/** Mixed traffic for one message: delivery outcomes with reasons, hits of every verdict, probes, complaints, unsubscribes. */
function traffic(m: { id: number; campaignId: number }, next: () => number, start: number): NewEvent[] {
  const events: NewEvent[] = [];
  let at = start;
  const add = (e: Omit<NewEvent, 'messageId' | 'campaignId' | 'at'>) => events.push({ messageId: m.id, campaignId: m.campaignId, at: (at += 1000), ...e });
  const pick = <T>(items: readonly T[]) => items[Math.floor(next() * items.length)]!;
  const hit = (type: 'opened' | 'clicked', verdict: Verdict, method = 'GET', linkOrdinal: number | null = null) =>
    add({
      type,
      source: type === 'opened' ? 'pixel' : 'redirect',
      hit: { method, ip: '198.51.100.7', userAgent: 'test', headers: {}, linkOrdinal },
      judgement: { verdict, reasons: [verdict === 'bot' ? pick(['burst', 'network']) : 'ok'], at },
    });
  const fate = next();
  if (fate < 0.08) {
    add({ type: 'blocked', source: 'smtp', reason: pick(['suppressed', 'duplicate']) });
    return events;
  }
  add({ type: 'sending', source: 'smtp' });
  if (fate < 0.12) return events;
  add({ type: 'sent', source: 'smtp' });
  if (fate < 0.2) {
    add({ type: 'bounced', source: 'dsn', subtype: 'hard', reason: pick(['userunknown', 'hostunknown']) });
    if (next() < 0.3) hit('opened', 'bot');
    return events;
  }
  if (fate < 0.26) {
    add({ type: 'bounced', source: 'dsn', subtype: 'soft', reason: pick(['mailboxfull', 'undefined']) });
    return events;
  }
  if (fate < 0.3) {
    add({ type: 'deferred', source: 'webhook', reason: 'greylisted' });
    return events;
  }
  if (next() < 0.8) add({ type: 'delivered', source: 'webhook' });
  if (next() < 0.3) hit('opened', 'bot', next() < 0.5 ? 'HEAD' : 'GET');
  if (next() < 0.3) hit('clicked', 'bot', next() < 0.4 ? 'HEAD' : 'GET', pick([1, 2]));
  if (next() < 0.2) hit('opened', 'machine');
  if (next() < 0.5) hit('opened', 'human');
  if (next() < 0.35) hit('clicked', pick(['human', 'human', 'self'] as const), 'GET', pick([1, 2]));
  if (next() < 0.1) hit('clicked', 'human', 'GET', 0);
  if (next() < 0.08) add({ type: 'complained', source: 'arf' });
  if (next() < 0.1) add({ type: 'unsubscribed', source: 'unsubscribe', subtype: 'one-click' });
  return events;
}

for (const dialect of await testDialects()) {
  describe(`lists behind report figures (${dialect})`, () => {
    let s: TestServer;
    let campaignId: number;
    const executions: number[] = [];
    let counters: Map<number, Map<string, number>>;

    beforeAll(async () => {
      s = await startTestServer(dialect);
      campaignId = (await s.api('POST', '/api/campaigns', { name: 'drill' })).body.id;
      for (let i = 0; i < 2; i++) executions.push((await s.api('POST', `/api/campaigns/${campaignId}/executions`, { subject: `issue ${i}`, html: HTML })).body.id);
      const next = random(20261104);
      const events: NewEvent[] = [];
      for (let i = 0; i < MESSAGES; i++) {
        const to = `User${i}+tag@${DOMAINS[i % DOMAINS.length]}`;
        const created = await s.api('POST', '/api/messages', { executionId: executions[i % 2], to: [to] });
        expect(created.status).toBe(201);
        events.push(...traffic({ id: created.body.id, campaignId }, next, s.clock.now()));
      }
      // A message to two people at once: no contact, its first recipient stands for it.
      const shared = await s.api('POST', '/api/messages', { executionId: executions[0], to: ['shared-a@corp.example', 'shared-b@corp.example'] });
      events.push({ messageId: shared.body.id, campaignId, type: 'delivered', source: 'api', at: s.clock.now() });
      await s.storage.events.append(events);
      counters = await readCounters(s.storage.database.db, { campaignId });
    });
    afterAll(async () => s?.close());

    const count = (name: string, executionId?: number) =>
      [...counters].filter(([e]) => executionId === undefined || e === executionId).reduce((sum, [, c]) => sum + (c.get(name) ?? 0), 0);

    /** What the report says the list holds. */
    function expected(figure: DrillFigure, scope: Scope, extra: { reason?: string; ordinal?: number }, executionId?: number): number {
      const c = (name: string) => count(name, executionId);
      if (figure === 'messages') return c('messages');
      if (figure === 'link') return c(`link:${extra.ordinal}:clicked:${scope}`);
      if (figure === 'complained' || figure === 'unsubscribed') return c(figure);
      if (FACTS[figure]) return c(`fact:${FACTS[figure]}:${scope}`);
      const statuses = STATUS_SUMS[figure]!;
      return statuses.reduce((sum, key) => sum + (extra.reason === undefined ? c(`status:${key}`) : c(`reason:${key}:${extra.reason}`)), 0);
    }

    /** Every row of a list, a page of 7 at a time, following `next`. */
    async function all(path: string, query: string): Promise<any[]> {
      const rows: any[] = [];
      let after: string | null = null;
      for (;;) {
        const page = await s.api('GET', `${path}?${query}&limit=7${after ? `&after=${after}` : ''}`);
        expect(page.status, `${path}?${query}`).toBe(200);
        rows.push(...page.body.rows);
        if (page.body.next === null) return rows;
        after = page.body.next;
      }
    }

    const reasons = ['userunknown', 'hostunknown', 'mailboxfull', 'undefined', 'suppressed', 'duplicate', 'nosuchreason'];
    function* lists(): Generator<{ figure: DrillFigure; scope: Scope; reason?: string; ordinal?: number }> {
      for (const figure of DRILL_FIGURES) {
        if (figure === 'link') {
          for (const ordinal of [1, 2, 3]) for (const scope of SCOPES) yield { figure, scope, ordinal };
        } else if (FACTS[figure]) {
          for (const scope of SCOPES) yield { figure, scope };
        } else {
          yield { figure, scope: 'all' };
          if (['bounced', 'hard-bounced', 'soft-bounced', 'blocked'].includes(figure)) for (const reason of reasons) yield { figure, scope: 'all', reason };
        }
      }
    }
    const queryOf = (l: { figure: string; scope: string; reason?: string; ordinal?: number }) =>
      `figure=${l.figure}&scope=${l.scope}${l.reason ? `&reason=${l.reason}` : ''}${l.ordinal ? `&ordinal=${l.ordinal}` : ''}`;

    it('every list of a campaign has as many rows as its figure, in keyset order, each row once', async () => {
      let nonEmpty = 0;
      for (const list of lists()) {
        const rows = await all(`/api/campaigns/${campaignId}/contacts`, queryOf(list));
        const label = queryOf(list);
        expect(rows.length, label).toBe(expected(list.figure, list.scope, list));
        const ids = rows.map((r) => r.messageId);
        expect(ids, label).toEqual([...new Set(ids)].sort((a, b) => a - b));
        if (rows.length > 0) nonEmpty++;
      }
      // The traffic is mixed enough that most lists hold someone, and every kind of figure is tried on some.
      expect(nonEmpty).toBeGreaterThan(40);
      for (const name of ['complained', 'unsubscribed', 'fact:inferredOpen:human', 'fact:unsubscribedOpen:all', 'link:1:clicked:bot', 'link:2:clicked:self', 'reason:blocked:duplicate', 'reason:bounced-soft:mailboxfull', 'status:deferred', 'status:sending']) {
        expect(count(name), name).toBeGreaterThan(0);
      }
      // Probes and the honeypot count for nothing: more clicks were made than the lists hold.
      expect(count('fact:clicked:bot')).toBeLessThan(count('fact:clicked:all'));
    });

    it("an execution's lists hold its messages only, as many as its counters say", async () => {
      for (const list of lists()) {
        const rows = await all(`/api/executions/${executions[1]}/contacts`, queryOf(list));
        expect(rows.length, queryOf(list)).toBe(expected(list.figure, list.scope, list, executions[1]));
        expect(rows.every((r) => r.executionId === executions[1])).toBe(true);
      }
    });

    it('rows carry the contact, status, reason, provider and the engagement of the scope', async () => {
      const rows = await all(`/api/campaigns/${campaignId}/contacts`, 'figure=clicked&scope=human');
      expect(rows.length).toBeGreaterThan(0);
      for (const r of rows) {
        expect(r).toMatchObject({ campaignId, opened: true, clicked: true });
        expect(r.firstClickAt).toEqual(expect.any(Number));
        expect(r.email).toMatch(/^user\d+\+tag@/);
        expect(r.contactId).toEqual(expect.any(Number));
      }
      const hard = await all(`/api/campaigns/${campaignId}/contacts`, 'figure=hard-bounced');
      expect(hard.every((r) => r.status === 'bounced-hard' && ['userunknown', 'hostunknown'].includes(r.reason))).toBe(true);
      const providers = new Set((await all(`/api/campaigns/${campaignId}/contacts`, 'figure=messages')).map((r) => r.provider));
      expect(providers.size).toBeGreaterThan(1);
      const shared = (await all(`/api/campaigns/${campaignId}/contacts`, 'figure=messages')).find((r) => r.contactId === null);
      expect(shared).toMatchObject({ email: 'shared-a@corp.example', status: 'delivered' });
    });

    it('filters by address prefix, case-insensitively, whether the prefix names few contacts or many', async () => {
      const everyone = await all(`/api/campaigns/${campaignId}/contacts`, 'figure=delivered');
      const filtered = await all(`/api/campaigns/${campaignId}/contacts`, 'figure=delivered&address=USER1');
      expect(filtered.map((r) => r.messageId)).toEqual(everyone.filter((r) => r.email.startsWith('user1')).map((r) => r.messageId));
      expect(filtered.length).toBeGreaterThan(0);
      // The walk with an address test on each message (a prefix naming more contacts than are read by contact).
      const walking = new KyselyDrillDownStore(s.storage.database.db, 0);
      for (const figure of ['delivered', 'opened', 'messages', 'link'] as const) {
        const selection = drillSelection({ figure, scope: 'all', ...(figure === 'link' ? { ordinal: 1 } : {}) });
        const request = { of: { campaignId }, selection, scope: 'all' as const, address: 'user1', limit: 1000 };
        const [walked, byContact] = await Promise.all([walking.page(request), s.storage.drillDown.page(request)]);
        expect(walked.map((r) => r.messageId)).toEqual(byContact.map((r) => r.messageId));
      }
      expect((await all(`/api/campaigns/${campaignId}/contacts`, 'figure=delivered&address=nobody')).length).toBe(0);
    });

    it('exports a list as CSV, streamed, with a header and every row', async () => {
      const response = await s.app.inject({ method: 'GET', url: `/api/campaigns/${campaignId}/contacts.csv?figure=opened&scope=human`, headers: { authorization: `Bearer ${s.apiKey}` } });
      expect(response.statusCode).toBe(200);
      expect(response.headers['content-type']).toBe('text/csv; charset=utf-8');
      expect(response.headers['content-disposition']).toBe(`attachment; filename="campaign-${campaignId}-opened-human.csv"`);
      const records = parseCsv(response.body);
      expect(records[0]!.fields).toEqual(['message_id', 'campaign_id', 'execution_id', 'contact_id', 'email', 'status', 'reason', 'provider', 'created_at', 'opened', 'clicked', 'first_open_at', 'first_click_at']);
      const rows = await all(`/api/campaigns/${campaignId}/contacts`, 'figure=opened&scope=human');
      expect(records.slice(1).map((r) => Number(r.fields[0]))).toEqual(rows.map((r) => r.messageId));
      expect(records.slice(1).map((r) => r.fields[4])).toEqual(rows.map((r) => r.email));
      const execution = await s.app.inject({ method: 'GET', url: `/api/executions/${executions[0]}/contacts.csv?figure=link&ordinal=2`, headers: { authorization: `Bearer ${s.apiKey}` } });
      expect(parseCsv(execution.body).length - 1).toBe(expected('link', 'all', { ordinal: 2 }, executions[0]));
    });

    it('refuses bad input with a 400 naming the parameter, and unknown campaigns with a 404', async () => {
      const base = `/api/campaigns/${campaignId}/contacts`;
      const refused = async (query: string, mention: string) => {
        const r = await s.api('GET', `${base}?${query}`);
        expect(r.status, query).toBe(400);
        expect(r.body.message, query).toContain(mention);
      };
      await refused('figure=link', 'ordinal');
      await refused('figure=link&ordinal=0', 'ordinal');
      await refused('figure=opened&reason=userunknown', 'reason');
      await refused('figure=opened&ordinal=1', 'ordinal');
      await refused('figure=opened&scope=robots', 'scope');
      await refused('figure=everything', 'figure');
      await refused('figure=opened&limit=501', 'limit');
      await refused('figure=opened&after=-1', 'after');
      await refused('figure=opened&colour=red', 'colour');
      await refused('', 'figure');
      const csv = await s.app.inject({ method: 'GET', url: `${base}.csv?figure=link`, headers: { authorization: `Bearer ${s.apiKey}` } });
      expect(csv.statusCode).toBe(400);
      expect((await s.api('GET', '/api/campaigns/999999/contacts?figure=opened')).status).toBe(404);
      expect((await s.api('GET', '/api/executions/999999/contacts?figure=opened')).status).toBe(404);
    });
  });
}
