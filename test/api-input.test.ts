/** What the API refuses and how, on every dialect: reported times, ids, things that do not exist. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_CLOCK_SKEW_MS } from '../src/core/reported-time.js';
import { openApiDocument } from '../src/adapters/http/openapi.js';
import type { Mailer } from '../src/app/ports.js';
import { startTestServer, type TestServer } from './support/server.js';
import { testDialects } from './support/databases.js';

const CHROME = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/128.0.0.0 Safari/537.36';

/** A relay that takes everything: sending is configured, so a missing message is what answers. */
const relay: Mailer = { send: async () => ({ accepted: true, response: '250 ok', messageId: null }) };

/** A valid body for each API route that takes one and an id, so that only the id can be wrong. */
const BODIES: Record<string, unknown> = {
  'POST /api/campaigns/{id}/executions': { subject: 's', html: '<p>hi</p>' },
  'POST /api/messages/{id}/send': undefined,
  'POST /api/messages/{id}/events': { type: 'delivered' },
};

/** Every API route with an id in its path, from the OpenAPI document (which the tests check against the routes). */
function routesWithId(): { method: 'GET' | 'POST'; path: string }[] {
  const paths = (openApiDocument() as { paths: Record<string, Record<string, unknown>> }).paths;
  return Object.entries(paths)
    .filter(([path]) => path.startsWith('/api/') && path.includes('{id}'))
    .flatMap(([path, methods]) => Object.keys(methods).map((method) => ({ method: method.toUpperCase() as 'GET' | 'POST', path })));
}

