/**
 * Creating and sending a message is safe to retry and to race, on every dialect: a send that cannot
 * happen creates nothing, a refused send names the message it created, an Idempotency-Key never
 * creates a second message, and a message is handed to the relay once however many sends race.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { build, type Mailsight } from '../src/compose.js';
import { loadConfig } from '../src/config.js';
import { createApiKey } from '../src/app/keys.js';
import type { Mailer, OutgoingMail, SendOutcome } from '../src/app/ports.js';
import { IDEMPOTENCY_KEY_RETENTION_MS } from '../src/app/messages.js';
import { createTestDatabase, postgresReachable, testDialects, type TestDatabase } from './support/databases.js';
import { dialectEnv, settableClock, startTestServer, type TestServer } from './support/server.js';

const ACCEPTED: SendOutcome = { accepted: true, response: '250 2.0.0 queued', messageId: null };

/**
 * A relay that answers after `delayMs` (long enough for racing requests to meet) with the next of
 * `answers` (the last one repeats); an Error is thrown, as a mailer that loses its connection does.
 */
function relay(delayMs: number, ...answers: (SendOutcome | Error)[]): Mailer & { handed: OutgoingMail[] } {
  const handed: OutgoingMail[] = [];
  return {
    handed,
    async send(mail) {
      const answer = answers[Math.min(handed.length, answers.length - 1)] ?? ACCEPTED;
      handed.push(mail);
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      if (answer instanceof Error) throw answer;
      return answer;
    },
  };
}

async function execution(s: TestServer): Promise<{ campaignId: number; executionId: number }> {
  const campaign = await s.api('POST', '/api/campaigns', { name: 'send once' });
  const execution = await s.api('POST', `/api/campaigns/${campaign.body.id}/executions`, { subject: 'Hi', html: '<p><a href="https://shop.example/">shop</a></p>' });
  return { campaignId: campaign.body.id, executionId: execution.body.id };
}

/** POST /api/messages with an Idempotency-Key, through inject(). */
async function postMessage(app: Mailsight['app'], apiKey: string, body: unknown, idempotencyKey?: string): Promise<{ status: number; body: any }> {
  const response = await app.inject({
    method: 'POST',
    url: '/api/messages',
    headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json', ...(idempotencyKey === undefined ? {} : { 'idempotency-key': idempotencyKey }) },
    payload: JSON.stringify(body),
  });
  return { status: response.statusCode, body: response.json() };
}

const messageCount = async (s: TestServer, campaignId: number) => (await s.api('GET', `/api/campaigns/${campaignId}/report`)).body.totals.messages as number;

