/**
 * The end-to-end test, on every dialect: mailsight sends a campaign through a real Postfix
 * (test/support/postfix.ts) whose transport map sends accept.test to a local server that accepts
 * ok1@, ok2@ and ok3@ and refuses nobody@ (550 5.1.1), full@ (452 4.2.2, until the queue lifetime
 * runs out) and spam@ (554 5.7.1), and bounce.test to mailsight's own SMTP receiver. The DSNs that
 * reach the receiver are genuine Postfix DSNs (relayed, failed, delayed). Then an ARF report, an SES
 * complaint and a SendGrid batch arrive about the same messages. Statuses, the campaign report and
 * the suppression list must come out exactly right, each fact counted once whoever reported it, and
 * a second execution of the campaign must be blocked for the suppressed addresses only.
 *
 * Postfix and its DSNs run on real time; the server's clock is a settable one kept on real time
 * (synced before each step), since a reported time ahead of the server's is replaced on arrival.
 */
import { createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import path from 'node:path';
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startInboundSmtp } from '../src/compose.js';
import type { HttpFetcher } from '../src/adapters/webhooks/provider.js';
import { bounceAddress, bounceToken } from '../src/core/verp.js';
import { testDialects } from './support/databases.js';
import { postfixAvailable, startPostfix, type PostfixInstance } from './support/postfix.js';
import { startTestServer, type TestServer } from './support/server.js';
import { sendGridBatch, snsNotification, type SnsSigning } from './support/signed-webhooks.js';
import { startSmtpReceiver, type SmtpRefusal, type SmtpReceiver } from './support/smtp-receiver.js';

const FIXTURES = path.resolve(import.meta.dirname, 'fixtures');
const fixture = (name: string) => readFileSync(path.join(FIXTURES, name), 'utf8');

const DAY_MS = 24 * 60 * 60 * 1000;
const BOUNCE_DOMAIN = 'bounce.test';
/** full@ is retried this long (a delayed DSN after DELAY_WARNING), then returned (a failed DSN). */
const QUEUE_LIFETIME = '4s';
const DELAY_WARNING = '1s';
/** How long the DSNs of one sending may take to be recorded: QUEUE_LIFETIME of retries, then the DSN's delivery, with a wide margin. */
const OUTCOME_DEADLINE_MS = 30_000;
const POLL_MS = 100;

const OK1 = 'ok1@accept.test';
const OK2 = 'ok2@accept.test';
const OK3 = 'ok3@accept.test';
const NOBODY = 'nobody@accept.test';
const FULL = 'full@accept.test';
const SPAM = 'spam@accept.test';
const RECIPIENTS = [OK1, OK2, OK3, NOBODY, FULL, SPAM];

const REFUSALS: Record<string, SmtpRefusal> = {
  [NOBODY]: { code: 550, message: `5.1.1 <${NOBODY}>: Recipient address rejected: User unknown` },
  [FULL]: { code: 452, message: `4.2.2 <${FULL}>: Mailbox full, try again later` },
  [SPAM]: { code: 554, message: `5.7.1 <${SPAM}>: Message refused as spam` },
};

/** What Postfix reports about each recipient (by DSN), in the events it becomes: type, then bounce type. */
const POSTFIX_OUTCOMES: Record<string, [type: string, subtype: string | null][]> = {
  [OK1]: [['delivered', null]],
  [OK2]: [['delivered', null]],
  [OK3]: [['delivered', null]],
  [NOBODY]: [['bounced', 'hard']],
  [FULL]: [
    ['deferred', null],
    ['bounced', 'soft'],
  ],
  [SPAM]: [['bounced', 'soft']],
};

const SES: SnsSigning = {
  topicArn: 'arn:aws:sns:us-east-1:123456789012:ses-events',
  certUrl: 'https://sns.us-east-1.amazonaws.com/SimpleNotificationService-test.pem',
  key: createPrivateKey(fixture('webhooks/ses/test-signing-key.pem')),
};
const fetcher: HttpFetcher = {
  async get(url) {
    if (url === SES.certUrl) return fixture('webhooks/ses/test-signing-cert.pem');
    throw new Error(`unexpected fetch of ${url}`);
  },
};
const sendgrid = generateKeyPairSync('ec', { namedCurve: 'P-256' });

