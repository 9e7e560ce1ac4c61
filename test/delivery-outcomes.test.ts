/**
 * Delivery outcomes end to end through the server, on every dialect: bounce mail read from a file
 * and received over SMTP, and provider webhooks (SES through SNS, SendGrid, Brevo) over HTTP, all
 * matched to their messages by the token they carry, each fact recorded once whoever reports it,
 * forged requests refused with nothing written.
 */
import { createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startInboundSmtp } from '../src/compose.js';
import { loadConfig } from '../src/config.js';
import { bounceAddress, bounceToken } from '../src/core/verp.js';
import type { HttpFetcher } from '../src/adapters/webhooks/provider.js';
import { testDialects } from './support/databases.js';
import { sendGridSigned, snsNotification } from './support/signed-webhooks.js';
import { startTestServer, type TestServer } from './support/server.js';

const FIXTURES = path.resolve(import.meta.dirname, 'fixtures');
const fixture = (name: string) => readFileSync(path.join(FIXTURES, name), 'utf8');

const SES_CERT_URL = 'https://sns.us-east-1.amazonaws.com/SimpleNotificationService-test.pem';
const SES_TOPIC = 'arn:aws:sns:us-east-1:123456789012:ses-events';
const SES_KEY = createPrivateKey(fixture('webhooks/ses/test-signing-key.pem'));
const fetcher: HttpFetcher & { urls: string[] } = {
  urls: [],
  async get(url) {
    this.urls.push(url);
    if (url === SES_CERT_URL) return fixture('webhooks/ses/test-signing-cert.pem');
    return '<ConfirmSubscriptionResponse/>';
  },
};
const sendgrid = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const BREVO_TOKEN = 'brevo-secret-token';

/** After the SES test certificate's start of validity. */
const NOW = Date.UTC(2027, 0, 15, 12, 0, 0);

interface Created {
  id: number;
  headers: Record<string, string>;
}