for (const dialect of await testDialects()) {
  describe(`sending without a relay (${dialect})`, () => {
    let s: TestServer;
    beforeAll(async () => {
      s = await startTestServer(dialect);
    });
    afterAll(async () => s?.close());

    it('refuses send: true with a 501 naming SMTP_URL before creating anything', async () => {
      const { campaignId, executionId } = await execution(s);
      const refused = await s.api('POST', '/api/messages', { executionId, to: ['a@corp.example'], send: true });
      expect(refused.status).toBe(501);
      expect(refused.body.message).toMatch(/SMTP_URL/);
      expect(await messageCount(s, campaignId)).toBe(0);
      // Without send the message is created as before.
      expect((await s.api('POST', '/api/messages', { executionId, to: ['a@corp.example'] })).status).toBe(201);
      expect(await messageCount(s, campaignId)).toBe(1);
    });
  });

  describe(`sending once (${dialect})`, () => {
    let s: TestServer;
    const mailer = { current: relay(0) };
    // The server holds this one object; each test sets the relay behind it.
    const through: Mailer = { send: (mail) => mailer.current.send(mail) };
    beforeAll(async () => {
      s = await startTestServer(dialect, {}, through);
    });
    afterAll(async () => s?.close());

    it('answers a refused send with a 502 naming the created message, whose events say why; a retry sends it', async () => {
      const { executionId } = await execution(s);
      mailer.current = relay(0, { accepted: false, code: 451, response: '451 4.3.0 try again later' }, ACCEPTED);
      const refused = await s.api('POST', '/api/messages', { executionId, to: ['later@corp.example'], send: true });
      expect(refused.status).toBe(502);
      expect(refused.body.id).toBeGreaterThan(0);
      expect(refused.body.send).toEqual({ accepted: false, response: '451 4.3.0 try again later', status: 'deferred' });
      const view = await s.api('GET', `/api/messages/${refused.body.id}`);
      // The 'sending' event is written before the hand-over; the deferral names the reply and a reason.
      expect(view.body.events.map((e: any) => [e.type, e.source])).toEqual([
        ['queued', 'api'],
        ['sending', 'smtp'],
        ['deferred', 'smtp'],
      ]);
      expect(view.body.events[2]).toMatchObject({ reason: 'systemerror', detail: { code: 451, status: '4.3.0', attempt: 1 } });

      const retried = await s.api('POST', `/api/messages/${refused.body.id}/send`);
      expect(retried).toEqual({ status: 200, body: { accepted: true, response: '250 2.0.0 queued', status: 'sent' } });
      expect(mailer.current.handed).toHaveLength(2);
    });

    it('records a relay that throws (no connection) as deferred, answers 502 with the message, and lets a retry send', async () => {
      const { executionId } = await execution(s);
      const created = await s.api('POST', '/api/messages', { executionId, to: ['offline@corp.example'] });
      mailer.current = relay(0, new Error('connect ECONNREFUSED 127.0.0.1:25'), ACCEPTED);
      const failed = await s.api('POST', `/api/messages/${created.body.id}/send`);
      expect(failed.status).toBe(502);
      expect(failed.body).toEqual({ accepted: false, response: 'the relay did not answer: connect ECONNREFUSED 127.0.0.1:25', status: 'deferred' });
      const view = await s.api('GET', `/api/messages/${created.body.id}`);
      expect(view.body.events.find((e: any) => e.type === 'deferred')).toMatchObject({ source: 'smtp', detail: { code: null, text: expect.stringMatching(/ECONNREFUSED/) } });
      expect((await s.api('POST', `/api/messages/${created.body.id}/send`)).status).toBe(200);
    });

    it('hands a message to the relay once when several sends of it race', async () => {
      const { executionId } = await execution(s);
      const created = await s.api('POST', '/api/messages', { executionId, to: ['race@corp.example'] });
      mailer.current = relay(100);
      const answers = await Promise.all(Array.from({ length: 5 }, () => s.api('POST', `/api/messages/${created.body.id}/send`)));
      expect(mailer.current.handed).toHaveLength(1);
      expect(answers.map((a) => a.status).sort()).toEqual([200, 409, 409, 409, 409]);
      expect(answers.find((a) => a.status === 409)!.body.message).toMatch(new RegExp(`message ${created.body.id} is being sent`));
      const view = await s.api('GET', `/api/messages/${created.body.id}`);
      expect(view.body.events.filter((e: any) => e.type === 'sent')).toHaveLength(1);
    });

    it('answers a retry with the same Idempotency-Key with the first message, and creates no other', async () => {
      const { campaignId, executionId } = await execution(s);
      const body = { executionId, to: [{ email: 'once@corp.example', consent: true }], cc: ['boss@corp.example'] };
      const first = await postMessage(s.app, s.apiKey, body, 'order-1001');
      expect(first.status).toBe(201);
      // The same request written otherwise (key order, a recipient as a plain address) is the same request.
      const again = await postMessage(s.app, s.apiKey, { cc: [{ email: 'boss@corp.example' }], to: [{ consent: true, email: 'once@corp.example' }], executionId }, 'order-1001');
      expect(again.status).toBe(200);
      expect(again.body).toEqual(first.body);
      expect(await messageCount(s, campaignId)).toBe(1);

      const other = await postMessage(s.app, s.apiKey, { ...body, to: ['someone-else@corp.example'] }, 'order-1001');
      expect(other.status).toBe(409);
      expect(other.body.message).toMatch(/Idempotency-Key "order-1001" was used for a different request, which created message \d+/);
      expect(await messageCount(s, campaignId)).toBe(1);

      // Keys belong to the API key that sent them.
      const { key: otherApiKey } = await createApiKey(s.storage.keys, s.clock, 'other sender');
      const theirs = await postMessage(s.app, otherApiKey, body, 'order-1001');
      expect(theirs.status).toBe(201);
      expect(theirs.body.id).not.toBe(first.body.id);

      // A key is remembered for a day, then forgotten.
      s.clock.advance(IDEMPOTENCY_KEY_RETENTION_MS + 1);
      const later = await postMessage(s.app, s.apiKey, body, 'order-1001');
      expect(later.status).toBe(201);
      expect(later.body.id).not.toBe(first.body.id);
      expect(await messageCount(s, campaignId)).toBe(3);
    });

    it('creates one message for concurrent requests with one Idempotency-Key', async () => {
      const { campaignId, executionId } = await execution(s);
      const body = { executionId, to: ['burst@corp.example'] };
      const answers = await Promise.all(Array.from({ length: 6 }, () => postMessage(s.app, s.apiKey, body, 'burst-key')));
      expect(new Set(answers.map((a) => a.body.id)).size).toBe(1);
      expect(answers.map((a) => a.status).sort()).toEqual([200, 200, 200, 200, 200, 201]);
      expect(await messageCount(s, campaignId)).toBe(1);
    });

    it('sends once when retries of one send: true request race, and answers a later retry with what the relay said', async () => {
      const { campaignId, executionId } = await execution(s);
      mailer.current = relay(100);
      const body = { executionId, to: ['send-burst@corp.example'], send: true };
      const answers = await Promise.all(Array.from({ length: 4 }, () => postMessage(s.app, s.apiKey, body, 'send-key')));
      expect(mailer.current.handed).toHaveLength(1);
      expect(await messageCount(s, campaignId)).toBe(1);
      expect(answers.filter((a) => a.status === 201)).toHaveLength(1);
      // The others met the send in flight (told so, the message named), or came after it (its answer).
      for (const a of answers.filter((x) => x.status !== 201)) {
        if (a.status === 409) expect(a.body.message).toMatch(/message \d+ is being sent/);
        else expect(a).toMatchObject({ status: 200, body: { send: { accepted: true } } });
      }
      const later = await postMessage(s.app, s.apiKey, body, 'send-key');
      expect(later.status).toBe(200);
      expect(later.body.send).toEqual({ accepted: true, response: '250 2.0.0 queued', status: 'sent' });
      expect(mailer.current.handed).toHaveLength(1);
    });

    it('sends on a retry with the same Idempotency-Key when the first attempt was refused', async () => {
      const { campaignId, executionId } = await execution(s);
      mailer.current = relay(0, { accepted: false, code: 421, response: '421 4.7.0 too many connections' }, ACCEPTED);
      const body = { executionId, to: ['retry@corp.example'], send: true };
      const first = await postMessage(s.app, s.apiKey, body, 'retry-key');
      expect(first.status).toBe(502);
      const retry = await postMessage(s.app, s.apiKey, body, 'retry-key');
      expect(retry.status).toBe(200);
      expect(retry.body.id).toBe(first.body.id);
      expect(retry.body.send).toMatchObject({ accepted: true, status: 'sent' });
      expect(mailer.current.handed).toHaveLength(2);
      expect(await messageCount(s, campaignId)).toBe(1);
    });

    it('refuses an Idempotency-Key that is not printable ASCII, creating nothing', async () => {
      const { campaignId, executionId } = await execution(s);
      const bad = await postMessage(s.app, s.apiKey, { executionId, to: ['a@corp.example'] }, 'x'.repeat(256));
      expect(bad.status).toBe(400);
      expect(bad.body.message).toMatch(/^Idempotency-Key: /);
      expect(await messageCount(s, campaignId)).toBe(0);
    });
  });
}

