/**
 * The live feed over a real socket on every dialect: a listening server, a real HTTP client reading
 * the event stream, hits fired at the tracking endpoints as a browser and as a bot would. Human opens
 * and clicks arrive, the others do not; a reconnection with Last-Event-ID gets exactly the missed
 * ones; listeners of one campaign share one poll; a hit committing late below a higher one is sent
 * in order (PostgreSQL); a stream ends when its credential does; the server closes with streams open.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as R from '../src/adapters/http/api-responses.js';
import { enforceAccess, SESSION_COOKIE, type AccessDeps } from '../src/adapters/http/access.js';
import { liveRoutes, MAX_STREAMS_PER_PRINCIPAL } from '../src/adapters/http/live-routes.js';
import { KyselyLiveFeedStore } from '../src/adapters/storage/live-feed-store.js';
import { createApiKey, revokeApiKey } from '../src/app/keys.js';
import { LiveFeed } from '../src/app/live-feed.js';
import { testDialects } from './support/databases.js';
import { Writer } from './support/late-commit.js';
import { startTestServer, type TestServer } from './support/server.js';

const CHROME = { 'user-agent': 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/128.0 Safari/537.36', 'accept-language': 'en' };
const BOT = { 'user-agent': 'python-requests/2.32.3' };
const MINUTE = 60_000;
const HTML = '<p><a href="https://shop.example/sale">Sale</a> <a href="https://shop.example/new">New</a></p>';

interface SseMessage {
  id: string;
  event: string;
  hit: ReturnType<typeof R.LiveHit.parse>;
}

/** A client reading an event stream over a real socket, as EventSource does. */
class StreamReader {
  readonly messages: SseMessage[] = [];
  readonly comments: string[] = [];
  /** The last `id:` the stream gave, with a hit or alone: what an EventSource would resume after. */
  lastId: string | null = null;
  ended = false;
  status = 0;
  #buffer = '';
  #waiters: (() => void)[] = [];
  #request: http.ClientRequest;

  constructor(url: string, headers: Record<string, string>) {
    this.#request = http.get(url, { headers: { accept: 'text/event-stream', ...headers } }, (response) => {
      this.status = response.statusCode ?? 0;
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => this.#read(chunk));
      response.on('end', () => this.#mark(() => (this.ended = true)));
      response.on('close', () => this.#mark(() => (this.ended = true)));
    });
    this.#request.on('error', () => this.#mark(() => (this.ended = true)));
  }

