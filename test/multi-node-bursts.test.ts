/**
 * Two tracking nodes on one PostgreSQL database, behind a load balancer that spreads a scanner's
 * clicks over both: each node takes in the other's hits before it writes, so the burst is seen whole;
 * each node revises only the rows it wrote (two nodes updating each other's rows could deadlock).
 * A delivery reported through one node reaches the other's verdicts when it reads the route again.
 */
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { build, type Mailsight } from '../src/compose.js';
import { loadConfig } from '../src/config.js';
import { createApiKey } from '../src/app/keys.js';
import { createTestDatabase, postgresReachable, type TestDatabase } from './support/databases.js';
import { dialectEnv, settableClock } from './support/server.js';
import { ROUTE_REFRESH_MS } from '../src/app/tracking.js';

const reachable = await postgresReachable();

const CHROME = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/128.0 Safari/537.36';

describe.skipIf(!reachable).each(['thread', 'inline'] as const)('two nodes on one database (hit writer: %s)', (hitWriter) => {
  let database: TestDatabase | undefined;
  let nodes: Mailsight[] = [];
  afterEach(async () => {
    await Promise.all(nodes.map((n) => n.app.close()));
    nodes = [];
    await database?.drop();
  });

  /** Nodes a and b on one new PostgreSQL database, one clock, and the API through node a. */
  async function twoNodes() {
    const db = (database = await createTestDatabase('postgres'));
    const clock = settableClock(Date.UTC(2026, 10, 3, 9));
    const config = (node: string) =>
      Object.freeze({
        ...loadConfig({ MX_LOOKUP: 'false', PUBLIC_URL: 'https://track.test', LOG_LEVEL: 'silent', TRUSTED_PROXIES: '127.0.0.1', GROUP_COMMIT_DELAY_MS: '0', HIT_WRITER: hitWriter, NODE_ID: node, ...dialectEnv('postgres') }),
        database: db.config,
      });
    nodes = [await build({ config: config('a'), clock, logger: pino({ level: 'silent' }) }), await build({ config: config('b'), clock, logger: pino({ level: 'silent' }) })];
    const [a, b] = nodes as [Mailsight, Mailsight];
    const { key } = await createApiKey(a.storage.keys, clock, 'nodes');
    const api = async (method: 'GET' | 'POST', url: string, body?: unknown) =>
      (await a.app.inject({ method, url, headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, ...(body ? { payload: JSON.stringify(body) } : {}) })).json();
    return { a, b, api, clock };
  }

  it('sees a burst spread over both: the node that completes it at once, the other at its next batch', async () => {
    const { a, b, api, clock } = await twoNodes();
    const campaign = await api('POST', '/api/campaigns', { name: 'spread' });
    const execution = await api('POST', `/api/campaigns/${campaign.id}/executions`, { subject: 's', html: '<p><a href="https://shop.example/a">a</a></p>' });
    const messages: { id: number; links: { tracked: string }[] }[] = [];
    for (const to of ['ann@corp.example', 'bob@corp.example', 'cat@corp.example']) messages.push(await api('POST', '/api/messages', { executionId: execution.id, to: [to] }));
    for (const m of messages) await api('POST', `/api/messages/${m.id}/events`, { type: 'delivered', at: clock.now() - 3_600_000 });

    // A scanner posing as Chrome, without the Accept-Language a browser sends: the mark that makes its burst certain.
    const click = async (node: Mailsight, m: { links: { tracked: string }[] }) => {
      const response = await node.app.inject({
        method: 'GET',
        url: new URL(m.links[0]!.tracked).pathname,
        headers: { 'x-forwarded-for': '198.51.100.61', 'user-agent': CHROME },
      });
      expect(response.statusCode).toBe(302);
      clock.advance(1_500);
    };
    const verdicts = async () => {
      const out: [string, string[]][] = [];
      for (const m of messages) for (const e of (await api('GET', `/api/messages/${m.id}`)).events) if (e.type === 'clicked') out.push([e.verdict, e.reasons]);
      return out;
    };

    await click(a, messages[0]!);
    await click(b, messages[1]!);
    // Each node has seen one recipient from this address: nothing to tell yet.
    expect((await verdicts()).map(([v]) => v)).toEqual(['human', 'human']);
    await click(a, messages[2]!);
    // Node a completes the burst: its own two hits are bots now; node b's hit is b's to revise.
    expect((await verdicts()).map(([v]) => v)).toEqual(['bot', 'human', 'bot']);
    // Node b's next batch (any hit) takes in a's hits and revises its own.
    const pixel = new URL(/<img src="([^"]+)"/.exec((await api('POST', '/api/messages', { executionId: execution.id, to: ['dan@corp.example'] })).html)![1]!).pathname;
    expect((await b.app.inject({ method: 'GET', url: pixel, headers: { 'x-forwarded-for': '203.0.113.200' } })).statusCode).toBe(200);
    const after = await verdicts();
    expect(after.map(([v]) => v)).toEqual(['bot', 'bot', 'bot']);
    for (const [, reasons] of after) expect(reasons).toContain('burst:cross-recipient');
  });

  it('judges again the hits a node took before learning of the delivery through the other node', async () => {
    const { b, api, clock } = await twoNodes();
    const campaign = await api('POST', '/api/campaigns', { name: 'greylisted' });
    const execution = await api('POST', `/api/campaigns/${campaign.id}/executions`, { subject: 's', html: '<p><a href="https://shop.example/a">a</a></p>' });
    const message = await api('POST', '/api/messages', { executionId: execution.id, to: ['ann@corp.example'] });
    const sentAt = clock.now();
    await api('POST', `/api/messages/${message.id}/events`, { type: 'sent', at: sentAt });

    // Node b takes a click 5 s after the send, while the message is still held by the receiving server.
    clock.advance(5_000);
    const request = { headers: { 'x-forwarded-for': '198.51.100.62', 'user-agent': CHROME, 'accept-language': 'en' } };
    expect((await b.app.inject({ method: 'GET', url: new URL(message.links[0].tracked).pathname, ...request })).statusCode).toBe(302);
    const clicked = async () => (await api('GET', `/api/messages/${message.id}`)).events.find((e: { type: string }) => e.type === 'clicked');
    expect((await clicked()).verdict).toBe('human');

    // The delivery, 20 s after the send, is reported through node a.
    await api('POST', `/api/messages/${message.id}/events`, { type: 'delivered', at: sentAt + 20_000 });
    // Node b reads the message's route again at its next hit past the refresh interval, learns the
    // delivery, and judges its click again: it was made in transit, by a machine.
    clock.advance(ROUTE_REFRESH_MS + 1);
    expect((await b.app.inject({ method: 'GET', url: new URL(/<img src="([^"]+)"/.exec(message.html)![1]!).pathname, ...request })).statusCode).toBe(200);
    const judged = await clicked();
    expect(judged.verdict).toBe('bot');
    expect(judged.reasons).toContain('timing:before-delivery');
  });
});

if (!reachable) console.warn('SKIPPED: multi-node burst tests need PostgreSQL on 127.0.0.1:5432');