describe.skipIf(!(await postgresReachable()))('two nodes on one PostgreSQL database', () => {
  let database: TestDatabase;
  let nodes: Mailsight[] = [];
  let apiKey: string;
  const mailer = relay(100);
  const clock = settableClock();

  const start = (node: number) =>
    build({
      config: Object.freeze({ ...loadConfig({ MX_LOOKUP: 'false', PUBLIC_URL: 'https://track.test', LOG_LEVEL: 'silent', NODE_ID: `node-${node}`, ...dialectEnv('postgres') }), database: database.config }),
      logger: pino({ level: 'silent' }),
      clock,
      mailer,
    });

  beforeAll(async () => {
    database = await createTestDatabase('postgres');
    nodes = [await start(0), await start(1)];
    apiKey = (await createApiKey(nodes[0]!.storage.keys, clock, 'nodes')).key;
  });
  afterAll(async () => {
    await Promise.all(nodes.map((n) => n.app.close()));
    await database?.drop();
  });

  it('create one message and send it once for a request retried on both nodes at once, and after a restart', async () => {
    const call = (node: Mailsight, method: 'POST', url: string, body?: unknown) =>
      node.app.inject({ method, url, headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' }, payload: JSON.stringify(body ?? {}) });
    const campaign = (await call(nodes[0]!, 'POST', '/api/campaigns', { name: 'nodes' })).json();
    const exec = (await call(nodes[1]!, 'POST', `/api/campaigns/${campaign.id}/executions`, { subject: 's', text: 'hello' })).json();
    const body = { executionId: exec.id, to: ['both@corp.example'], send: true };
    const answers = await Promise.all([0, 1, 0, 1].map((n) => postMessage(nodes[n]!.app, apiKey, body, 'across-nodes')));
    expect(new Set(answers.filter((a) => a.status !== 409).map((a) => a.body.id)).size).toBe(1);
    expect(mailer.handed).toHaveLength(1);

    // A node started later (a restart) knows the key and the send.
    await nodes[0]!.app.close();
    nodes[0] = await start(0);
    const later = await postMessage(nodes[0].app, apiKey, body, 'across-nodes');
    expect(later.status).toBe(200);
    expect(later.body.send).toMatchObject({ accepted: true });
    expect(mailer.handed).toHaveLength(1);
    const report = (await nodes[1]!.app.inject({ method: 'GET', url: `/api/campaigns/${campaign.id}/report`, headers: { authorization: `Bearer ${apiKey}` } })).json();
    expect(report.totals.messages).toBe(1);
  });
});