interface Sent {
  id: number;
  messageIdHeader: string;
}

interface EventView {
  id: number;
  type: string;
  at: number;
  source: string;
  subtype: string | null;
  reason: string | null;
  recipient: string | null;
  detail: Record<string, unknown> | null;
}

const runs = postfixAvailable();

for (const dialect of await testDialects()) {
  describe.skipIf(!runs)(`a campaign sent through a real Postfix, its outcomes from DSNs, ARF and webhooks (${dialect})`, () => {
    let s: TestServer;
    let accept: SmtpReceiver;
    let postfix: PostfixInstance;
    let inbound: Awaited<ReturnType<typeof reservePort>> | undefined;
    let inboundPort: number;
    let campaignId: number;
    const first = new Map<string, Sent>();
    const second = new Map<string, Sent>();

    beforeAll(async () => {
      accept = await startSmtpReceiver(REFUSALS);
      // Postfix must run before mailsight is built (SMTP_URL names its port), and Postfix's routes must
      // name mailsight's receiver, which starts after the build: the receiver's port is held here
      // until the receiver takes it, so that nothing else can.
      inbound = await reservePort();
      postfix = await startPostfix({ routes: { 'accept.test': accept.port, [BOUNCE_DOMAIN]: inbound.port }, queueLifetime: QUEUE_LIFETIME, delayWarning: DELAY_WARNING });
      s = await startTestServer(
        dialect,
        {
          SMTP_URL: `smtp://127.0.0.1:${postfix.port}`,
          MAIL_FROM: 'News <news@sender.test>',
          BOUNCE_DOMAIN,
          INBOUND_SMTP_PORT: String(inbound.port),
          INBOUND_SMTP_HOST: '127.0.0.1',
          WEBHOOK_PROVIDERS: 'ses,sendgrid',
          WEBHOOK_SES_TOPIC_ARNS: SES.topicArn,
          WEBHOOK_SENDGRID_VERIFICATION_KEY: sendgrid.publicKey.export({ format: 'der', type: 'spki' }).toString('base64'),
          SEND_POLL: '0',
        },
        undefined,
        undefined,
        { fetcher },
      );
      sync();
      await inbound.release();
      inboundPort = (await startInboundSmtp(s, s.config))!.port;
      campaignId = (await s.api('POST', '/api/campaigns', { name: 'postfix e2e' })).body.id;
    }, 60_000);

    afterAll(async () => {
      // Postfix first: its connections to the receivers end with it.
      await postfix?.stop();
      await inbound?.release();
      await s?.close();
      await accept?.close();
    });

    /** Keeps the server's clock on real time, Postfix's time. */
    const sync = () => s.clock.set(Math.max(s.clock.now(), Date.now()));
    const view = async (id: number) => (await s.api('GET', `/api/messages/${id}`)).body as { status: { state: string; bounceType?: string }; events: EventView[] };
    const events = async (id: number) => (await view(id)).events;
    const report = async () => (await s.api('GET', `/api/campaigns/${campaignId}/report`)).body;

    async function sendExecution(into: Map<string, Sent>): Promise<Map<string, { status: number; body: any }>> {
      const executionId = (await s.api('POST', `/api/campaigns/${campaignId}/executions`, { subject: 'Hi', html: '<p>Hello <a href="https://shop.example/">shop</a></p>', text: 'Hello' })).body.id;
      const answers = new Map<string, { status: number; body: any }>();
      for (const to of RECIPIENTS) {
        sync();
        const created = await s.api('POST', '/api/messages', { executionId, to: [to], send: true });
        answers.set(to, created);
        into.set(to, { id: created.body.id, messageIdHeader: created.body.headers['Message-ID'] });
      }
      return answers;
    }

    /**
     * Polls `done` (the server's clock synced each time) until it holds or OUTCOME_DEADLINE_MS pass;
     * on timeout the error carries `explain()`, what was kept for review and Postfix's log.
     */
    async function waitFor(what: string, done: () => Promise<boolean>, explain: () => Promise<string> = async () => ''): Promise<void> {
      const deadline = Date.now() + OUTCOME_DEADLINE_MS;
      for (;;) {
        sync();
        if (await done()) return;
        if (Date.now() > deadline) {
          const kept = (await s.api('GET', '/api/inbound-reports')).body.reports;
          throw new Error(`timed out waiting for ${what}\n${await explain()}\nkept for review: ${JSON.stringify(kept)}\nPostfix log:\n${postfix.logs()}`);
        }
        await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      }
    }

    /** Waits until Postfix's DSNs about `recipients` of `sent` are recorded: POSTFIX_OUTCOMES, each from a DSN. */
    async function waitForDsns(sent: Map<string, Sent>, recipients: readonly string[]): Promise<void> {
      const missing = async () => {
        const left: string[] = [];
        for (const to of recipients) {
          const fromDsn = (await events(sent.get(to)!.id)).filter((e) => e.source === 'dsn');
          if (!POSTFIX_OUTCOMES[to]!.every(([type, subtype]) => fromDsn.some((e) => e.type === type && e.subtype === subtype))) left.push(to);
        }
        return left;
      };
      await waitFor(
        `the DSNs about ${recipients.join(', ')}`,
        async () => (await missing()).length === 0,
        async () => {
          const lines = await Promise.all((await missing()).map(async (to) => `${to}: ${JSON.stringify((await events(sent.get(to)!.id)).map((e) => [e.type, e.source, e.subtype]))}`));
          return `not recorded yet:\n${lines.join('\n')}`;
        },
      );
    }

    /** A message's events as [type, source, subtype, reason, recipient], sorted: what was recorded, not in which order. */
    const facts = async (id: number) => sorted((await events(id)).map((e) => [e.type, e.source, e.subtype, e.reason, e.recipient]));
    const handedOver = [
      ['queued', 'api', null, null, null],
      ['sending', 'smtp', null, null, null],
      ['sent', 'smtp', null, null, null],
    ];

    it('hands every message to Postfix, which relays or refuses it and returns genuine DSNs to the receiver', { timeout: 60_000 }, async () => {
      const sentFrom = Date.now();
      const answers = await sendExecution(first);
      // Postfix is a relay: it takes every recipient at SMTP time; refusals come later, by DSN.
      for (const to of RECIPIENTS) {
        expect(answers.get(to)!.status, to).toBe(201);
        expect(answers.get(to)!.body.send, to).toMatchObject({ accepted: true, status: 'sent' });
      }
      await waitForDsns(first, RECIPIENTS);

      // Each DSN event keeps the time Postfix reported (none was ahead of the server's clock): between the send and now.
      for (const to of RECIPIENTS) {
        for (const e of (await events(first.get(to)!.id)).filter((e) => e.source === 'dsn')) {
          expect(e.detail?.['reportedAt'], to).toBeUndefined();
          expect(e.at, to).toBeGreaterThanOrEqual(Math.floor(sentFrom / 1000) * 1000);
          expect(e.at, to).toBeLessThanOrEqual(Date.now());
        }
      }

      // The accepted ones reached the recipients' server from their VERP return path, under their Message-ID.
      const keyring = s.services.keyring.current;
      expect(accept.messages.map((m) => m.rcptTo[0]).sort()).toEqual([OK1, OK2, OK3]);
      for (const m of accept.messages) {
        const sent = first.get(m.rcptTo[0]!)!;
        expect(m.mailFrom).toBe(bounceAddress(keyring, sent.id, BOUNCE_DOMAIN));
        expect(m.raw).toContain(`Message-ID: ${sent.messageIdHeader}`);
      }
      // One DSN per report (3 relayed, nobody@ and spam@ failed, full@ delayed then failed), each
      // delivered by Postfix over SMTP to the VERP address at mailsight's receiver. Postfix logs a
      // delivery once the receiver has answered, so the last line may follow the last event a little.
      const dsnDelivery = new RegExp(`: to=<bounce\\+[a-z2-7]+@bounce\\.test>, relay=127\\.0\\.0\\.1\\[127\\.0\\.0\\.1\\]:${inboundPort},.* status=sent `);
      const dsnDeliveries = () => postfix.logs().split('\n').filter((line) => dsnDelivery.test(line)).length;
      await waitFor('7 DSN deliveries in the Postfix log', async () => dsnDeliveries() >= 7);
      expect(dsnDeliveries()).toBe(7);
      // Every DSN was matched to its message: nothing kept for review.
      expect((await s.api('GET', '/api/inbound-reports')).body.reports).toEqual([]);
    });

    it('takes an ARF report, an SES complaint and a SendGrid batch about the same messages, each fact once', async () => {
      sync();
      const arf = arfReport(accept.messages.find((m) => m.rcptTo[0] === OK1)!.raw, OK1, s.clock.now());
      const transport = nodemailer.createTransport({ host: '127.0.0.1', port: inboundPort, secure: false, ignoreTLS: true });
      try {
        // The receiver answers once the report is recorded.
        const sent = await transport.sendMail({ envelope: { from: 'fbl@isp.example', to: ['fbl@bounce.test'] }, raw: arf });
        expect(sent.accepted).toEqual(['fbl@bounce.test']);
      } finally {
        transport.close();
      }

      sync();
      const complaint = sesComplaint(OK2, first.get(OK2)!.messageIdHeader, s.clock.now());
      const ses = await s.app.inject({ method: 'POST', url: '/webhooks/ses', headers: { 'content-type': 'text/plain; charset=UTF-8' }, payload: snsNotification(complaint, 'sns-complaint-1', s.clock.now(), SES) });
      expect(ses.statusCode, ses.body).toBe(200);
      expect(ses.json()).toEqual({ received: 1, recorded: 1, duplicates: 0, unmatched: 0, keptApart: 0 });

      sync();
      const keyring = s.services.keyring.current;
      const at = Math.floor(s.clock.now() / 1000);
      const batch = sendGridBatch(
        [
          { email: OK3, timestamp: at, event: 'delivered', sg_event_id: 'sg-ok3-delivered', sg_message_id: 'sgOk3.filter1', mailsight_token: bounceToken(keyring, first.get(OK3)!.id), response: '250 OK' },
          { email: NOBODY, timestamp: at, event: 'bounce', type: 'bounce', sg_event_id: 'sg-nobody-bounce', sg_message_id: 'sgNobody.filter1', mailsight_token: bounceToken(keyring, first.get(NOBODY)!.id), reason: '550 5.1.1 user unknown', status: '5.1.1' },
        ],
        s.clock.now(),
        sendgrid.privateKey,
      );
      const posted = await s.app.inject({ method: 'POST', url: '/webhooks/sendgrid', headers: batch.headers, payload: batch.payload });
      expect(posted.statusCode, posted.body).toBe(200);
      // Both facts were reported by Postfix's DSNs already: the same facts, not new ones.
      expect(posted.json()).toEqual({ received: 2, recorded: 0, duplicates: 2, unmatched: 0, keptApart: 0 });
      expect((await s.api('GET', '/api/inbound-reports')).body.reports).toEqual([]);
    });

    it('gives every message its status and events, each fact once, and the campaign its exact counts', async () => {
      const id = (to: string) => first.get(to)!.id;
      expect((await view(id(OK1))).status).toEqual({ state: 'complained' });
      expect((await view(id(OK2))).status).toEqual({ state: 'complained' });
      expect((await view(id(OK3))).status).toEqual({ state: 'delivered' });
      expect((await view(id(NOBODY))).status).toEqual({ state: 'bounced', bounceType: 'hard' });
      expect((await view(id(FULL))).status).toEqual({ state: 'bounced', bounceType: 'soft' });
      expect((await view(id(SPAM))).status).toEqual({ state: 'bounced', bounceType: 'soft' });

      expect(await facts(id(OK1))).toEqual(sorted([...handedOver, ['delivered', 'dsn', null, 'delivered', OK1], ['complained', 'arf', 'abuse', null, OK1]]));
      expect(await facts(id(OK2))).toEqual(sorted([...handedOver, ['delivered', 'dsn', null, 'delivered', OK2], ['complained', 'webhook', 'abuse', null, OK2]]));
      // Delivered by Postfix's word and by SendGrid's: one delivery.
      expect(await facts(id(OK3))).toEqual(sorted([...handedOver, ['delivered', 'dsn', null, 'delivered', OK3]]));
      // Refused by DSN and by SendGrid: one bounce.
      expect(await facts(id(NOBODY))).toEqual(sorted([...handedOver, ['bounced', 'dsn', 'hard', 'userunknown', NOBODY]]));
      expect(await facts(id(FULL))).toEqual(sorted([...handedOver, ['deferred', 'dsn', null, 'mailboxfull', FULL], ['bounced', 'dsn', 'soft', 'mailboxfull', FULL]]));
      expect(await facts(id(SPAM))).toEqual(sorted([...handedOver, ['bounced', 'dsn', 'soft', 'spamdetected', SPAM]]));

      expect(outcomeCounts((await report()).totals)).toEqual({
        messages: 6,
        attempted: 6,
        sent: 6,
        sending: 0,
        delivered: 3,
        deferred: 0,
        hardBounced: 1,
        softBounced: 2,
        bounced: 3,
        bouncesByReason: { userunknown: 1, mailboxfull: 1, spamdetected: 1 },
        blocked: 0,
        blockedByReason: {},
        complained: 2,
        unsubscribed: 0,
      });
    });

    it('suppresses nobody@ for 90 days from its bounce and ok1@ and ok2@ for good; full@ and spam@, one soft bounce each, are not suppressed', async () => {
      const bounce = (await events(first.get(NOBODY)!.id)).find((e) => e.type === 'bounced')!;
      const list = (await s.api('GET', '/api/suppressions')).body.suppressions as { email: string; reason: string; expiresAt: number | null }[];
      expect(list.map(({ email, reason, expiresAt }) => ({ email, reason, expiresAt })).sort((a, b) => a.email.localeCompare(b.email))).toEqual([
        { email: NOBODY, reason: 'hard-bounce', expiresAt: bounce.at + 90 * DAY_MS },
        { email: OK1, reason: 'complaint', expiresAt: null },
        { email: OK2, reason: 'complaint', expiresAt: null },
      ]);
    });

    it('blocks a second execution of the campaign for exactly the suppressed addresses, naming the reason, and sends it to the others', { timeout: 60_000 }, async () => {
      const answers = await sendExecution(second);
      const blocked: Record<string, string> = { [NOBODY]: 'hard-bounce', [OK1]: 'complaint', [OK2]: 'complaint' };
      for (const to of RECIPIENTS) {
        const answer = answers.get(to)!;
        expect(answer.status, to).toBe(201);
        if (blocked[to]) {
          expect(answer.body, to).toMatchObject({ status: { state: 'blocked' }, send: null });
          expect(await facts(second.get(to)!.id), to).toEqual(sorted([['queued', 'api', null, null, null], ['blocked', 'api', null, blocked[to], to]]));
        } else {
          expect(answer.body.send, to).toMatchObject({ accepted: true, status: 'sent' });
        }
      }

      // The others go through Postfix again, with the same outcomes; the blocked ones never reach it.
      const sentAgain = RECIPIENTS.filter((to) => !blocked[to]);
      await waitForDsns(second, sentAgain);
      expect(accept.messages.map((m) => m.rcptTo[0]).sort()).toEqual([OK1, OK2, OK3, OK3]);
      for (const to of Object.keys(blocked)) expect(postfix.logs().split(`to=<${to}>`), to).toHaveLength(2);

      expect(outcomeCounts((await report()).totals)).toEqual({
        messages: 12,
        attempted: 12,
        sent: 9,
        sending: 0,
        delivered: 4,
        deferred: 0,
        hardBounced: 1,
        softBounced: 4,
        bounced: 5,
        bouncesByReason: { userunknown: 1, mailboxfull: 2, spamdetected: 2 },
        blocked: 3,
        blockedByReason: { 'hard-bounce': 1, complaint: 2 },
        complained: 2,
        unsubscribed: 0,
      });
      // Two soft bounces in two sends are under the rule's 3 of 5: full@ and spam@ stay sendable.
      const emails = ((await s.api('GET', '/api/suppressions')).body.suppressions as { email: string }[]).map((e) => e.email).sort();
      expect(emails).toEqual([NOBODY, OK1, OK2]);
    });
  });
}

