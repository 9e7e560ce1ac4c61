/**
 * Contacts through the API on every dialect: one contact with every message sent to it and the
 * timeline of their events; the contacts list with a status column per chosen campaign, sorted and
 * filtered by those statuses, searched by address, paged by keyset. Expected statuses come from each
 * message's status as GET /api/messages/:id derives it from the events, not from the facts the lists read.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NewEvent } from '../src/core/events.js';
import { statusKey, type StatusKey } from '../src/core/message-status.js';
import { campaignStatusOf, ContactService, statusRank, type CampaignStatus } from '../src/app/contacts.js';
import { KyselyContactStore } from '../src/adapters/storage/contact-queries.js';
import { testDialects } from './support/databases.js';
import { startTestServer, type TestServer } from './support/server.js';

const HTML = '<p><a href="https://shop.example/a">A</a> <a href="https://shop.example/b">B</a></p>';
const TARGETS = ['delivered', 'opened', 'clicked', 'bounced-hard', 'bounced-soft', 'complained', 'unsubscribed', 'deferred', 'sent', 'blocked', 'queued'] as const;
const CONTACTS = 24;

/** Events that bring a message to a status. */
function eventsFor(target: (typeof TARGETS)[number], m: { id: number; campaignId: number }, at: number): NewEvent[] {
  const e = (type: NewEvent['type'], extra: Partial<NewEvent> = {}): NewEvent => ({ messageId: m.id, campaignId: m.campaignId, type, at: (at += 1000), source: 'api', ...extra });
  const hit = (type: 'opened' | 'clicked', linkOrdinal: number | null) =>
    e(type, { source: type === 'opened' ? 'pixel' : 'redirect', hit: { method: 'GET', ip: '198.51.100.9', userAgent: 'test', headers: {}, linkOrdinal }, judgement: { verdict: 'human', reasons: ['ok'], at } });
  switch (target) {
    case 'queued':
      return [];
    case 'blocked':
      return [e('blocked', { source: 'smtp', reason: 'suppressed' })];
    case 'sent':
      return [e('sent')];
    case 'deferred':
      return [e('sent'), e('deferred', { reason: 'greylisted' })];
    case 'delivered':
      return [e('sent'), e('delivered')];
    case 'bounced-hard':
      return [e('sent'), e('bounced', { subtype: 'hard', reason: 'userunknown' })];
    case 'bounced-soft':
      return [e('sent'), e('bounced', { subtype: 'soft', reason: 'mailboxfull' })];
    case 'opened':
      return [e('sent'), e('delivered'), hit('opened', null)];
    case 'clicked':
      return [e('sent'), e('delivered'), hit('opened', null), hit('clicked', 2)];
    case 'complained':
      return [e('sent'), e('delivered'), e('complained', { source: 'arf' })];
    case 'unsubscribed':
      return [e('sent'), e('delivered'), e('unsubscribed', { source: 'unsubscribe', subtype: 'one-click' })];
  }
}

