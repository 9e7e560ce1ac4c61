/**
 * Outgoing webhooks end to end on every dialect, with a real receiver (an HTTP server on 127.0.0.1):
 * the receiver down, then failing, then up; the failures logged and retried on a schedule kept in the
 * database (through a restart); every event delivered once, in order, signed; two nodes on one
 * database never delivering one endpoint at once.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as R from '../src/adapters/http/api-responses.js';
import { build, type Mailsight } from '../src/compose.js';
import { FIRST_RETRY_MS } from '../src/app/outgoing-webhooks.js';
import { verifySignature } from '../src/core/webhook-signature.js';
import { testDialects } from './support/databases.js';
import { startTestServer, type TestServer } from './support/server.js';
import { Writer } from './support/late-commit.js';

const CHROME = { 'user-agent': 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/128.0 Safari/537.36', 'accept-language': 'en' };

interface Received {
  body: string;
  signature: string;
  ids: number[];
}

/** A webhook receiver: records every request, answers `status` after `delayMs`; counts requests in progress. */
class Receiver {
  readonly received: Received[] = [];
  status = 200;
  delayMs = 0;
  inFlight = 0;
  maxInFlight = 0;
  #server: http.Server | null = null;

  constructor(readonly port: number) {}

  /** A port nothing listens on yet: the receiver is down until start(). */
  static async reservePort(): Promise<number> {
    const probe = http.createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const { port } = probe.address() as AddressInfo;
    await new Promise((resolve) => probe.close(resolve));
    return port;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/hooks`;
  }

  async start(): Promise<void> {
    this.#server = http.createServer((request, response) => {
      this.inFlight++;
      this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
      let body = '';
      request.setEncoding('utf8');
      request.on('data', (chunk: string) => (body += chunk));
      request.on('end', () => {
        setTimeout(() => {
          const parsed = R.OutgoingDelivery.safeParse(JSON.parse(body));
          expect(parsed.success ? [] : parsed.error.issues).toEqual([]);
          this.received.push({ body, signature: String(request.headers['mailsight-signature']), ids: parsed.data!.events.map((e) => e.id) });
          this.inFlight--;
          response.writeHead(this.status).end();
        }, this.delayMs);
      });
    });
    await new Promise<void>((resolve) => this.#server!.listen(this.port, '127.0.0.1', resolve));
  }

  async stop(): Promise<void> {
    if (this.#server) await new Promise((resolve) => this.#server!.close(resolve));
    this.#server = null;
  }

  /** Every event id received in successful order, as the receiver saw them. */
  get ids(): number[] {
    return this.received.flatMap((r) => r.ids);
  }
}

for (const dialect of await testDialects()) {
  describe(`outgoing webhooks (${dialect})`, () => {
    let s: TestServer;
    let node: Mailsight;
    let receiver: Receiver;
    let campaignId: number;
    let executionId: number;
    let endpoint: ReturnType<typeof R.CreatedWebhookEndpoint.parse>;
    const others: Mailsight[] = [];

    beforeAll(async () => {
      s = await startTestServer(dialect, { OUTGOING_WEBHOOKS_POLL: '0' });
      node = s;
      receiver = new Receiver(await Receiver.reservePort());
      campaignId = (await s.api('POST', '/api/campaigns', { name: 'hooks', kind: 'one-off' })).body.id;
      executionId = (await s.api('POST', `/api/campaigns/${campaignId}/executions`, { subject: 'Hi', html: '<p><a href="https://shop.example/sale">Sale</a></p>' })).body.id;
    });
    afterAll(async () => {
      for (const other of others) await other.app.close();
      await receiver?.stop();
      await s?.close();
    });

    /** An API call on whichever node runs now. */
    async function api(method: 'GET' | 'POST' | 'DELETE', url: string, body?: unknown): Promise<{ status: number; body: any }> {
      const response = await node.app.inject({
        method,
        url,
        headers: { authorization: `Bearer ${s.apiKey}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
      });
      return { status: response.statusCode, body: response.body ? JSON.parse(response.body) : null };
    }

    /** A message delivered: its queued and delivered events. */
    async function delivered(email: string): Promise<{ id: number; links: { tracked: string }[] }> {
      const created = await api('POST', '/api/messages', { executionId, to: [email] });
      expect(created.status).toBe(201);
      expect((await api('POST', `/api/messages/${created.body.id}/events`, { type: 'delivered', at: s.clock.now() })).status).toBe(201);
      return created.body;
    }

    const endpointNow = async () => (await api('GET', '/api/webhook-endpoints')).body.endpoints.find((e: { id: number }) => e.id === endpoint.id) as ReturnType<typeof R.WebhookEndpoint.parse>;
    const eventIdsAfter = async (after: number) => {
      const rows = await node.storage.database.db.selectFrom('events').select('id').where('id', '>', after).orderBy('id').execute();
      return rows.map((r) => r.id);
    };

    it('creates an endpoint from the newest event on, with its secret shown once, and refuses URLs it must not post to', async () => {
      await delivered('before@corp.example');
      for (const [url, problem] of [
        ['ftp://hooks.example/x', /http:\/\/ or https:\/\//],
        ['https://user:secret@hooks.example/x', /user name or password/],
        ['hooks.example/x', /not a URL/],
      ] as const) {
        const refused = await api('POST', '/api/webhook-endpoints', { url });
        expect(refused.status, url).toBe(400);
        expect(refused.body.message).toMatch(problem);
      }
      expect((await api('POST', '/api/webhook-endpoints', { url: receiver.url, extra: 1 })).status).toBe(400);

      const created = await api('POST', '/api/webhook-endpoints', { url: receiver.url, description: 'CRM' });
      expect(created.status).toBe(201);
      endpoint = R.CreatedWebhookEndpoint.parse(created.body);
      expect(endpoint.secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
      expect(endpoint.cursor).toBe((await eventIdsAfter(0)).at(-1));
      const list = R.WebhookEndpointList.parse((await api('GET', '/api/webhook-endpoints')).body);
      expect(list.endpoints.map((e) => [e.id, e.url, e.description])).toEqual([[endpoint.id, receiver.url, 'CRM']]);
      expect(JSON.stringify(list)).not.toContain(endpoint.secret);
      // Sealed in the database, never stored as it is.
      const row = await s.storage.database.db.selectFrom('webhook_endpoints').selectAll().where('id', '=', endpoint.id).executeTakeFirstOrThrow();
      expect(JSON.stringify(row)).not.toContain(endpoint.secret.slice(6));
    });

    it('logs failures while the receiver is down and retries on the schedule, through a restart, then delivers everything once, in order, signed', async () => {
      const ana = await delivered('ana@corp.example');
      s.clock.advance(5 * 60_000);
      expect((await node.app.inject({ method: 'GET', url: new URL(ana.links[0]!.tracked).pathname, headers: { ...CHROME, 'x-forwarded-for': '198.51.100.7' } })).statusCode).toBe(302);
      const bounced = await api('POST', '/api/messages', { executionId, to: ['gone@corp.example'] });
      await api('POST', `/api/messages/${bounced.body.id}/events`, { type: 'bounced', bounceType: 'hard', code: 550, status: '5.1.1', text: 'no such user' });

      // Down: nothing listens on its port.
      expect(await node.services.webhooks.runDue()).toBe(1);
      let state = await endpointNow();
      expect(state).toMatchObject({ failures: 1, cursor: endpoint.cursor, nextAttemptAt: s.clock.now() + FIRST_RETRY_MS });
      // Not due yet: no attempt.
      s.clock.advance(FIRST_RETRY_MS - 1);
      expect(await node.services.webhooks.runDue()).toBe(0);

      // Up, but failing.
      receiver.status = 503;
      await receiver.start();
      s.clock.advance(1);
      expect(await node.services.webhooks.runDue()).toBe(1);
      state = await endpointNow();
      expect(state).toMatchObject({ failures: 2, cursor: endpoint.cursor, nextAttemptAt: s.clock.now() + 2 * FIRST_RETRY_MS });

      // A restart: the schedule and the cursor are the database's.
      await node.app.close();
      node = await build({ config: s.config, clock: s.clock, logger: pino({ level: 'silent' }) });
      others.push(node);
      expect(await endpointNow()).toEqual(state);
      expect(await node.services.webhooks.runDue()).toBe(0);

      receiver.status = 200;
      s.clock.advance(2 * FIRST_RETRY_MS);
      expect(await node.services.webhooks.runDue()).toBe(1);
      const expected = await eventIdsAfter(endpoint.cursor);
      expect(expected).toHaveLength(5);
      // The first attempt found nobody; the failed one and the one that succeeded carried the same batch.
      expect(receiver.received.map((r) => r.ids)).toEqual([expected, expected]);
      expect(await endpointNow()).toMatchObject({ failures: 0, cursor: expected.at(-1) });

      const last = receiver.received.at(-1)!;
      const nowSeconds = Math.floor(s.clock.now() / 1000);
      expect(verifySignature(last.signature, last.body, endpoint.secret, nowSeconds)).toBe(true);
      expect(verifySignature(last.signature, last.body.replace('"delivered"', '"bounced"'), endpoint.secret, nowSeconds)).toBe(false);
      expect(verifySignature(last.signature, last.body, 'whsec_other', nowSeconds)).toBe(false);
      expect(verifySignature(last.signature, last.body, endpoint.secret, nowSeconds + 3600)).toBe(false);

      const events = R.OutgoingDelivery.parse(JSON.parse(last.body)).events;
      expect(events.map((e) => e.type)).toEqual(['queued', 'delivered', 'clicked', 'queued', 'bounced']);
      expect(events.find((e) => e.type === 'clicked')).toMatchObject({ messageId: ana.id, recipient: 'ana@corp.example', link: { ordinal: 1, url: 'https://shop.example/sale' }, verdict: 'human' });
      expect(events.find((e) => e.type === 'bounced')).toMatchObject({ subtype: 'hard', recipient: 'gone@corp.example' });

      const log = R.WebhookDeliveryPage.parse((await api('GET', `/api/webhook-endpoints/${endpoint.id}/deliveries`)).body);
      expect(log.deliveries.map((d) => [d.attempt, d.statusCode, d.eventCount])).toEqual([
        [3, 200, expected.length],
        [2, 503, expected.length],
        [1, null, expected.length],
      ]);
      // In general terms: no address or port of the receiver in the log.
      expect(log.deliveries[2]!.error).toBe('connection refused');
      for (const d of log.deliveries) expect(d.error ?? '').not.toMatch(new RegExp(`127\\.0\\.0\\.1|${receiver.port}`));
      expect(log.deliveries[1]!.error).toMatch(/503/);
      expect(log.deliveries[0]!.error).toBeNull();
      const page = R.WebhookDeliveryPage.parse((await api('GET', `/api/webhook-endpoints/${endpoint.id}/deliveries?limit=2`)).body);
      expect(page.deliveries).toHaveLength(2);
      const rest = R.WebhookDeliveryPage.parse((await api('GET', `/api/webhook-endpoints/${endpoint.id}/deliveries?limit=2&after=${page.next}`)).body);
      expect(rest.deliveries.map((d) => d.attempt)).toEqual([1]);
      expect((await api('GET', '/api/webhook-endpoints/999999/deliveries')).status).toBe(404);
      expect((await api('GET', `/api/webhook-endpoints/${endpoint.id}/deliveries?limit=0`)).status).toBe(400);
    });

    it('two nodes on one database never deliver one endpoint at once; every event arrives once, in order, over several batches', async () => {
      const other = await build({ config: { ...s.config, nodeId: 'node-b' }, clock: s.clock, logger: pino({ level: 'silent' }) });
      others.push(other);
      const from = (await endpointNow()).cursor;
      for (let i = 0; i < 55; i++) await delivered(`reader${i}@corp.example`);
      const expected = await eventIdsAfter(from);
      expect(expected).toHaveLength(110);
      receiver.delayMs = 100;
      const before = receiver.received.length;
      receiver.maxInFlight = 0;
      const attempts = await Promise.all([node.services.webhooks.runDue(), other.services.webhooks.runDue(), node.services.webhooks.runDue()]);
      expect(attempts.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(2);
      expect(receiver.maxInFlight).toBe(1);
      // Whatever node took each batch, they came one after the other: 100, then 10.
      await node.services.webhooks.runDue();
      const batches = receiver.received.slice(before);
      expect(batches.map((b) => b.ids.length)).toEqual([100, 10]);
      expect(batches.flatMap((b) => b.ids)).toEqual(expected);
      receiver.delayMs = 0;
    });

    // Only PostgreSQL has several writers at once: on SQLite ids commit in their order, nothing to test.
    if (dialect === 'postgres') it('never passes an event id that commits after a higher one: it is delivered, in order, once it commits', async () => {
      const [older, younger] = [await delivered('older@corp.example'), await delivered('younger@corp.example')];
      await node.services.webhooks.runDue();
      const before = receiver.received.length;
      const url = (s.config.database as { url: string }).url;
      const [a, b] = [await Writer.open(url), await Writer.open(url)];
      try {
        // A takes its transaction id first; B draws the lower event id; A draws the higher one and commits first.
        await a.begin(older.id);
        await b.begin(younger.id);
        const low = await b.insert({ messageId: younger.id, campaignId, type: 'delivered', at: s.clock.now(), source: 'api' }, s.clock.now());
        const high = await a.insert({ messageId: older.id, campaignId, type: 'delivered', at: s.clock.now(), source: 'api' }, s.clock.now());
        expect(high).toBeGreaterThan(low);
        await a.commit();
        // The higher id is visible, the lower one is not yet: nothing past it goes out.
        await node.services.webhooks.runDue();
        expect(receiver.received.slice(before).flatMap((r) => r.ids)).not.toContain(high);
        expect((await endpointNow()).cursor).toBeLessThan(low);

        await b.commit();
        await node.services.webhooks.runDue();
        const sent = receiver.received.slice(before).flatMap((r) => r.ids);
        expect(sent).toEqual([low, high]);
        expect((await endpointNow()).cursor).toBe(high);
      } finally {
        await a.close();
        await b.close();
      }
    });

    it('stops delivering to a deleted endpoint and keeps its log', async () => {
      const deleted = await api('DELETE', `/api/webhook-endpoints/${endpoint.id}`);
      expect(deleted.status).toBe(200);
      expect(R.WebhookEndpoint.parse(deleted.body).disabledAt).toBe(s.clock.now());
      expect((await api('DELETE', '/api/webhook-endpoints/999999')).status).toBe(404);
      const before = receiver.received.length;
      await delivered('after@corp.example');
      expect(await node.services.webhooks.runDue()).toBe(0);
      expect(receiver.received).toHaveLength(before);
      expect((await api('GET', `/api/webhook-endpoints/${endpoint.id}/deliveries`)).body.deliveries.length).toBeGreaterThan(0);
    });
  });
}