  #read(chunk: string): void {
    this.#buffer += chunk;
    let at: number;
    while ((at = this.#buffer.indexOf('\n\n')) >= 0) {
      const block = this.#buffer.slice(0, at);
      this.#buffer = this.#buffer.slice(at + 2);
      const fields = new Map<string, string>();
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) this.comments.push(line);
        const colon = line.indexOf(': ');
        if (colon > 0) fields.set(line.slice(0, colon), line.slice(colon + 2));
      }
      if (fields.has('id')) this.lastId = fields.get('id')!;
      if (fields.has('data')) {
        const parsed = R.LiveHit.safeParse(JSON.parse(fields.get('data')!));
        expect(parsed.success ? [] : parsed.error.issues).toEqual([]);
        this.messages.push({ id: fields.get('id')!, event: fields.get('event')!, hit: parsed.data! });
      }
    }
    this.#mark(() => {});
  }

  #mark(change: () => void): void {
    change();
    for (const wake of this.#waiters.splice(0)) wake();
  }

  /** Waits until `done()` holds, or fails after `ms`. */
  async until(done: () => boolean, what: string, ms = 8_000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!done()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; got ${JSON.stringify(this.messages.map((m) => m.hit.eventId))}`);
      await new Promise<void>((resolve) => {
        this.#waiters.push(resolve);
        setTimeout(resolve, 50);
      });
    }
  }

  close(): void {
    this.#request.destroy();
  }
}

for (const dialect of await testDialects()) {
  describe(`live feed (${dialect})`, () => {
    let s: TestServer;
    let base: string;
    let campaignId: number;
    let executionId: number;
    let closed = false;

    beforeAll(async () => {
      s = await startTestServer(dialect, { OUTGOING_WEBHOOKS_POLL: '0' });
      await s.app.listen({ port: 0, host: '127.0.0.1' });
      base = `http://127.0.0.1:${(s.app.server.address() as AddressInfo).port}`;
      campaignId = (await s.api('POST', '/api/campaigns', { name: 'live', kind: 'one-off' })).body.id;
      executionId = (await s.api('POST', `/api/campaigns/${campaignId}/executions`, { subject: 'Hello', html: HTML })).body.id;
    });
    afterAll(async () => {
      if (!closed) await s?.close();
    });

    const open = (path: string, headers: Record<string, string> = {}) => new StreamReader(base + path, { authorization: `Bearer ${s.apiKey}`, ...headers });
    const listening = (n: number) => async () => {
      const deadline = Date.now() + 5_000;
      while (s.services.live.listeners !== n) {
        if (Date.now() > deadline) throw new Error(`expected ${n} listeners, have ${s.services.live.listeners}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    };

    async function message(email: string): Promise<{ id: number; contactId: number; pixel: string; links: { ordinal: number; tracked: string }[] }> {
      const created = await s.api('POST', '/api/messages', { executionId, to: [email] });
      expect(created.status).toBe(201);
      await s.api('POST', `/api/messages/${created.body.id}/events`, { type: 'delivered', at: s.clock.now() });
      const view = await s.api('GET', `/api/messages/${created.body.id}`);
      return { id: created.body.id, contactId: view.body.contact.id, pixel: /<img src="([^"]+)"/.exec(created.body.html)![1]!, links: created.body.links };
    }

    /** A hit a few minutes after the one before, as people read before they click. */
    async function hit(url: string, headers: Record<string, string>, ip: string): Promise<void> {
      s.clock.advance(3 * MINUTE);
      const response = await s.app.inject({ method: 'GET', url: new URL(url).pathname, headers: { ...headers, 'x-forwarded-for': ip } });
      expect(response.statusCode).toBeLessThan(400);
    }

    const ids = (reader: StreamReader) => reader.messages.map((m) => m.hit.eventId);

    it('refuses an unknown campaign or contact and a bad Last-Event-ID with a clear error', async () => {
      const missing = await s.api('GET', '/api/campaigns/999999/live');
      expect(missing.status).toBe(404);
      expect(missing.body.message).toMatch(/campaign 999999/);
      expect((await s.api('GET', '/api/contacts/999999/live')).status).toBe(404);
      const bad = await s.app.inject({ method: 'GET', url: `/api/campaigns/${campaignId}/live`, headers: { authorization: `Bearer ${s.apiKey}`, 'last-event-id': 'abc' } });
      expect(bad.statusCode).toBe(400);
      expect(bad.json().message).toMatch(/Last-Event-ID/);
      const badQuery = await s.app.inject({ method: 'GET', url: `/api/campaigns/${campaignId}/live?lastEventId=-1`, headers: { authorization: `Bearer ${s.apiKey}` } });
      expect(badQuery.statusCode).toBe(400);
    });

    it('streams human opens and clicks as they happen, never a bot or a prefetch, and resumes after Last-Event-ID exactly', async () => {
      const ana = await message('ana@corp.example');
      // A hit from before the feed opened: a feed without a resume point shows only new ones.
      await hit(ana.links[0]!.tracked, CHROME, '198.51.100.10');

      const reader = open(`/api/campaigns/${campaignId}/live`);
      await listening(1)();
      expect(reader.status).toBe(200);

      await hit(ana.pixel, CHROME, '198.51.100.11');
      await hit(ana.links[1]!.tracked, BOT, '203.0.113.9');
      await hit(ana.links[0]!.tracked, { ...CHROME, 'sec-purpose': 'prefetch' }, '198.51.100.11');
      await hit(ana.links[0]!.tracked, CHROME, '198.51.100.11');
      await reader.until(() => reader.messages.length >= 2, 'the human open and click');

      const [openHit, clickHit] = reader.messages;
      expect(openHit!.event).toBe('hit');
      expect(openHit!.hit).toMatchObject({ type: 'open', messageId: ana.id, campaignId, executionId, contactId: ana.contactId, email: 'ana@corp.example', link: null, verdict: 'human' });
      expect(clickHit!.hit).toMatchObject({ type: 'click', link: { ordinal: 1, url: 'https://shop.example/sale' }, verdict: 'human' });
      expect(openHit!.id).toBe(String(openHit!.hit.eventId));
      // The bot's and the prefetch's hits lie between the two: recorded, judged, not shown.
      const events = (await s.api('GET', `/api/messages/${ana.id}`)).body.events as { id: number; type: string; verdict: string | null }[];
      const between = events.filter((e) => e.id > openHit!.hit.eventId && e.id < clickHit!.hit.eventId);
      expect(between).toHaveLength(2);
      for (const e of between) expect(['bot', 'machine']).toContain(e.verdict);

      // The connection drops; two hits happen while it is away; it comes back with the last id it had.
      reader.close();
      await listening(0)();
      await hit(ana.links[1]!.tracked, CHROME, '198.51.100.11');
      await hit(ana.pixel, CHROME, '198.51.100.11');
      const again = open(`/api/campaigns/${campaignId}/live`, { 'last-event-id': clickHit!.id });
      await again.until(() => again.messages.length >= 2, 'the missed hits');
      await hit(ana.links[0]!.tracked, CHROME, '198.51.100.11');
      await again.until(() => again.messages.length >= 3, 'the next hit');
      // Wait a few polls more: nothing repeated, nothing else.
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      expect(again.messages.map((m) => m.hit.type)).toEqual(['click', 'open', 'click']);
      const missedIds = ids(again);
      expect(new Set(missedIds).size).toBe(3);
      expect(missedIds.every((id) => id > clickHit!.hit.eventId)).toBe(true);
      expect([...missedIds].sort((a, b) => a - b)).toEqual(missedIds);

      // ?lastEventId= for a first connection: the same from the beginning of the reconnection.
      const fromQuery = open(`/api/campaigns/${campaignId}/live?lastEventId=${clickHit!.id}`);
      await fromQuery.until(() => fromQuery.messages.length >= 3, 'the hits after the given id');
      expect(ids(fromQuery)).toEqual(missedIds);
      again.close();
      fromQuery.close();
      await listening(0)();
    });

    it("shows a contact's own hits on its feed, and listeners of one campaign share one poll", async () => {
      const bob = await message('bob@corp.example');
      const eve = await message('eve@corp.example');
      const bobFeed = open(`/api/contacts/${bob.contactId}/live`);
      const first = open(`/api/campaigns/${campaignId}/live`);
      const second = open(`/api/campaigns/${campaignId}/live`);
      await listening(3)();
      // Two scopes (a contact, a campaign): two polls for three listeners.
      expect(s.services.live.scopes).toBe(2);

      await hit(eve.links[0]!.tracked, CHROME, '198.51.100.20');
      await hit(bob.links[1]!.tracked, CHROME, '198.51.100.21');
      await first.until(() => first.messages.length >= 2, 'both clicks on the campaign feed');
      await second.until(() => second.messages.length >= 2, 'both clicks on the second listener');
      await bobFeed.until(() => bobFeed.messages.length >= 1, "Bob's click");
      expect(ids(second)).toEqual(ids(first));
      expect(first.messages.map((m) => m.hit.email)).toEqual(['eve@corp.example', 'bob@corp.example']);
      expect(bobFeed.messages.map((m) => [m.hit.contactId, m.hit.link?.url])).toEqual([[bob.contactId, 'https://shop.example/new']]);

      first.close();
      await listening(2)();
      expect(s.services.live.scopes).toBe(2);
      second.close();
      await listening(1)();
      // The last listener of the campaign gone: it is no longer read.
      expect(s.services.live.scopes).toBe(1);
      bobFeed.close();
      await listening(0)();
      expect(s.services.live.scopes).toBe(0);
    });

    it('starts with an id, so that a stream dropped before any hit resumes from there and loses none', async () => {
      const cy = await message('cy@corp.example');
      const reader = open(`/api/campaigns/${campaignId}/live`);
      await reader.until(() => reader.lastId !== null, 'the starting id');
      expect(reader.messages).toEqual([]);
      reader.close();
      await listening(0)();
      await hit(cy.pixel, CHROME, '198.51.100.30');
      const again = open(`/api/campaigns/${campaignId}/live`, { 'last-event-id': reader.lastId! });
      await again.until(() => again.messages.length >= 1, 'the hit made while away');
      expect(again.messages.map((m) => m.hit.messageId)).toEqual([cy.id]);
      again.close();
      await listening(0)();
    });

    // Only PostgreSQL has several writers at once: on SQLite ids commit in their order, nothing to test.
    if (dialect === 'postgres') it('sends a hit whose lower id commits after a higher one, in order, once it commits', async () => {
      const [dee, eli] = [await message('dee@corp.example'), await message('eli@corp.example')];
      const reader = open(`/api/campaigns/${campaignId}/live`);
      await reader.until(() => reader.lastId !== null, 'the starting id');
      const humanOpen = (messageId: number) => ({
        messageId,
        campaignId,
        type: 'opened' as const,
        at: s.clock.now(),
        source: 'pixel' as const,
        hit: { method: 'GET', ip: '198.51.100.40', userAgent: CHROME['user-agent'], headers: {}, linkOrdinal: null },
        judgement: { verdict: 'human' as const, reasons: ['late commit'], at: s.clock.now() },
      });
      const url = (s.config.database as { url: string }).url;
      const [a, b] = [await Writer.open(url), await Writer.open(url)];
      try {
        // A holds its transaction id first; B draws the lower event id; A draws the higher one and commits first.
        await a.begin(dee.id);
        await b.begin(eli.id);
        const low = await b.insert(humanOpen(eli.id), s.clock.now());
        const high = await a.insert(humanOpen(dee.id), s.clock.now());
        expect(high).toBeGreaterThan(low);
        await a.commit();
        // Several polls: the higher one is visible, and held back.
        await new Promise((resolve) => setTimeout(resolve, 1_500));
        expect(ids(reader)).toEqual([]);
        await b.commit();
        await reader.until(() => reader.messages.length >= 2, 'both hits');
        expect(ids(reader)).toEqual([low, high]);
        expect(reader.lastId).toBe(String(high));
      } finally {
        await a.close();
        await b.close();
        reader.close();
        await listening(0)();
      }
    });

    describe('credentials', () => {
      let app: FastifyInstance;
      let appBase: string;
      const HEARTBEAT = 100;

      // The live routes alone, with a heartbeat (and so a check of the credential) every 100 ms.
      beforeAll(async () => {
        const access: AccessDeps = { keys: s.storage.keys, users: s.services.users, clock: s.clock, publicUrl: 'https://track.test' };
        const live = new LiveFeed(new KyselyLiveFeedStore(s.storage.database.db), { pollMs: 50, onError: () => {} });
        app = Fastify();
        await app.register(
          async (api) => {
            enforceAccess(api, access);
            await liveRoutes(api, { live, access, heartbeatMs: HEARTBEAT });
          },
          { prefix: '/api' },
        );
        await app.listen({ port: 0, host: '127.0.0.1' });
        appBase = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
      });
      afterAll(async () => {
        await app?.close();
      });

      const stream = (headers: Record<string, string>) => new StreamReader(`${appBase}/api/campaigns/${campaignId}/live`, headers);
      const afterHeartbeats = () => new Promise((resolve) => setTimeout(resolve, 3 * HEARTBEAT));

      it('ends a stream when its key is revoked, its session signed out or its account deleted, and only then', async () => {
        const key = await createApiKey(s.storage.keys, s.clock, 'live', 'reports');
        const byKey = stream({ authorization: `Bearer ${key.key}` });
        const stay = await s.services.users.createUser({ email: 'stay@corp.example', role: 'viewer', password: 'correct horse battery' });
        const leave = await s.services.users.createUser({ email: 'leave@corp.example', role: 'viewer', password: 'correct horse battery' });
        const gone = await s.services.users.createUser({ email: 'gone@corp.example', role: 'viewer', password: 'correct horse battery' });
        const cookie = async (userId: number) => ({ cookie: `${SESSION_COOKIE}=${(await s.services.users.openSession(userId)).secret}` });
        const staying = stream(await cookie(stay.id));
        const signedOut = stream(await cookie(leave.id));
        const deleted = stream(await cookie(gone.id));
        for (const reader of [byKey, staying, signedOut, deleted]) await reader.until(() => reader.lastId !== null, 'the stream to start');
        await afterHeartbeats();
        expect([byKey, staying, signedOut, deleted].map((r) => r.ended)).toEqual([false, false, false, false]);

        await revokeApiKey(s.storage.keys, s.clock, key.id);
        await s.services.users.signOutEverywhere(leave.id);
        await s.services.users.deleteUser(gone.id);
        for (const reader of [byKey, signedOut, deleted]) await reader.until(() => reader.ended, 'the stream to end');
        await afterHeartbeats();
        expect(staying.ended).toBe(false);
        staying.close();
      });

      it(`holds at most ${MAX_STREAMS_PER_PRINCIPAL} streams open per credential, answering 429 beyond`, async () => {
        const headers = { authorization: `Bearer ${s.apiKey}` };
        const readers = Array.from({ length: MAX_STREAMS_PER_PRINCIPAL }, () => stream(headers));
        for (const reader of readers) await reader.until(() => reader.lastId !== null, 'each stream to start');
        const refused = stream(headers);
        await refused.until(() => refused.ended, 'the refusal');
        expect(refused.status).toBe(429);
        // Another credential is not counted with this one.
        const other = await createApiKey(s.storage.keys, s.clock, 'other', 'reports');
        const apart = stream({ authorization: `Bearer ${other.key}` });
        await apart.until(() => apart.lastId !== null, 'a stream on another key');
        // A place given back is taken again.
        readers[0]!.close();
        await new Promise((resolve) => setTimeout(resolve, 100));
        const again = stream(headers);
        await again.until(() => again.lastId !== null, 'a stream in the place given back');
        expect(again.status).toBe(200);
        for (const reader of [...readers, apart, again]) reader.close();
      });
    });

    it('closes the server with streams open, ending them', async () => {
      const reader = open(`/api/campaigns/${campaignId}/live`);
      await listening(1)();
      const closing = s.close();
      closed = true;
      await closing;
      await reader.until(() => reader.ended, 'the stream to end');
      expect(s.services.live.scopes).toBe(0);
    }, 15_000);
  });
}