for (const dialect of await testDialects()) {
  describe(`contacts through the API (${dialect})`, () => {
    let s: TestServer;
    const campaigns: number[] = [];
    const contactIds: number[] = [];
    /** contact id -> campaign id -> its messages' statuses as the API derives them. */
    const truth = new Map<number, Map<number, CampaignStatus[]>>();

    beforeAll(async () => {
      s = await startTestServer(dialect);
      for (const name of ['spring', 'summer', 'autumn']) {
        const id = (await s.api('POST', '/api/campaigns', { name })).body.id;
        campaigns.push(id);
      }
      // Two issues of the first campaign: a contact may have two messages in it, one status standing for both.
      const executions = new Map<number, number[]>();
      for (const [i, c] of campaigns.entries()) {
        const issues = i === 0 ? 2 : 1;
        const ids: number[] = [];
        for (let k = 0; k < issues; k++) ids.push((await s.api('POST', `/api/campaigns/${c}/executions`, { subject: `${c} issue ${k}`, html: HTML })).body.id);
        executions.set(c, ids);
      }
      const events: NewEvent[] = [];
      const created: { id: number; campaign: number }[] = [];
      for (let i = 0; i < CONTACTS; i++) {
        const email = `${i % 3 === 0 ? 'ann' : i % 3 === 1 ? 'bob' : 'cy'}${String(i).padStart(2, '0')}@example.org`;
        for (const [ci, campaign] of campaigns.entries()) {
          // Some contacts miss a campaign: the column is then null.
          if ((i + ci) % 5 === 4) continue;
          const issues = executions.get(campaign)!.slice(0, ci === 0 && i % 2 === 0 ? 2 : 1);
          for (const [k, execution] of issues.entries()) {
            const m = (await s.api('POST', '/api/messages', { executionId: execution, to: [{ email: i === 0 ? email.toUpperCase() : email, attributes: { n: i } }] })).body;
            s.clock.advance(1000);
            const target = TARGETS[(i * 7 + ci * 3 + k * 5) % TARGETS.length]!;
            events.push(...eventsFor(target, { id: m.id, campaignId: campaign }, s.clock.now()));
            created.push({ id: m.id, campaign });
          }
        }
      }
      await s.storage.events.append(events);
      for (const m of created) {
        const view = (await s.api('GET', `/api/messages/${m.id}`)).body;
        const contact = view.message.contactId as number;
        if (!contactIds.includes(contact)) contactIds.push(contact);
        let perCampaign = truth.get(contact);
        if (!perCampaign) truth.set(contact, (perCampaign = new Map()));
        const list = perCampaign.get(m.campaign) ?? [];
        const facts = (await s.api('GET', `/api/campaigns/${m.campaign}/contacts?figure=messages&address=${encodeURIComponent(view.contact.email)}`)).body.rows.find((r: any) => r.messageId === m.id);
        list.push({ status: statusKey(view.status), reason: facts.reason, messageId: m.id });
        perCampaign.set(m.campaign, list);
      }
    });
    afterAll(async () => s?.close());

    const expectedColumn = (contact: number, campaign: number) => campaignStatusOf(truth.get(contact)?.get(campaign) ?? []);

    it('reads a contact with every message sent to it, newest first, and its timeline, newest first', async () => {
      const id = contactIds[0]!;
      const r = await s.api('GET', `/api/contacts/${id}`);
      expect(r.status).toBe(200);
      expect(r.body.contact).toMatchObject({ id, email: 'ann00@example.org', attributes: { n: 0 } });
      const ids = r.body.messages.rows.map((m: any) => m.messageId);
      expect(ids).toEqual([...ids].sort((a: number, b: number) => b - a));
      expect(ids.length).toBe([...truth.get(id)!.values()].flat().length);
      for (const m of r.body.messages.rows) {
        expect(m.status).toBe(truth.get(id)!.get(m.campaignId)!.find((x) => x.messageId === m.messageId)!.status);
        expect(m.subject).toMatch(/issue/);
        expect(['spring', 'summer', 'autumn']).toContain(m.campaignName);
      }
      const times = r.body.timeline.rows.map((e: any) => e.at);
      expect(times).toEqual([...times].sort((a: number, b: number) => b - a));
      expect(new Set(r.body.timeline.rows.map((e: any) => e.messageId))).toEqual(new Set(ids.filter((m: number) => r.body.timeline.rows.some((e: any) => e.messageId === m))));
      expect((await s.api('GET', '/api/contacts/by-address/ANN00@Example.org')).body.contact.id).toBe(id);
      expect((await s.api('GET', '/api/contacts/by-address/nobody@example.org')).status).toBe(404);
      expect((await s.api('GET', '/api/contacts/999999')).status).toBe(404);
    });

    it('shows clicks with their link occurrence and destination, hits with verdict and reasons, bounces with their reason', async () => {
      const all = [];
      for (const id of contactIds) all.push(...(await s.api('GET', `/api/contacts/${id}/timeline?limit=500`)).body.rows);
      const click = all.find((e) => e.type === 'clicked');
      expect(click).toMatchObject({ linkOrdinal: 2, url: 'https://shop.example/b', verdict: 'human', reasons: ['ok'], method: 'GET', source: 'redirect' });
      expect(all.find((e) => e.type === 'bounced' && e.subtype === 'hard')).toMatchObject({ reason: 'userunknown', url: null, verdict: null, reasons: [] });
    });

    it('pages the timeline and the messages by keyset, each row once', async () => {
      for (const id of contactIds.slice(0, 6)) {
        const whole = (await s.api('GET', `/api/contacts/${id}/timeline?limit=500`)).body.rows;
        for (const what of ['timeline', 'messages'] as const) {
          const rows: any[] = [];
          let after: string | null = null;
          do {
            const page: any = (await s.api('GET', `/api/contacts/${id}/${what}?limit=2${after ? `&after=${after}` : ''}`)).body;
            rows.push(...page.rows);
            after = page.next;
          } while (after);
          if (what === 'timeline') expect(rows).toEqual(whole);
          else expect(rows.map((m) => m.messageId)).toEqual((await s.api('GET', `/api/contacts/${id}`)).body.messages.rows.map((m: any) => m.messageId));
        }
      }
      expect((await s.api('GET', `/api/contacts/${contactIds[0]}/timeline?after=yesterday`)).status).toBe(400);
      expect((await s.api('GET', `/api/contacts/${contactIds[0]}/messages?after=x`)).status).toBe(400);
    });

    /** Every row of the contacts list for `query`, pages of 5. */
    async function list(query: string, service?: ContactService): Promise<any[]> {
      const rows: any[] = [];
      let after: string | null = null;
      for (;;) {
        let page: any;
        if (service) {
          const params = Object.fromEntries(new URLSearchParams(query));
          const status: Record<string, string[]> = {};
          for (const [k, v] of Object.entries(params)) if (k.startsWith('status[')) status[k.slice(7, -1)] = v.split(',');
          page = await service.list({ campaigns: params['campaigns']!.split(',').map(Number), sort: params['sort'] ? Number(params['sort']) : undefined, status, q: params['q'], after: after ?? undefined, limit: 5 });
        } else {
          const r = await s.api('GET', `/api/contacts?${query}&limit=5${after ? `&after=${encodeURIComponent(after)}` : ''}`);
          expect(r.status, query).toBe(200);
          page = r.body;
        }
        rows.push(...page.rows);
        if (page.next === null) return rows;
        after = page.next;
      }
    }

    const columnsOf = (row: any) => campaigns.map((c) => row.statuses[String(c)]);
    const expectedColumns = (contact: number) => campaigns.map((c) => expectedColumn(contact, c));

    it('lists contacts by address with a column per campaign: the status of highest precedence', async () => {
      const rows = await list(`campaigns=${campaigns.join(',')}`);
      expect(rows.map((r) => r.contact.email)).toEqual(rows.map((r) => r.contact.email).sort());
      expect(rows.length).toBe(CONTACTS);
      for (const row of rows) expect(columnsOf(row), row.contact.email).toEqual(expectedColumns(row.contact.id));
      // Some contact had two messages of the first campaign with different statuses.
      expect([...truth.values()].some((m) => new Set((m.get(campaigns[0]!) ?? []).map((x) => x.status)).size > 1)).toBe(true);
      const bobs = await list(`campaigns=${campaigns[1]}&q=BOB`);
      expect(bobs.map((r) => r.contact.email)).toEqual(rows.map((r) => r.contact.email).filter((e) => e.startsWith('bob')));
    });

    it('sorts by a campaign status, filters by statuses, and searches, the same whether a prefix or a filter names few contacts or many, and whether a page walks far or stops short', async () => {
      const [a, b, c] = campaigns as [number, number, number];
      const walking = new ContactService(s.storage.drillDown, new KyselyContactStore(s.storage.database.db, { selectiveContacts: 0, walkBudget: 3 }), s.services.campaigns);
      const rank = (contact: number, campaign: number) => {
        const col = expectedColumn(contact, campaign);
        return col ? [statusRank(col.status), col.messageId] : null;
      };
      const cases: { query: string; keep: (contact: number, email: string) => boolean; by: number | null }[] = [
        { query: `campaigns=${a},${b},${c}&sort=${a}`, keep: (id) => expectedColumn(id, a) !== null, by: a },
        { query: `campaigns=${a},${b},${c}&sort=${b}&q=a`, keep: (id, email) => expectedColumn(id, b) !== null && email.startsWith('a'), by: b },
        { query: `campaigns=${a},${b}&status[${b}]=clicked,opened,delivered`, keep: (id) => ['clicked', 'opened', 'delivered'].includes(expectedColumn(id, b)?.status ?? ''), by: b },
        {
          query: `campaigns=${a},${b},${c}&sort=${a}&status[${a}]=delivered,bounced-soft,clicked,complained,sent&status[${c}]=deferred,delivered,opened,unsubscribed,blocked,queued,bounced-hard`,
          keep: (id) => ['delivered', 'bounced-soft', 'clicked', 'complained', 'sent'].includes(expectedColumn(id, a)?.status ?? '') && ['deferred', 'delivered', 'opened', 'unsubscribed', 'blocked', 'queued', 'bounced-hard'].includes(expectedColumn(id, c)?.status ?? ''),
          by: a,
        },
        { query: `campaigns=${c}&status[${c}]=bounced-hard,blocked&q=c`, keep: (id, email) => ['bounced-hard', 'blocked'].includes(expectedColumn(id, c)?.status ?? '') && email.startsWith('c'), by: c },
      ];
      const emails = new Map((await list(`campaigns=${a}`)).map((r) => [r.contact.id, r.contact.email as string]));
      for (const { query, keep, by } of cases) {
        const expected = contactIds
          .filter((id) => keep(id, emails.get(id)!))
          .sort((x, y) => (by === null ? 0 : rank(x, by)![0]! - rank(y, by)![0]! || rank(x, by)![1]! - rank(y, by)![1]!));
        const served = await list(query);
        expect(served.map((r) => r.contact.id), query).toEqual(expected);
        expect(expected.length, query).toBeGreaterThan(0);
        for (const row of served) expect(row.statuses[String(by)], query).toEqual(expectedColumn(row.contact.id, by!));
        expect((await list(query, walking)).map((r) => r.contact.id), `${query} (walked)`).toEqual(expected);
      }
    });

    it('refuses a bad list query naming what is wrong', async () => {
      const [a, b] = campaigns as [number, number];
      const refused = async (query: string, mention: string, status = 400) => {
        const r = await s.api('GET', `/api/contacts?${query}`);
        expect(r.status, query).toBe(status);
        expect(r.body.message, query).toContain(mention);
      };
      await refused(`campaigns=${a}&sort=${b}`, `campaign ${b}`);
      await refused(`campaigns=${a}&status[${b}]=clicked`, `campaign ${b}`);
      await refused(`campaigns=${a}&status[${a}]=clickd`, 'status');
      await refused('campaigns=1;2', 'campaigns');
      await refused(`campaigns=${a}&sort=${a}&after=nonsense`, 'after');
      await refused(`campaigns=${a}&colour=red`, 'colour');
      await refused('campaigns=999999', 'campaign 999999', 404);
    });
  });
}
