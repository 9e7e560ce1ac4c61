/**
 * Sending through a real SMTP exchange (nodemailer to the local sink) from the send queue, on every
 * dialect: the envelope (VERP, DSN), the Message-ID, retries on the database's schedule across a
 * restart, giving up, bounces, no answer, blocking before sending, the limits, and two nodes.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import pino from 'pino';
import type { ParsedMail } from 'mailparser';
import { build, type Mailsight } from '../src/compose.js';
import { loadConfig } from '../src/config.js';
import { createApiKey } from '../src/app/keys.js';
import type { Mailer } from '../src/app/ports.js';
import { smtpMailer } from '../src/adapters/smtp/smtp-mailer.js';
import { startSmtpSink, type ReceivedEnvelope, type SinkOptions, type SmtpSink } from '../src/adapters/smtp/smtp-sink.js';
import { readBounceAddress, readBounceToken, readMessageIdHeader } from '../src/core/verp.js';
import { createTestDatabase, postgresReachable, testDialects, type TestDatabase, type TestDialect } from './support/databases.js';
import { dialectEnv, settableClock } from './support/server.js';

const MINUTE = 60_000;

interface Received {
  mail: ParsedMail;
  to: string[];
  envelope: ReceivedEnvelope;
}

interface Node extends Mailsight {
  api(method: 'GET' | 'POST', url: string, body?: unknown): Promise<{ status: number; body: any }>;
}

/** A relay over the sink whose target can be switched (to a closed port: a relay that does not answer). */
function switchableRelay(port: number): Mailer & { to(port: number): void; close(): void } {
  let current = smtpMailer({ url: `smtp://127.0.0.1:${port}`, requireTls: false, timeoutMs: 5_000, maxConnections: 10 });
  return {
    send: (mail) => current.send(mail),
    to(next) {
      current.close();
      current = smtpMailer({ url: `smtp://127.0.0.1:${next}`, requireTls: false, timeoutMs: 5_000, maxConnections: 10 });
    },
    close: () => current.close(),
  };
}

