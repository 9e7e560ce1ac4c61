/**
 * Every JSON API response, through a whole flow, against the schema the OpenAPI document publishes
 * for it (strict: an undocumented field fails), on every dialect: the document stays true.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import * as R from '../src/adapters/http/api-responses.js';
import type { Mailer } from '../src/app/ports.js';
import { testDialects } from './support/databases.js';
import { startTestServer, type TestServer } from './support/server.js';

const CHROME = { 'user-agent': 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/128.0 Safari/537.36', 'accept-language': 'en' };
const relay: Mailer = { send: async () => ({ accepted: true, response: '250 2.0.0 queued as 7F3A', messageId: null }) };

for (const dialect of await testDialects()) {
  describe(`API responses match the published schemas (${dialect})`, () => {
    let s: TestServer;
    beforeAll(async () => {
      s = await startTestServer(dialect, {}, relay);
    });
    afterAll(async () => s?.close());

    async function call<S extends z.ZodType>(schema: S, method: 'GET' | 'POST' | 'DELETE', url: string, body: unknown, status: number): Promise<z.output<S>> {
      const response = await s.api(method, url, body);
      expect(response.status, `${method} ${url}: ${JSON.stringify(response.body)}`).toBe(status);
      const parsed = schema.safeParse(response.body);
      expect(parsed.success ? [] : parsed.error.issues, `${method} ${url}`).toEqual([]);
      return parsed.data!;
    }

    it('campaigns, executions, messages, delivery events, hits, verdict history, reports, sending', async () => {
      const campaign = await call(R.Campaign, 'POST', '/api/campaigns', { name: 'schema', tracking: { honeypot: true } }, 201);
      await call(R.CampaignList, 'GET', '/api/campaigns', undefined, 200);
      await call(R.Campaign, 'GET', `/api/campaigns/${campaign.id}`, undefined, 200);
      const body = { subject: 'Hello', html: '<p><a href="https://shop.example/a">a</a> <a href="https://shop.example/b">b</a></p>', text: 'https://shop.example/c' };
      const execution = await call(R.Execution, 'POST', `/api/campaigns/${campaign.id}/executions`, body, 201);
      await call(R.Execution, 'GET', `/api/executions/${execution.id}`, undefined, 200);

      const to = [{ email: 'reader@corp.example', attributes: { plan: 'pro' }, consent: true }];
      const message = await call(R.CreatedMessage, 'POST', '/api/messages', { executionId: execution.id, to }, 201);
      await call(R.DeliveryRecorded, 'POST', `/api/messages/${message.id}/events`, { type: 'delivered', id: 'd-1', at: s.clock.now() }, 201);
      await call(R.DeliveryRecorded, 'POST', `/api/messages/${message.id}/events`, { type: 'delivered', id: 'd-1', at: s.clock.now() }, 200);

      // Two links clicked at machine speed: the first click's verdict is revised.
      s.clock.advance(3_600_000);
      for (const link of message.links.filter((l) => l.part === 'html')) {
        expect((await s.app.inject({ method: 'GET', url: new URL(link.tracked).pathname, headers: CHROME })).statusCode).toBe(302);
        s.clock.advance(50);
      }
      const view = await call(R.MessageView, 'GET', `/api/messages/${message.id}`, undefined, 200);
      const firstClick = view.events.find((e) => e.type === 'clicked')!;
      const history = await call(R.VerdictHistory, 'GET', `/api/events/${firstClick.id}/verdicts`, undefined, 200);
      expect(history.revisions.map((r) => r.next.verdict)).toEqual(['bot']);
      await call(R.CampaignReport, 'GET', `/api/campaigns/${campaign.id}/report`, undefined, 200);
      const overview = await call(R.CampaignOverview, 'GET', '/api/campaigns/overview', undefined, 200);
      expect(overview.campaigns.map((c) => c.campaign.id)).toEqual([campaign.id]);
      expect(overview.campaigns[0]!.totals.messages).toBe(1);

      const sent = await call(R.CreatedMessage, 'POST', '/api/messages', { executionId: execution.id, to: ['second@corp.example'], send: true }, 201);
      expect(sent.send).toMatchObject({ accepted: true, status: 'sent' });
      await call(R.DeliveryRecorded, 'POST', `/api/messages/${sent.id}/events`, { type: 'bounced', bounceType: 'hard', code: 550, status: '5.1.1', text: 'no such user' }, 201);
      const bounced = await call(R.MessageView, 'GET', `/api/messages/${sent.id}`, undefined, 200);
      expect(bounced.status).toEqual({ state: 'bounced', bounceType: 'hard' });
      // The hard bounce suppressed the address: the next message to it is blocked.
      const blocked = await call(R.CreatedMessage, 'POST', '/api/messages', { executionId: execution.id, to: ['second@corp.example'] }, 201);
      expect(blocked.status).toEqual({ state: 'blocked' });
      expect(blocked.suppressed).toHaveLength(1);
      const third = await call(R.CreatedMessage, 'POST', '/api/messages', { executionId: execution.id, to: ['third@corp.example'] }, 201);
      await call(R.SendResult, 'POST', `/api/messages/${third.id}/send`, undefined, 200);
    });

    it('the campaign report, with its counts by reason and its warnings', async () => {
      const campaign = await call(R.Campaign, 'POST', '/api/campaigns', { name: 'warnings' }, 201);
      const execution = await call(R.Execution, 'POST', `/api/campaigns/${campaign.id}/executions`, { subject: 'w', html: '<p>w</p>' }, 201);
      const messages: { id: number }[] = [];
      for (let i = 0; i < 102; i += 17) {
        const batch = Array.from({ length: Math.min(17, 102 - i) }, (_, j) => call(R.CreatedMessage, 'POST', '/api/messages', { executionId: execution.id, to: [`r${i + j}@warn.example`] }, 201));
        messages.push(...(await Promise.all(batch)));
      }
      // 100 sent, 10 of them hard bounced and 1 complained; 1 still with the relay; 1 refused as a duplicate.
      const at = s.clock.now();
      const event = (i: number, type: 'sent' | 'sending' | 'bounced' | 'blocked' | 'complained', more: object = {}) => ({ messageId: messages[i]!.id, campaignId: campaign.id, type, at, source: 'smtp' as const, ...more });
      await s.storage.events.append([
        ...messages.slice(0, 100).map((_, i) => event(i, 'sent')),
        ...messages.slice(0, 10).map((_, i) => event(i, 'bounced', { subtype: 'hard', reason: 'userunknown', recipient: `r${i}@warn.example` })),
        event(50, 'complained'),
        event(100, 'sending'),
        event(101, 'blocked', { reason: 'duplicate-key' }),
      ]);
      const report = await call(R.CampaignReport, 'GET', `/api/campaigns/${campaign.id}/report`, undefined, 200);
      expect(report.totals).toMatchObject({ attempted: 102, sent: 100, sending: 1, hardBounced: 10, bounced: 10, blocked: 1, complained: 1 });
      expect(report.totals.bouncesByReason).toEqual({ userunknown: 10 });
      expect(report.totals.blockedByReason).toEqual({ 'duplicate-key': 1 });
      expect(report.warnings.map((w) => [w.code, w.level, w.rate, w.threshold])).toEqual([
        ['bounce-rate', 'warning', 0.1, 0.08],
        ['complaint-rate', 'critical', 0.01, 0.003],
      ]);
    });

    it('the suppression list: list, one with its history, add, remove, import', async () => {
      // second@corp.example was suppressed by its hard bounce in the flow above.
      const list = await call(R.SuppressionList, 'GET', '/api/suppressions?limit=1', undefined, 200);
      expect(list.suppressions[0]).toMatchObject({ email: 'second@corp.example', reason: 'hard-bounce', actor: 'system' });
      const detail = await call(R.SuppressionDetail, 'GET', '/api/suppressions/second@corp.example', undefined, 200);
      expect(detail.history).toHaveLength(1);
      await call(R.SuppressionAdded, 'POST', '/api/suppressions', { email: 'hand@corp.example', note: 'by hand', expiresAt: s.clock.now() + 60_000 }, 201);
      await call(R.SuppressionAdded, 'POST', '/api/suppressions', { email: 'hand@corp.example' }, 201);
      await call(R.SuppressionAdded, 'POST', '/api/suppressions', { email: 'hand@corp.example' }, 200);
      await call(R.SuppressionRemoved, 'DELETE', '/api/suppressions/hand@corp.example', { note: 'done' }, 200);
      await call(R.SuppressionDetail, 'GET', '/api/suppressions/hand@corp.example', undefined, 200);
      const imported = await s.app.inject({
        method: 'POST',
        url: '/api/suppressions/import',
        headers: { authorization: `Bearer ${s.apiKey}`, 'content-type': 'text/csv; charset=utf-8' },
        payload: 'email,reason,expires_at,note\r\nfrom-csv@corp.example,manual,,\r\n',
      });
      expect(imported.statusCode).toBe(200);
      expect(R.SuppressionImport.safeParse(imported.json()).success).toBe(true);
    });

    it('the reports kept for review', async () => {
      await s.services.mail.ingest(Buffer.from('From: a@corp.example\r\nSubject: hello\r\n\r\nnot a bounce\r\n'), 'file:hello.eml');
      await s.services.ingestion.ingest([{ kind: 'bounced', id: 'x-1', recipient: 'x@corp.example', at: null, reporter: 'sendgrid', reference: { providerMessageId: 'nope' } }], { origin: 'webhook:sendgrid' });
      const list = await call(R.InboundReportList, 'GET', '/api/inbound-reports', undefined, 200);
      expect(list.reports.map((r) => [r.state, r.rawBytes === null])).toEqual([
        ['not-a-report', false],
        ['unmatched', true],
      ]);
    });

    it('the contacts behind a figure, a contact with its messages and timeline, the contacts list', async () => {
      const campaign = await call(R.Campaign, 'POST', '/api/campaigns', { name: 'contacts' }, 201);
      const execution = await call(R.Execution, 'POST', `/api/campaigns/${campaign.id}/executions`, { subject: 'c', html: '<p><a href="https://shop.example/c">c</a></p>' }, 201);
      const message = await call(R.CreatedMessage, 'POST', '/api/messages', { executionId: execution.id, to: ['contact@corp.example'] }, 201);
      await call(R.DeliveryRecorded, 'POST', `/api/messages/${message.id}/events`, { type: 'bounced', bounceType: 'soft', code: 452, status: '4.2.2' }, 201);
      s.clock.advance(3_600_000);
      expect((await s.app.inject({ method: 'GET', url: new URL(message.links[0]!.tracked).pathname, headers: CHROME })).statusCode).toBe(302);
      const clicked = await call(R.DrillPage, 'GET', `/api/campaigns/${campaign.id}/contacts?figure=clicked`, undefined, 200);
      expect(clicked.rows.map((r) => r.messageId)).toEqual([message.id]);
      await call(R.DrillPage, 'GET', `/api/executions/${execution.id}/contacts?figure=link&ordinal=1&address=contact`, undefined, 200);
      const contactId = clicked.rows[0]!.contactId!;
      const detail = await call(R.ContactDetail, 'GET', `/api/contacts/${contactId}`, undefined, 200);
      expect(detail.timeline.rows.map((e) => e.type)).toContain('clicked');
      await call(R.ContactDetail, 'GET', '/api/contacts/by-address/Contact@corp.example', undefined, 200);
      await call(R.ContactMessagesPage, 'GET', `/api/contacts/${contactId}/messages?limit=1`, undefined, 200);
      await call(R.TimelinePage, 'GET', `/api/contacts/${contactId}/timeline?limit=1`, undefined, 200);
      const list = await call(R.ContactList, 'GET', `/api/contacts?campaigns=${campaign.id}&sort=${campaign.id}&status[${campaign.id}]=clicked`, undefined, 200);
      expect(list.rows.map((r) => r.contact.id)).toEqual([contactId]);
      await call(R.ContactList, 'GET', `/api/contacts?campaigns=${campaign.id}&q=contact`, undefined, 200);
    });

    it('publishes those schemas in the OpenAPI document', async () => {
      const doc = (await s.app.inject({ method: 'GET', url: '/api/openapi.json' })).json();
      for (const name of ['Campaign', 'CampaignList', 'Execution', 'CampaignReport', 'CreatedMessage', 'MessageView', 'VerdictHistory', 'SendResult', 'DeliveryRecorded', 'SuppressionList', 'SuppressionDetail', 'SuppressionAdded', 'SuppressionRemoved', 'SuppressionImport', 'InboundReport', 'InboundReportList', 'DrillPage', 'ContactDetail', 'ContactMessagesPage', 'TimelinePage', 'ContactList', 'CampaignOverview']) {
        expect(doc.components.schemas[name], name).toMatchObject({ type: 'object' });
      }
      expect(doc.paths['/api/messages/{id}'].get.responses['200'].content['application/json'].schema).toEqual({ $ref: '#/components/schemas/MessageView' });
      expect(doc.components.schemas.MessageView.additionalProperties).toBe(false);
      expect(doc.paths['/api/suppressions/{email}'].get.responses['200'].content['application/json'].schema).toEqual({ $ref: '#/components/schemas/SuppressionDetail' });
      expect(Object.keys(doc.paths['/api/suppressions/import'].post.requestBody.content)).toEqual(['text/csv']);
    });

    it('hot clicks of an execution and of a campaign, and their OpenAPI paths', async () => {
      const campaign = await call(R.Campaign, 'POST', '/api/campaigns', { name: 'hot', kind: 'recurring', tracking: { honeypot: true } }, 201);
      const html = '<p><a href="https://shop.example/a">a</a></p><div data-condition="vip"><a href="https://shop.example/a">again</a></div>';
      const execution = await call(R.Execution, 'POST', `/api/campaigns/${campaign.id}/executions`, { subject: 'h', html, text: 'https://shop.example/t' }, 201);
      const message = await call(R.CreatedMessage, 'POST', '/api/messages', { executionId: execution.id, to: [{ email: 'hot@corp.example', attributes: { vip: true } }] }, 201);
      s.clock.advance(3_600_000);
      await s.app.inject({ method: 'GET', url: new URL(message.links[1]!.tracked).pathname, headers: CHROME });
      const hot = await call(R.ExecutionHotClicks, 'GET', `/api/executions/${execution.id}/hot-clicks`, undefined, 200);
      expect(hot.links.map((l) => l.clicks.total.all)).toEqual([0, 1, 0]);
      await call(R.ExecutionHotClicks, 'GET', `/api/executions/${execution.id}/hot-clicks?condition=vip`, undefined, 200);
      const contact = (await call(R.MessageView, 'GET', `/api/messages/${message.id}`, undefined, 200)).contact!;
      await call(R.ExecutionHotClicks, 'GET', `/api/executions/${execution.id}/hot-clicks?contact=${contact.id}`, undefined, 200);
      await call(R.CampaignHotClicks, 'GET', `/api/campaigns/${campaign.id}/hot-clicks`, undefined, 200);
      const doc = (await s.app.inject({ method: 'GET', url: '/api/openapi.json' })).json();
      expect(doc.paths['/api/executions/{id}/hot-clicks'].get.responses['200'].content['application/json'].schema).toEqual({ $ref: '#/components/schemas/ExecutionHotClicks' });
      expect(doc.paths['/api/campaigns/{id}/hot-clicks'].get.responses['200'].content['application/json'].schema).toEqual({ $ref: '#/components/schemas/CampaignHotClicks' });
      expect(doc.components.schemas.ExecutionHotClicks.additionalProperties).toBe(false);
    });
  });
}