for (const dialect of await testDialects()) {
  describe(`delivery outcomes through the server (${dialect})`, () => {
    let s: TestServer;
    let executionId: number;
    let inboundPort: number;

    beforeAll(async () => {
      s = await startTestServer(
        dialect,
        {
          BOUNCE_DOMAIN: 'bounce.test',
          INBOUND_SMTP_PORT: '0',
          INBOUND_SMTP_HOST: '127.0.0.1',
          WEBHOOK_PROVIDERS: 'ses,sendgrid,brevo',
          WEBHOOK_SES_TOPIC_ARNS: SES_TOPIC,
          WEBHOOK_SENDGRID_VERIFICATION_KEY: sendgrid.publicKey.export({ format: 'der', type: 'spki' }).toString('base64'),
          WEBHOOK_BREVO_AUTH: `bearer:${BREVO_TOKEN}`,
        },
        undefined,
        undefined,
        { fetcher },
      );
      s.clock.set(NOW);
      inboundPort = (await startInboundSmtp(s, s.config))!.port;
      const campaign = (await s.api('POST', '/api/campaigns', { name: 'outcomes' })).body;
      executionId = (await s.api('POST', `/api/campaigns/${campaign.id}/executions`, { subject: 'Hi', html: '<p><a href="https://shop.example/">shop</a></p>' })).body.id;
    });
    afterAll(async () => s?.close());

    const message = async (to: string[]): Promise<Created> => (await s.api('POST', '/api/messages', { executionId, to })).body;
    const keyring = () => s.services.keyring.current;
    const events = async (id: number) => (await s.api('GET', `/api/messages/${id}`)).body.events as { type: string; recipient: string | null; reason: string | null; subtype: string | null; source: string }[];
    const status = async (id: number) => (await s.api('GET', `/api/messages/${id}`)).body.status;
    const countEvents = async () => Number((await s.storage.database.db.selectFrom('events').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);

    /** Postfix's DSN (test/fixtures/postfix, made by a real Postfix) rewritten for one of our messages. */
    function postfixDsn(name: string, id: number, rename: [string, string] = ['', '']): string {
      return fixture(`postfix/${name}`).replaceAll(rename[0] || '\u0000', rename[1]).replaceAll('bounce+abc123@bounce.test', bounceAddress(keyring(), id, 'bounce.test')).replaceAll('env-42', bounceToken(keyring(), id));
    }

    it('reads a DSN from a file: one event per recipient, by reason, hard or soft; the same mail again changes nothing', async () => {
      const m = await message(['nobody@accept.test', 'spam@accept.test']);
      const dsn = Buffer.from(postfixDsn('failed-5.1.1-5.7.1.eml', m.id));
      expect(await s.services.mail.ingest(dsn, 'file:dsn.eml')).toMatchObject({ received: 2, recorded: 2, duplicates: 0, unmatched: 0, kept: null });
      const bounces = (await events(m.id)).filter((e) => e.type === 'bounced');
      expect(bounces.map((e) => [e.recipient, e.subtype, e.source])).toEqual([
        ['nobody@accept.test', 'hard', 'dsn'],
        ['spam@accept.test', 'soft', 'dsn'],
      ]);
      expect(bounces[0]!.reason).toBe('userunknown');
      expect(bounces[1]!.reason).not.toBe('userunknown');
      expect(await s.storage.catalog.findSuppression('nobody@accept.test', s.clock.now())).toMatchObject({ reason: 'hard-bounce' });
      expect(await s.storage.catalog.findSuppression('spam@accept.test', s.clock.now())).toBeNull();
      expect(await s.services.mail.ingest(dsn, 'file:dsn.eml')).toMatchObject({ recorded: 0, duplicates: 2 });
    });

    it('takes bounce mail over SMTP for the bounce domain only, and keeps what it cannot read for review', async () => {
      const m = await message(['full@accept.test']);
      const transport = nodemailer.createTransport({ host: '127.0.0.1', port: inboundPort, secure: false, ignoreTLS: true });
      try {
        const to = bounceAddress(keyring(), m.id, 'bounce.test');
        await transport.sendMail({ envelope: { from: '', to: [to] }, raw: postfixDsn('failed-4.2.2.eml', m.id) });
        expect(await status(m.id)).toEqual({ state: 'bounced', bounceType: 'soft' });
        const soft = (await events(m.id)).find((e) => e.type === 'bounced')!;
        expect(soft).toMatchObject({ recipient: 'full@accept.test', reason: 'mailboxfull', source: 'dsn' });

        await expect(transport.sendMail({ envelope: { from: '', to: ['someone@elsewhere.test'] }, raw: 'Subject: hi\r\n\r\nhello\r\n' })).rejects.toThrow(/550/);
        await transport.sendMail({ envelope: { from: 'friend@corp.example', to: ['postmaster@bounce.test'] }, raw: 'From: friend@corp.example\r\nSubject: lunch?\r\n\r\nAre you free?\r\n' });
      } finally {
        transport.close();
      }
      const kept = (await s.api('GET', '/api/inbound-reports?state=not-a-report')).body.reports;
      expect(kept).toHaveLength(1);
      expect(kept[0]).toMatchObject({ origin: 'smtp', state: 'not-a-report' });
      const raw = await s.app.inject({ method: 'GET', url: `/api/inbound-reports/${kept[0].id}/raw`, headers: { authorization: `Bearer ${s.apiKey}` } });
      expect(raw.headers['content-type']).toMatch(/^message\/rfc822/);
      expect(raw.body).toContain('Are you free?');
    });

    function sendgridRequest(events: object[], options: { key?: typeof sendgrid.privateKey; body?: string } = {}) {
      const signed = sendGridSigned(options.body ?? JSON.stringify(events), s.clock.now(), options.key ?? sendgrid.privateKey);
      return s.app.inject({ method: 'POST', url: '/webhooks/sendgrid', ...signed });
    }

    it('SendGrid: a signed batch recorded once, however often it is posted; the same bounce by mail is the same fact', async () => {
      const a = await message(['reader@corp.example']);
      const b = await message(['unknown@accept.test']);
      const at = Math.floor(s.clock.now() / 1000) - 60;
      const batch = [
        { email: 'reader@corp.example', timestamp: at, event: 'delivered', sg_event_id: 'e1', sg_message_id: 'sgA.filter1', mailsight_token: bounceToken(keyring(), a.id), response: '250 OK' },
        { email: 'reader@corp.example', timestamp: at + 5, event: 'open', sg_event_id: 'e2', sg_message_id: 'sgA.filter2', mailsight_token: bounceToken(keyring(), a.id), sg_machine_open: true, useragent: 'Mozilla/5.0', ip: '17.58.0.1' },
        { email: 'unknown@accept.test', timestamp: at, event: 'bounce', type: 'bounce', sg_event_id: 'e3', sg_message_id: 'sgB.f', mailsight_token: bounceToken(keyring(), b.id), reason: '550 5.1.1 user unknown', status: '5.1.1' },
      ];
      const first = await sendgridRequest(batch);
      expect(first.statusCode, first.body).toBe(200);
      expect(first.json()).toEqual({ received: 3, recorded: 3, duplicates: 0, unmatched: 0, keptApart: 0 });
      expect((await sendgridRequest(batch)).json()).toMatchObject({ recorded: 0, duplicates: 3 });
      expect(await status(a.id)).toEqual({ state: 'delivered' });
      expect((await events(a.id)).map((e) => e.type).sort()).toEqual(['delivered', 'provider_opened', 'queued']);
      // The provider's id was learned: a later event carrying only it still finds the message.
      const later = await sendgridRequest([{ email: 'reader@corp.example', timestamp: at + 9, event: 'click', sg_event_id: 'e4', sg_message_id: 'sgA.filter3', url: 'https://shop.example/' }]);
      expect(later.json()).toMatchObject({ recorded: 1, unmatched: 0 });

      // Postfix's DSN for the same bounce: one fact, not two.
      const dsn = postfixDsn('failed-5.1.1-5.7.1.eml', b.id, ['nobody@accept.test', 'unknown@accept.test']);
      // The DSN's other recipient (spam@) is not one of this message's: kept for review, not placed on it.
      expect(await s.services.mail.ingest(Buffer.from(dsn), 'file:again.eml')).toMatchObject({ recorded: 0, duplicates: 1, unmatched: 1 });
      expect((await events(b.id)).filter((e) => e.type === 'bounced')).toHaveLength(1);
    });

    it('refuses a forged or unauthenticated request with 401 and a malformed one with 400, writing nothing', async () => {
      const m = await message(['victim@corp.example']);
      const before = await countEvents();
      const unsubscribe = [{ email: 'victim@corp.example', timestamp: Math.floor(NOW / 1000), event: 'unsubscribe', sg_event_id: 'forged', mailsight_token: bounceToken(keyring(), m.id) }];
      const forged = await sendgridRequest(unsubscribe, { key: generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey });
      expect(forged.statusCode).toBe(401);
      expect(forged.json().message).toMatch(/^sendgrid webhook: /);
      const unsigned = await s.app.inject({ method: 'POST', url: '/webhooks/sendgrid', headers: { 'content-type': 'application/json' }, payload: JSON.stringify(unsubscribe) });
      expect(unsigned.statusCode).toBe(401);
      const brevoWrong = await s.app.inject({ method: 'POST', url: '/webhooks/brevo', headers: { authorization: 'Bearer nope', 'content-type': 'application/json' }, payload: '{}' });
      expect(brevoWrong.statusCode).toBe(401);
      const malformed = await sendgridRequest([], { body: '[{"event": "bounce"' });
      expect(malformed.statusCode).toBe(400);
      const halfBad = await sendgridRequest([...unsubscribe.map((e) => ({ ...e, sg_event_id: 'ok' })), { event: 'no-such-event', email: 'x@corp.example', timestamp: 1 }]);
      expect(halfBad.statusCode).toBe(400);
      expect(await countEvents()).toBe(before);
      expect(await s.storage.catalog.findSuppression('victim@corp.example', s.clock.now())).toBeNull();
      expect((await s.app.inject({ method: 'POST', url: '/webhooks/mailgun', payload: '{}' })).statusCode).toBe(404);
    });

    it('Brevo (bearer token): an unsubscribe suppresses the address for good', async () => {
      const m = await message(['leaver@corp.example']);
      const event = { event: 'unsubscribed', email: 'leaver@corp.example', 'message-id': '<brevo-1@smtp-relay.mailin.fr>', 'X-Mailin-custom': `mailsight_token=${bounceToken(keyring(), m.id)}`, ts_epoch: NOW - 1000 };
      const response = await s.app.inject({ method: 'POST', url: '/webhooks/brevo', headers: { authorization: `Bearer ${BREVO_TOKEN}`, 'content-type': 'application/json' }, payload: JSON.stringify(event) });
      expect(response.statusCode, response.body).toBe(200);
      expect(await status(m.id)).toEqual({ state: 'unsubscribed' });
      expect(await s.storage.catalog.findSuppression('leaver@corp.example', s.clock.now())).toMatchObject({ reason: 'unsubscribe', expiresAt: null });
    });

    it('Amazon SES through SNS: signed, its certificate fetched, one outcome per bounced recipient, matched by our Message-ID', async () => {
      const m = await message(['second@example.org', 'third@example.net']);
      const ses = JSON.parse(fixture('webhooks/ses/event-bounce-permanent-multi.json'));
      ses.mail.headers = ses.mail.headers.filter((h: { name: string }) => h.name !== 'X-Mailsight-Token' && h.name !== 'Message-ID');
      ses.mail.headers.push({ name: 'Message-ID', value: m.headers['Message-ID'] });
      ses.mail.commonHeaders = { ...ses.mail.commonHeaders, messageId: m.headers['Message-ID'] };
      const envelope = JSON.parse(snsNotification(ses, 'f0e1d2c3-sns', NOW - 5_000, { topicArn: SES_TOPIC, certUrl: SES_CERT_URL, key: SES_KEY })) as Record<string, string>;
      const post = (body: object) => s.app.inject({ method: 'POST', url: '/webhooks/ses', headers: { 'content-type': 'text/plain; charset=UTF-8' }, payload: JSON.stringify(body) });
      const response = await post(envelope);
      expect(response.statusCode, response.body).toBe(200);
      expect(response.json()).toMatchObject({ received: 2, recorded: 2 });
      expect(fetcher.urls).toContain(SES_CERT_URL);
      const bounces = (await events(m.id)).filter((e) => e.type === 'bounced');
      expect(bounces.map((e) => [e.recipient, e.subtype, e.source])).toEqual([
        ['second@example.org', 'hard', 'webhook'],
        ['third@example.net', 'soft', 'webhook'],
      ]);
      expect((await post({ ...envelope, TopicArn: 'arn:aws:sns:us-east-1:123456789012:other' })).statusCode).toBe(401);
    });
  });
}

describe('webhook settings', () => {
  it('refuses to start a provider named without its secret, naming the setting', () => {
    expect(() => loadConfig({ MX_LOOKUP: 'false', WEBHOOK_PROVIDERS: 'mailgun' })).toThrow(/WEBHOOK_PROVIDERS names mailgun but WEBHOOK_MAILGUN_SIGNING_KEY is not set/);
    expect(() => loadConfig({ MX_LOOKUP: 'false', WEBHOOK_PROVIDERS: 'postmark', WEBHOOK_POSTMARK_AUTH: 'basic:user:' })).toThrow(/WEBHOOK_POSTMARK_AUTH: must be basic:USER:PASSWORD/);
    expect(() => loadConfig({ MX_LOOKUP: 'false', WEBHOOK_PROVIDERS: 'mandrill' })).toThrow(/WEBHOOK_PROVIDERS: must be a comma-separated list of ses, sendgrid/);
    expect(() => loadConfig({ MX_LOOKUP: 'false', INBOUND_SMTP_PORT: '2525' })).toThrow(/INBOUND_SMTP_PORT is set but neither INBOUND_SMTP_DOMAINS nor BOUNCE_DOMAIN/);
    expect(loadConfig({ MX_LOOKUP: 'false', WEBHOOK_PROVIDERS: 'postmark', WEBHOOK_POSTMARK_AUTH: 'query:key:s3cret' }).webhooks.postmark).toEqual({ credentials: { scheme: 'query', parameter: 'key', secret: 's3cret' }, allowedSources: [] });
  });
});