for (const dialect of await testDialects()) {
  describe(`sending from the queue (${dialect})`, () => {
    let database: TestDatabase;
    let sink: SmtpSink;
    let relay: ReturnType<typeof switchableRelay>;
    let inbox: Received[];
    let nodes: Node[];
    let apiKey: string;
    const clock = settableClock();

    async function start(env: Record<string, string> = {}, sinkOptions: SinkOptions = {}): Promise<Node> {
      sink ??= await startSmtpSink((mail, to, envelope) => inbox.push({ mail, to, envelope }), sinkOptions);
      relay ??= switchableRelay(sink.port);
      return node(env);
    }

    async function node(env: Record<string, string> = {}, nodeId = 'node-a'): Promise<Node> {
      const config = Object.freeze({
        ...loadConfig({ MX_LOOKUP: 'false', PUBLIC_URL: 'https://track.test', LOG_LEVEL: 'silent', NODE_ID: nodeId, SEND_POLL: '0', BOUNCE_DOMAIN: 'bounces.shop.example', ...dialectEnv(dialect), ...env }),
        database: database.config,
      });
      const built = await build({ config, clock, logger: pino({ level: 'silent' }), mailer: relay });
      apiKey ??= (await createApiKey(built.storage.keys, clock, 'test')).key;
      const started: Node = {
        ...built,
        async api(method, url, body) {
          const response = await built.app.inject({
            method,
            url,
            headers: { authorization: `Bearer ${apiKey}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
            ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
          });
          return { status: response.statusCode, body: response.body ? JSON.parse(response.body) : null };
        },
      };
      nodes.push(started);
      return started;
    }

    async function execution(n: Node, campaign: Record<string, unknown> = {}): Promise<number> {
      const created = await n.api('POST', '/api/campaigns', { name: 'queue', ...campaign });
      return (await n.api('POST', `/api/campaigns/${created.body.id}/executions`, { subject: 'Hi', html: '<p><a href="https://shop.example/">shop</a></p>', text: 'hi' })).body.id;
    }

    const events = async (n: Node, id: number) => (await n.api('GET', `/api/messages/${id}`)).body.events as any[];
    const received = (address: string) => inbox.filter((m) => m.to.some((to) => to.toLowerCase() === address));

    beforeEach(async () => {
      database = await createTestDatabase(dialect);
      inbox = [];
      nodes = [];
      clock.set(Date.UTC(2026, 10, 1));
    });
    afterEach(async () => {
      for (const n of nodes) await n.app.close();
      relay?.close();
      await sink?.close();
      await database.drop();
      (sink as SmtpSink | undefined) = undefined;
      (relay as typeof relay | undefined) = undefined;
      (apiKey as string | undefined) = undefined;
    });

    it('hands the message over from its VERP return path with a DSN request, under its stored Message-ID', async () => {
      const n = await start();
      const executionId = await execution(n);
      const created = await n.api('POST', '/api/messages', { executionId, to: ['ann@corp.example'], send: true });
      expect(created.status).toBe(201);
      expect(created.body.send).toMatchObject({ accepted: true, status: 'sent' });
      const [{ mail, envelope }] = received('ann@corp.example') as [Received];
      const keyring = n.services.keyring.current;

      // MAIL FROM:<bounce+token@BOUNCE_DOMAIN> RET=HDRS ENVID=token; RCPT TO:<...> NOTIFY=SUCCESS,FAILURE,DELAY
      const mailFrom = envelope.mailFrom as Exclude<ReceivedEnvelope['mailFrom'], false>;
      expect(mailFrom.address).toMatch(/^bounce\+[a-z2-7]{32}@bounces\.shop\.example$/);
      expect(readBounceAddress(keyring, mailFrom.address)).toEqual({ messageId: created.body.id });
      expect(mailFrom.args).toMatchObject({ RET: 'HDRS', ENVID: expect.any(String) });
      expect(readBounceToken(keyring, (mailFrom.args as Record<string, string>)['ENVID']!)).toEqual({ messageId: created.body.id });
      expect(envelope.rcptTo[0]!.args).toMatchObject({ NOTIFY: 'SUCCESS,FAILURE,DELAY' });
      expect(envelope.dsn).toMatchObject({ ret: 'HDRS' });

      // The Message-ID: the one the API gave, stored with the message, naming it.
      const messageId = created.body.headers['Message-ID'];
      expect(messageId).toMatch(/^<[a-z2-7]{32}@bounces\.shop\.example>$/);
      expect(mail.messageId).toBe(messageId);
      expect(readMessageIdHeader(keyring, messageId)).toEqual({ messageId: created.body.id });
      const view = await n.api('GET', `/api/messages/${created.body.id}`);
      expect(view.body.message.messageIdHeader).toBe(messageId);
      expect(view.body.events.map((e: any) => [e.type, e.source])).toEqual([
        ['queued', 'api'],
        ['sending', 'smtp'],
        ['sent', 'smtp'],
      ]);
      expect(view.body.status.state).toBe('sent');

      // A sender who sends by itself gets the Message-ID in the headers too, for its bounces to correlate.
      const own = await n.api('POST', '/api/messages', { executionId, to: ['bob@corp.example'] });
      expect(own.body.headers['Message-ID']).toMatch(/@bounces\.shop\.example>$/);
      expect(own.body.headers['Message-ID']).not.toBe(messageId);
      expect((await n.api('GET', `/api/messages/${own.body.id}`)).body.message.messageIdHeader).toBe(own.body.headers['Message-ID']);
    });

    it('records a 4xx as deferred with its reason and tries again when due, after a restart too, then records sent', async () => {
      let n = await start({}, { rejectRecipient: (address, attempt) => (address === 'later@corp.example' && attempt === 1 ? { code: 451, message: '4.2.2 mailbox full, try again later' } : null) });
      const executionId = await execution(n);
      const created = await n.api('POST', '/api/messages', { executionId, to: ['later@corp.example'], send: true });
      expect(created.status).toBe(502);
      expect(created.body.send).toMatchObject({ accepted: false, status: 'deferred' });
      expect(await n.services.sendQueue!.runDue()).toBe(0);

      // The retry schedule is in the database: a new server over it takes the message when it is due.
      await n.app.close();
      nodes = [];
      n = await node();
      clock.advance(5 * MINUTE - 1);
      expect(await n.services.sendQueue!.runDue()).toBe(0);
      clock.advance(1);
      expect(await n.services.sendQueue!.runDue()).toBe(1);
      expect(received('later@corp.example')).toHaveLength(1);
      const all = await events(n, created.body.id);
      expect(all.map((e) => e.type)).toEqual(['queued', 'sending', 'deferred', 'sending', 'sent']);
      expect(all[2]).toMatchObject({ source: 'smtp', reason: 'mailboxfull', detail: { code: 451, status: '4.2.2', attempt: 1, nextAttemptAt: Date.UTC(2026, 10, 1) + 5 * MINUTE } });
      expect(all[2].detail.text).toMatch(/mailbox full/);
      // (The derived status ranks a deferral above a sent report, core/message-status.ts: not asserted here.)
      expect(await n.storage.sendQueue.get(created.body.id)).toMatchObject({ state: 'sent', attempts: 2 });
    });

    it('gives up after the last attempt allowed: a soft bounce, reason expired', async () => {
      const n = await start({ SEND_MAX_ATTEMPTS: '3', SEND_RETRY_BACKOFF: '1m,2m' }, { rejectRecipient: () => ({ code: 421, message: '4.4.2 connection dropped' }) });
      const created = await n.api('POST', '/api/messages', { executionId: await execution(n), to: ['never@corp.example'], send: true });
      expect(created.body.send.status).toBe('deferred');
      clock.advance(MINUTE);
      expect(await n.services.sendQueue!.runDue()).toBe(1);
      clock.advance(MINUTE);
      expect(await n.services.sendQueue!.runDue()).toBe(0);
      clock.advance(MINUTE);
      expect(await n.services.sendQueue!.runDue()).toBe(1);
      const all = await events(n, created.body.id);
      expect(all.map((e) => [e.type, e.subtype, e.reason])).toEqual([
        ['queued', null, null],
        ['sending', null, null],
        ['deferred', null, 'networkerror'],
        ['sending', null, null],
        ['deferred', null, 'networkerror'],
        ['sending', null, null],
        ['deferred', null, 'networkerror'],
        ['bounced', 'soft', 'expired'],
      ]);
      expect((await n.api('GET', `/api/messages/${created.body.id}`)).body.status).toEqual({ state: 'bounced', bounceType: 'soft' });
      expect(await n.storage.sendQueue.get(created.body.id)).toMatchObject({ state: 'expired', attempts: 3 });
      clock.advance(60 * MINUTE);
      expect(await n.services.sendQueue!.runDue()).toBe(0);
    });

    it('records a 5xx as a bounce classified by its reason: hard for an unknown user, soft for a full mailbox', async () => {
      const n = await start({}, {
        rejectRecipient: (address) =>
          address === 'gone@corp.example' ? { code: 550, message: '5.1.1 user unknown' } : address === 'full@corp.example' ? { code: 552, message: '5.2.2 mailbox full' } : null,
      });
      const executionId = await execution(n);
      const gone = await n.api('POST', '/api/messages', { executionId, to: ['gone@corp.example'], send: true });
      expect(gone.status).toBe(502);
      expect(gone.body.send).toMatchObject({ accepted: false, status: 'bounced' });
      expect((await events(n, gone.body.id)).at(-1)).toMatchObject({ type: 'bounced', subtype: 'hard', reason: 'userunknown', detail: { code: 550, status: '5.1.1' } });
      const full = await n.api('POST', '/api/messages', { executionId, to: ['full@corp.example'], send: true });
      expect((await events(n, full.body.id)).at(-1)).toMatchObject({ type: 'bounced', subtype: 'soft', reason: 'mailboxfull', detail: { code: 552, status: '5.2.2' } });
      // A hard refusal is about the address whoever says it: suppressed as any hard bounce; a soft one
      // from the relay may be the relay's doing and suppresses nothing.
      expect(await n.storage.catalog.findSuppression('gone@corp.example', clock.now())).toMatchObject({ reason: 'hard-bounce', source: 'smtp' });
      expect(await n.storage.catalog.findSuppression('full@corp.example', clock.now())).toBeNull();
      // A bounce is final for the queue: no retry.
      clock.advance(24 * 60 * MINUTE);
      expect(await n.services.sendQueue!.runDue()).toBe(0);
    });

    it('records sent for the message and a bounce for a recipient the relay refused while taking it for the others', async () => {
      const n = await start({}, { rejectRecipient: (address) => (address === 'gone@corp.example' ? { code: 550, message: '5.1.1 user unknown' } : null) });
      const created = await n.api('POST', '/api/messages', { executionId: await execution(n), to: ['ok@corp.example'], cc: ['gone@corp.example'], send: true });
      expect(created.body.send).toMatchObject({ accepted: true, status: 'sent' });
      expect(received('ok@corp.example')).toHaveLength(1);
      expect((await events(n, created.body.id)).slice(-2)).toMatchObject([
        { type: 'sent', recipient: null },
        { type: 'bounced', subtype: 'hard', reason: 'userunknown', recipient: 'gone@corp.example', detail: { code: 550, status: '5.1.1' } },
      ]);
    });

    it('never records a relay that does not answer as sent: deferred, then tried again', async () => {
      const n = await start();
      const closed = await startSmtpSink(() => {});
      await closed.close();
      relay.to(closed.port);
      const created = await n.api('POST', '/api/messages', { executionId: await execution(n), to: ['offline@corp.example'], send: true });
      expect(created.status).toBe(502);
      expect(created.body.send).toMatchObject({ accepted: false, status: 'deferred', response: expect.stringMatching(/^the relay did not answer: /) });
      expect((await events(n, created.body.id)).map((e) => [e.type, e.reason, e.detail?.code ?? null])).toEqual([
        ['queued', null, null],
        ['sending', null, null],
        ['deferred', 'networkerror', null],
      ]);
      // Waiting in our queue for another attempt: still being sent, not deferred by a recipient's server.
      expect((await n.api('GET', `/api/messages/${created.body.id}`)).body.status.state).toBe('sending');
      relay.to(sink.port);
      clock.advance(5 * MINUTE);
      expect(await n.services.sendQueue!.runDue()).toBe(1);
      expect(received('offline@corp.example')).toHaveLength(1);
      expect((await events(n, created.body.id)).at(-1)).toMatchObject({ type: 'sent', source: 'smtp' });
      expect((await n.api('GET', `/api/messages/${created.body.id}`)).body.status.state).toBe('sent');
    });

    it('blocks a suppressed address, when the message is created and when it is due, naming the reason and the recipient', async () => {
      const n = await start();
      const executionId = await execution(n);
      const waiting = await n.api('POST', '/api/messages', { executionId, to: ['gone-later@corp.example'] });
      const first = await n.api('POST', '/api/messages', { executionId: await execution(n), to: ['gone-later@corp.example'], send: true });
      await n.api('POST', `/api/messages/${first.body.id}/events`, { type: 'complained' });

      const blocked = await n.api('POST', '/api/messages', { executionId: await execution(n), to: ['gone-later@corp.example'], send: true });
      expect(blocked.status).toBe(201);
      expect(blocked.body).toMatchObject({ status: { state: 'blocked' }, send: null });
      expect((await events(n, blocked.body.id)).at(-1)).toMatchObject({ type: 'blocked', reason: 'complaint', recipient: 'gone-later@corp.example' });

      // Created before the complaint, sent after: blocked before the hand-over.
      const late = await n.api('POST', `/api/messages/${waiting.body.id}/send`);
      expect(late.status).toBe(422);
      expect(late.body.message).toMatch(/gone-later@corp\.example is suppressed \(complaint\)/);
      expect((await events(n, waiting.body.id)).map((e) => [e.type, e.reason, e.recipient])).toEqual([
        ['queued', null, null],
        ['blocked', 'complaint', 'gone-later@corp.example'],
      ]);
      expect(await n.storage.sendQueue.get(waiting.body.id)).toMatchObject({ state: 'blocked' });
      expect(received('gone-later@corp.example')).toHaveLength(1);
    });

    it('blocks a second message to one address in one execution, unless the campaign allows duplicates', async () => {
      const n = await start();
      const executionId = await execution(n);
      const first = await n.api('POST', '/api/messages', { executionId, to: ['Dup@corp.example'], send: true });
      const second = await n.api('POST', '/api/messages', { executionId, to: ['dup@corp.example'], cc: ['other@corp.example'], send: true });
      expect(second.status).toBe(201);
      expect(second.body).toMatchObject({ status: { state: 'blocked' }, send: null });
      expect((await events(n, second.body.id)).at(-1)).toMatchObject({ type: 'blocked', reason: 'duplicate', recipient: 'dup@corp.example', detail: { duplicateOf: first.body.id } });
      expect((await n.api('POST', `/api/messages/${second.body.id}/send`)).status).toBe(422);
      // The blocked message held nothing: other@ may still get a message of this execution.
      expect((await n.api('POST', '/api/messages', { executionId, to: ['other@corp.example'], send: true })).body.send).toMatchObject({ accepted: true });
      // Another execution is another sending.
      expect((await n.api('POST', '/api/messages', { executionId: await execution(n), to: ['dup@corp.example'], send: true })).body.send).toMatchObject({ accepted: true });

      const allowing = await execution(n, { allowDuplicates: true });
      const campaign = (await n.api('GET', `/api/executions/${allowing}`)).body.campaignId;
      expect((await n.api('GET', `/api/campaigns/${campaign}`)).body.allowDuplicates).toBe(true);
      for (let i = 0; i < 2; i++) expect((await n.api('POST', '/api/messages', { executionId: allowing, to: ['twice@corp.example'], send: true })).body.send).toMatchObject({ accepted: true });
      expect(received('twice@corp.example')).toHaveLength(2);
      expect(received('dup@corp.example')).toHaveLength(2);
    });

    it("blocks a later message of the campaign with a caller's deduplication key", async () => {
      const n = await start();
      const executionId = await execution(n);
      const first = await n.api('POST', '/api/messages', { executionId, to: ['a@corp.example'], deduplicationKey: 'order-1001', send: true });
      expect(first.body.send).toMatchObject({ accepted: true });
      const again = await n.api('POST', '/api/messages', { executionId, to: ['b@corp.example'], deduplicationKey: 'order-1001', send: true });
      expect(again.body).toMatchObject({ status: { state: 'blocked' }, send: null });
      expect((await events(n, again.body.id)).at(-1)).toMatchObject({ type: 'blocked', reason: 'duplicate-key', recipient: null, detail: { duplicateOf: first.body.id } });
      expect((await n.api('POST', '/api/messages', { executionId, to: ['c@corp.example'], deduplicationKey: 'order-1002', send: true })).body.send).toMatchObject({ accepted: true });
      expect(received('b@corp.example')).toHaveLength(0);
    });

    it('takes over a message whose attempt never finished (its node died) once the lease runs out', async () => {
      const n = await start({ SEND_LEASE: '10m' });
      const created = await n.api('POST', '/api/messages', { executionId: await execution(n), to: ['crash@corp.example'] });
      await n.storage.sendQueue.enqueue(created.body.id, clock.now());
      // Another node leased it and died: nothing records its end.
      expect(await n.storage.sendQueue.lease(created.body.id, clock.now(), 10 * MINUTE)).not.toBeNull();
      expect(await n.services.sendQueue!.runDue()).toBe(0);
      expect((await n.api('POST', `/api/messages/${created.body.id}/send`)).status).toBe(409);
      clock.advance(10 * MINUTE);
      expect(await n.services.sendQueue!.runDue()).toBe(1);
      expect(received('crash@corp.example')).toHaveLength(1);
      expect(await n.storage.sendQueue.get(created.body.id)).toMatchObject({ state: 'sent', attempts: 2 });
    });

    it('hands over at most SEND_CONCURRENCY messages at once', async () => {
      const n = await start({ SEND_CONCURRENCY: '2' }, { answerDelayMs: 100 });
      const executionId = await execution(n);
      for (let i = 0; i < 6; i++) {
        const created = await n.api('POST', '/api/messages', { executionId, to: [`c${i}@corp.example`] });
        await n.storage.sendQueue.enqueue(created.body.id, clock.now());
      }
      expect(await n.services.sendQueue!.runDue()).toBe(6);
      expect(inbox).toHaveLength(6);
      // The relay's pool would open 10 connections: the queue's limit is what kept them to 2.
      expect(sink.connections.most).toBe(2);
    });

    it('starts at most SEND_RATE_PER_MINUTE hand-overs a minute; a direct send over the limit is queued (202)', async () => {
      const n = await start({ SEND_RATE_PER_MINUTE: '3' });
      const executionId = await execution(n);
      const ids: number[] = [];
      for (let i = 0; i < 5; i++) {
        const created = await n.api('POST', '/api/messages', { executionId, to: [`r${i}@corp.example`] });
        ids.push(created.body.id);
        await n.storage.sendQueue.enqueue(created.body.id, clock.now());
      }
      expect(await n.services.sendQueue!.runDue()).toBe(3);
      expect(await n.services.sendQueue!.runDue()).toBe(0);
      const direct = await n.api('POST', `/api/messages/${ids[4]}/send`);
      expect(direct).toMatchObject({ status: 202, body: { accepted: false, status: 'queued' } });
      expect(await n.storage.sendQueue.get(ids[4]!)).toMatchObject({ state: 'pending', attempts: 0 });
      clock.advance(MINUTE - 1);
      expect(await n.services.sendQueue!.runDue()).toBe(0);
      clock.advance(1);
      expect(await n.services.sendQueue!.runDue()).toBe(2);
      expect(inbox).toHaveLength(5);
    });
  });
}

describe.skipIf(!(await postgresReachable()))('two nodes sending from one PostgreSQL queue', () => {
  it('never both hand over the same message', async () => {
    const dialect: TestDialect = 'postgres';
    const database = await createTestDatabase(dialect);
    const inbox: string[] = [];
    const sink = await startSmtpSink((_mail, to) => inbox.push(...to), { answerDelayMs: 20 });
    const clock = settableClock();
    const nodes: Mailsight[] = [];
    try {
      for (const name of ['node-a', 'node-b']) {
        const config = Object.freeze({ ...loadConfig({ MX_LOOKUP: 'false', PUBLIC_URL: 'https://track.test', LOG_LEVEL: 'silent', NODE_ID: name, SEND_POLL: '0', SEND_CONCURRENCY: '4', ...dialectEnv(dialect) }), database: database.config });
        nodes.push(await build({ config, clock, logger: pino({ level: 'silent' }), mailer: smtpMailer({ url: `smtp://127.0.0.1:${sink.port}`, requireTls: false, timeoutMs: 5_000, maxConnections: 4 }) }));
      }
      const [a, b] = nodes as [Mailsight, Mailsight];
      const campaign = await a.services.campaigns.createCampaign({ name: 'nodes', kind: 'one-off', trackOpens: true, trackClicks: true, trackingBaseUrl: null, honeypot: false });
      const { execution } = await a.services.campaigns.createExecution(campaign.id, { subject: 's', html: null, text: 'hello' });
      const ids: number[] = [];
      for (let i = 0; i < 20; i++) {
        const created = await a.services.messages.createMessage(execution.id, [{ email: `n${i}@corp.example` }], []);
        ids.push(created.message.id);
        await a.storage.sendQueue.enqueue(created.message.id, clock.now());
      }
      const [fromA, fromB] = await Promise.all([a.services.sendQueue!.runDue(), b.services.sendQueue!.runDue()]);
      expect(fromA + fromB).toBe(20);
      expect(inbox.sort()).toEqual(ids.map((_, i) => `n${i}@corp.example`).sort());
      for (const id of ids) {
        const events = await a.storage.events.listForMessage(id);
        expect(events.filter((e) => e.type === 'sending')).toHaveLength(1);
        expect(events.filter((e) => e.type === 'sent')).toHaveLength(1);
      }
    } finally {
      for (const n of nodes) await n.app.close();
      await sink.close();
      await database.drop();
    }
  });
});