for (const dialect of await testDialects()) {
  describe(`API input on ${dialect}`, () => {
    let s: TestServer;
    let executionId: number;

    beforeAll(async () => {
      s = await startTestServer(dialect, {}, relay);
      const campaign = await s.api('POST', '/api/campaigns', { name: 'input' });
      executionId = (await s.api('POST', `/api/campaigns/${campaign.body.id}/executions`, { subject: 's', html: '<a href="https://shop.example/1">1</a>' })).body.id;
    });
    afterAll(async () => s?.close());

    const newMessage = async () => (await s.api('POST', '/api/messages', { executionId, to: ['ann@corp.example'] })).body;
    const events = async (id: number) => (await s.api('GET', `/api/messages/${id}`)).body.events;

    it('refuses a delivery time in microseconds, seconds or the future, naming at, the value and the unit expected', async () => {
      const m = await newMessage();
      const now = s.clock.now();
      const micro = await s.api('POST', `/api/messages/${m.id}/events`, { type: 'delivered', at: now * 1000 });
      expect(micro.status).toBe(400);
      expect(micro.body.message).toBe(`at: ${now * 1000} is in the future, more than 60 s after the server's time ${new Date(now).toISOString()}: expected epoch milliseconds (this looks like microseconds)`);
      const seconds = await s.api('POST', `/api/messages/${m.id}/events`, { type: 'sent', at: Math.floor(now / 1000) });
      expect(seconds.status).toBe(400);
      expect(seconds.body.message).toMatch(new RegExp(`^at: ${Math.floor(now / 1000)} is before 2000-01-01T00:00:00.000Z: expected epoch milliseconds \\(this looks like seconds\\)$`));
      const future = await s.api('POST', `/api/messages/${m.id}/events`, { type: 'delivered', at: now + MAX_CLOCK_SKEW_MS + 1 });
      expect(future.status).toBe(400);
      expect(future.body.message).toMatch(/^at: \d+ is in the future/);
      // Nothing was recorded, so a person's click a minute later is a person's.
      expect((await events(m.id)).map((e: any) => e.type)).toEqual(['queued']);
      s.clock.advance(90_000);
      const click = await s.app.inject({ method: 'GET', url: new URL(m.links[0].tracked).pathname, headers: { 'x-forwarded-for': '203.0.113.9', 'user-agent': CHROME, 'accept-language': 'en' } });
      expect(click.statusCode).toBe(302);
      expect((await events(m.id)).find((e: any) => e.type === 'clicked').verdict).toBe('human');
    });

    it('takes a time from a clock ahead of ours within the allowance', async () => {
      const m = await newMessage();
      const at = s.clock.now() + MAX_CLOCK_SKEW_MS;
      expect((await s.api('POST', `/api/messages/${m.id}/events`, { type: 'delivered', at })).status).toBe(201);
      expect((await events(m.id)).find((e: any) => e.type === 'delivered').at).toBe(at);
    });

    it('answers 404 naming the missing thing on every route with an id', async () => {
      const routes = routesWithId();
      expect(routes.filter((r) => r.method === 'GET').length).toBeGreaterThanOrEqual(5);
      for (const { method, path } of routes) {
        const key = `${method} ${path}`;
        if (method === 'POST') expect(Object.keys(BODIES), `a body for ${key}`).toContain(key);
        // API keys have 12 hex digits for an id; everything else a number.
        const missing = path.startsWith('/api/keys/') ? '0123456789ab' : '999999';
        const answer = await s.api(method, path.replace('{id}', missing), BODIES[key]);
        expect([key, answer.status, answer.body.error]).toEqual([key, 404, 'NOT_FOUND']);
        expect(answer.body.message).toMatch(new RegExp(` ${missing} does not exist$`));
      }
    });

    it('has verdicts only for hits: another event is not found, a hit without revisions has none', async () => {
      const m = await newMessage();
      const queued = (await events(m.id))[0];
      const notHit = await s.api('GET', `/api/events/${queued.id}/verdicts`);
      expect([notHit.status, notHit.body.message]).toEqual([404, `hit ${queued.id} does not exist`]);
      const click = await s.app.inject({ method: 'GET', url: new URL(m.links[0].tracked).pathname, headers: { 'user-agent': CHROME, 'accept-language': 'en' } });
      expect(click.statusCode).toBe(302);
      const hit = (await events(m.id)).find((e: any) => e.type === 'clicked');
      expect(await s.api('GET', `/api/events/${hit.id}/verdicts`)).toEqual({ status: 200, body: { revisions: [] } });
    });

    it("refuses a campaign's tracking base URL with a query, a fragment or credentials, or not http(s), as PUBLIC_URL is", async () => {
      const before = (await s.api('GET', '/api/campaigns')).body.campaigns.length;
      const refused = { query: 'https://t.example/?src=mail', fragment: 'https://t.example/#x', credentials: 'https://u:p@t.example', scheme: 'ftp://t.example' };
      const problems = { query: 'carries a query', fragment: 'carries a fragment', credentials: 'carries credentials', scheme: 'not http(s) but ftp' };
      for (const [kind, baseUrl] of Object.entries(refused)) {
        const answer = await s.api('POST', '/api/campaigns', { name: kind, tracking: { baseUrl } });
        expect(answer.status).toBe(400);
        expect(answer.body.message).toBe(
          `tracking.baseUrl: ${problems[kind as keyof typeof problems]} (expected an http(s) URL with no query, fragment or credentials, e.g. https://track.example.com): ${JSON.stringify(baseUrl)}`,
        );
      }
      expect((await s.api('GET', '/api/campaigns')).body.campaigns.length).toBe(before);
      const ok = await s.api('POST', '/api/campaigns', { name: 'own base', tracking: { baseUrl: 'https://t.example/track' } });
      expect([ok.status, ok.body.trackingBaseUrl]).toEqual([201, 'https://t.example/track']);
    });

    it('takes ids only as plain decimal integers: one thing, one URL', async () => {
      const m = await newMessage();
      expect((await s.api('GET', `/api/messages/${m.id}`)).status).toBe(200);
      for (const id of [`0x${m.id.toString(16)}`, `${m.id}e0`, `+${m.id}`, `0${m.id}`, `${m.id}.0`]) {
        const answer = await s.api('GET', `/api/messages/${id}`);
        expect([id, answer.status, answer.body.message]).toEqual([id, 400, `id: not a plain decimal integer from 1: ${JSON.stringify(id)}`]);
      }
    });
  });
}
