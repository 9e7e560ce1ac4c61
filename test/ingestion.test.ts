/**
 * The ingestion of reported outcomes, on every dialect: matching to messages, one event per fact
 * however often and by whomever it is reported, suppressions, and reports kept for review.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReportedOutcome } from '../src/core/outcomes/reported-outcome.js';
import { bounceToken } from '../src/core/verp.js';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { testDialects } from './support/databases.js';
import { startTestServer, type TestServer } from './support/server.js';

function outcome(over: Partial<ReportedOutcome> & Pick<ReportedOutcome, 'kind' | 'id'>): ReportedOutcome {
  return { recipient: null, at: null, reporter: 'sendgrid', reference: {}, ...over };
}

const HARD = { hard: true, reason: 'userunknown' as const, status: '5.1.1', replyCode: 550, diagnostic: '550 5.1.1 no such user' };

for (const dialect of await testDialects()) {
  describe(`ingestion of reported outcomes (${dialect})`, () => {
    let s: TestServer;
    let executionId: number;
    beforeAll(async () => {
      s = await startTestServer(dialect);
      const campaign = (await s.api('POST', '/api/campaigns', { name: 'ingest' })).body;
      executionId = (await s.api('POST', `/api/campaigns/${campaign.id}/executions`, { subject: 'Hi', html: '<p>hi</p>' })).body.id;
    });
    afterAll(async () => s?.close());

    /** A message whose provider id is known, as after a first report carrying it beside its token. */
    async function message(to: string[], providerId: string): Promise<number> {
      const created = (await s.api('POST', '/api/messages', { executionId, to })).body;
      await s.storage.ingestion.record({ events: [], refs: [{ provider: 'sendgrid', ref: providerId, messageId: created.id }], inbound: [] }, s.clock.now(), s.config.suppression);
      return created.id;
    }

    it('records a bounce once, whether repeated by the provider or reported again by a bounce mail', async () => {
      const id = await message(['gone@corp.example'], 'sg-1');
      const bounce = outcome({ kind: 'bounced', id: 'evt-1', recipient: 'Gone@corp.example', reference: { providerMessageId: 'sg-1' }, bounce: HARD });
      expect(await s.services.ingestion.ingest([bounce], { origin: 'webhook:sendgrid' })).toEqual({ received: 1, recorded: 1, duplicates: 0, unmatched: 0, keptApart: 0 });
      expect(await s.services.ingestion.ingest([bounce, bounce], { origin: 'webhook:sendgrid' })).toMatchObject({ recorded: 0, duplicates: 2 });
      // The same bounce from the mail, with another reporter and id, is the same fact.
      const fromMail = { ...bounce, reporter: 'mailgun', id: 'other' };
      await s.storage.ingestion.record({ events: [], refs: [{ provider: 'mailgun', ref: 'sg-1', messageId: id }], inbound: [] }, s.clock.now(), s.config.suppression);
      expect(await s.services.ingestion.ingest([fromMail], { origin: 'webhook:mailgun' })).toMatchObject({ recorded: 0, duplicates: 1 });

      const view = (await s.api('GET', `/api/messages/${id}`)).body;
      expect(view.status).toEqual({ state: 'bounced', bounceType: 'hard' });
      const bounces = view.events.filter((e: { type: string }) => e.type === 'bounced');
      expect(bounces).toHaveLength(1);
      expect(bounces[0]).toMatchObject({ recipient: 'gone@corp.example', reason: 'userunknown', subtype: 'hard', source: 'webhook' });
      expect(await s.storage.catalog.findSuppression('gone@corp.example', s.clock.now())).toMatchObject({ reason: 'hard-bounce' });
    });

    it('keeps outcomes that match no message, and reports that are not about delivery, for review', async () => {
      const lost = outcome({ kind: 'bounced', id: 'evt-lost', recipient: 'x@corp.example', reference: { providerMessageId: 'unknown-id' }, bounce: HARD });
      const auth = outcome({ kind: 'auth-failure', id: 'arf-1', reporter: 'arf', feedbackType: 'auth-failure' });
      expect(await s.services.ingestion.ingest([lost, auth], { origin: 'webhook:sendgrid' })).toMatchObject({ recorded: 0, unmatched: 1, keptApart: 1 });
      const listed = (await s.api('GET', '/api/inbound-reports')).body;
      expect(listed.reports.map((r: { state: string; reason: string }) => [r.state, r.reason])).toEqual([
        ['unmatched', 'no message matches sendgrid message id unknown-id'],
        ['auth-failure', expect.stringContaining('authentication-failure report')],
      ]);
      const unmatchedOnly = (await s.api('GET', '/api/inbound-reports?state=unmatched&limit=1')).body;
      expect(unmatchedOnly.reports).toHaveLength(1);
      expect((await s.api('GET', `/api/inbound-reports?after=${unmatchedOnly.next}&state=unmatched`)).body.reports).toEqual([]);
      expect((await s.api('GET', '/api/inbound-reports?state=lost')).status).toBe(400);
      // Stored once however often it comes back.
      await s.services.ingestion.ingest([lost], { origin: 'webhook:sendgrid' });
      expect((await s.api('GET', '/api/inbound-reports?state=unmatched')).body.reports).toHaveLength(1);
    });

    it('places a fact on the named recipient of a message to several, and keeps one naming nobody of them', async () => {
      const id = await message(['a@corp.example', 'b@corp.example'], 'sg-2');
      const complaint = outcome({ kind: 'complained', id: 'c-1', recipient: 'b@corp.example', reference: { providerMessageId: 'sg-2' }, feedbackType: 'abuse' });
      const stranger = outcome({ kind: 'complained', id: 'c-2', recipient: 'z@corp.example', reference: { providerMessageId: 'sg-2' } });
      expect(await s.services.ingestion.ingest([complaint, stranger], { origin: 'webhook:sendgrid' })).toMatchObject({ recorded: 1, unmatched: 1 });
      expect(await s.storage.catalog.findSuppression('b@corp.example', s.clock.now())).toMatchObject({ reason: 'complaint', expiresAt: null });
      expect(await s.storage.catalog.findSuppression('a@corp.example', s.clock.now())).toBeNull();
      const view = (await s.api('GET', `/api/messages/${id}`)).body;
      expect(view.status).toEqual({ state: 'complained' });
    });

    it('keeps an auto-reply apart, never as a bounce, and mail that names no recipient whole', async () => {
      const autoReply = readFileSync(path.resolve(import.meta.dirname, '..', '..', 'shared', 'corpus', 'sisimai-dev', 'eml', 'rfc3834-01.eml'));
      const result = await s.services.mail.ingest(autoReply, 'file:rfc3834-01.eml');
      expect(result.recorded).toBe(0);
      expect(result.keptApart + (result.kept === 'auto-reply' ? 1 : 0)).toBe(1);
      const report = 'Content-Type: multipart/report; report-type=delivery-status; boundary="b"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nsomething failed\r\n--b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; x\r\n\r\n--b--\r\n';
      const empty = await s.services.mail.ingest(Buffer.from(report), 'file:empty.eml');
      expect(empty.recorded).toBe(0);
      const states = (await s.api('GET', '/api/inbound-reports?limit=500')).body.reports.map((r: { state: string; origin: string }) => `${r.origin} ${r.state}`);
      expect(states).toContain('file:rfc3834-01.eml auto-reply');
      expect(states.some((x: string) => x.startsWith('file:empty.eml '))).toBe(true);
    });

    it('stores a report carrying a NUL character on every dialect, and keeps a not-spam report apart', async () => {
      const odd = outcome({ kind: 'bounced', id: 'nul-1', recipient: 'x@corp.example', reference: { providerMessageId: 'bad\u0000id' }, bounce: HARD });
      const notSpam = outcome({ kind: 'not-spam', id: 'ns-1', reporter: 'arf', feedbackType: 'not-spam' });
      expect(await s.services.ingestion.ingest([odd, notSpam], { origin: 'webhook:sendgrid' })).toMatchObject({ unmatched: 1, keptApart: 1 });
      const kept = (await s.api('GET', '/api/inbound-reports?limit=500')).body.reports as { state: string; reason: string }[];
      expect(kept.find((r) => r.reason.includes('bad'))!.reason).toBe('no message matches sendgrid message id bad\uFFFDid');
      expect(kept.some((r) => r.state === 'not-spam')).toBe(true);
    });

    it('records several mails in one transaction, each counted on its own, the same fact in two of them once', async () => {
      const m = (await s.api('POST', '/api/messages', { executionId, to: ['two-mails@corp.example'] })).body;
      const token = bounceToken(s.services.keyring.current, m.id);
      const dsn = (n: number) =>
        Buffer.from(`From: MAILER-DAEMON@relay.test\r\nTo: bounce+${token}@bounce.test\r\nMessage-ID: <dsn-${n}@relay.test>\r\nSubject: Undelivered\r\nContent-Type: multipart/report; report-type=delivery-status; boundary="b"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nfailed\r\n--b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; relay.test\r\n\r\nFinal-Recipient: rfc822; two-mails@corp.example\r\nAction: failed\r\nStatus: 5.1.1\r\nDiagnostic-Code: smtp; 550 5.1.1 user unknown\r\n\r\n--b--\r\n`);
      const results = await s.services.mail.ingestMany([
        { raw: dsn(1), origin: 'file:1' },
        { raw: dsn(2), origin: 'file:2' },
        { raw: Buffer.from('Subject: hello\r\n\r\nnot a report\r\n'), origin: 'file:3' },
      ]);
      expect(results.map((r) => [r.recorded, r.duplicates, r.kept])).toEqual([
        [1, 0, null],
        [0, 1, null],
        [0, 0, 'not-a-report'],
      ]);
      const view = (await s.api('GET', `/api/messages/${m.id}`)).body;
      expect(view.status).toEqual({ state: 'bounced', bounceType: 'hard' });
    });

    it('stores provider opens apart from its own opens, with the machine flag, and replaces a time from the future', async () => {
      const id = await message(['reader@corp.example'], 'sg-3');
      const future = s.clock.now() + 3_600_000;
      const open = outcome({ kind: 'opened', id: 'o-1', at: future, reference: { providerMessageId: 'sg-3' }, machine: true });
      await s.services.ingestion.ingest([open], { origin: 'webhook:sendgrid' });
      const view = (await s.api('GET', `/api/messages/${id}`)).body;
      const event = view.events.find((e: { type: string }) => e.type === 'provider_opened');
      expect(event).toMatchObject({ at: s.clock.now(), detail: { machine: true, reportedAt: future } });
      // A provider's open is not one of ours: the message is not opened by it.
      expect(view.status).toEqual({ state: 'queued' });
    });
  });
}