/** Facts in a fixed order, to compare what was recorded whatever order it was recorded in. */
function sorted(list: unknown[][]): unknown[][] {
  return [...list].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
}

/** A free port on 127.0.0.1, held (listened on) until released; releasing twice is releasing once. */
async function reservePort(): Promise<{ port: number; release(): Promise<void> }> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  let released: Promise<void> | null = null;
  return {
    port: (server.address() as AddressInfo).port,
    release: () => (released ??= new Promise<void>((resolve) => server.close(() => resolve()))),
  };
}

/** The delivery counts of a campaign report's totals (engagement left out: nothing was opened). */
function outcomeCounts(totals: Record<string, unknown>): Record<string, unknown> {
  const keys = ['messages', 'attempted', 'sent', 'sending', 'delivered', 'deferred', 'hardBounced', 'softBounced', 'bounced', 'bouncesByReason', 'blocked', 'blockedByReason', 'complained', 'unsubscribed'];
  return Object.fromEntries(keys.map((key) => [key, totals[key]]));
}

/**
 * An ARF complaint (RFC 5965) about the message `original` (as the recipient's server received it),
 * as a mailbox provider's feedback loop sends it: to the sender's feedback address, not the VERP
 * one, with the original's header (its Message-ID) as the only link to the message.
 */
function arfReport(original: string, recipient: string, at: number): string {
  const headers = original.slice(0, original.indexOf('\r\n\r\n') + 2);
  const date = new Date(at).toUTCString();
  return [
    'From: Feedback Loop <fbl@isp.example>',
    'To: fbl@bounce.test',
    'Subject: FW: Hi',
    `Date: ${date}`,
    `Message-ID: <arf-${at}@isp.example>`,
    'MIME-Version: 1.0',
    'Content-Type: multipart/report; report-type=feedback-report; boundary="arf-part"',
    '',
    '--arf-part',
    'Content-Type: text/plain; charset=us-ascii',
    '',
    `This is an email abuse report for an email message received on ${date}.`,
    '',
    '--arf-part',
    'Content-Type: message/feedback-report',
    '',
    'Feedback-Type: abuse',
    'User-Agent: ISP-FBL/1.0',
    'Version: 1',
    `Original-Rcpt-To: <${recipient}>`,
    `Arrival-Date: ${date}`,
    'Source-IP: 127.0.0.1',
    'Reported-Domain: sender.test',
    '',
    '--arf-part',
    'Content-Type: text/rfc822-headers',
    '',
    headers.replace(/\r\n$/, ''),
    '',
    '--arf-part--',
    '',
  ].join('\r\n');
}

/** An SES Complaint notification about `recipient`, the message named only by its Message-ID (commonHeaders). */
function sesComplaint(recipient: string, messageIdHeader: string, at: number): object {
  const time = new Date(at).toISOString();
  return {
    notificationType: 'Complaint',
    complaint: {
      feedbackId: '0100019c2d3e6b22-e2e00000-0000-4000-8000-000000000001-000000',
      complaintFeedbackType: 'abuse',
      complainedRecipients: [{ emailAddress: recipient }],
      timestamp: time,
      userAgent: 'ExampleCorp Feedback Loop (V0.01)',
      arrivalDate: time,
    },
    mail: {
      timestamp: time,
      source: 'news@sender.test',
      messageId: '0100019c2d3e4f50-e2e00000-0000-4000-8000-000000000002-000000',
      destination: [recipient],
      headersTruncated: false,
      headers: [
        { name: 'From', value: 'News <news@sender.test>' },
        { name: 'To', value: recipient },
        { name: 'Subject', value: 'Hi' },
      ],
      commonHeaders: { from: ['News <news@sender.test>'], to: [recipient], messageId: messageIdHeader, subject: 'Hi' },
    },
  };
}
