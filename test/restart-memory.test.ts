/**
 * The classifier's memory survives a restart: a new server (or writer thread) takes the hits of the
 * last minutes back from the database, so a scanner's burst that straddles the restart is still seen
 * whole, and the hits from before the restart are revised as they would have been.
 */
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { build, type Mailsight } from '../src/compose.js';
import { loadConfig } from '../src/config.js';
import { createApiKey } from '../src/app/keys.js';
import { createTestDatabase, testDialects, type TestDatabase } from './support/databases.js';
import { dialectEnv, settableClock } from './support/server.js';

const cases = (await testDialects()).flatMap((dialect) => (['thread', 'inline'] as const).map((hitWriter) => [dialect, hitWriter] as const));

describe.each(cases)('a restart in the middle of a burst (%s, hit writer: %s)', (dialect, hitWriter) => {
  let database: TestDatabase | undefined;
  let server: Mailsight | undefined;
  afterEach(async () => {
    await server?.app.close();
    await database?.drop();
  });

  /**
   * A server on a new database, with `restart` to stop it and start it again on the same one after
   * `ms` (`server` is always the running one), and `api` to call it with a key made at the first start.
   */
  async function firstStart(env: Record<string, string> = {}) {
    database = await createTestDatabase(dialect);
    const clock = settableClock(Date.UTC(2026, 10, 2, 9));
    const config = Object.freeze({
      ...loadConfig({ MX_LOOKUP: 'false', PUBLIC_URL: 'https://track.test', LOG_LEVEL: 'silent', TRUSTED_PROXIES: '127.0.0.1', GROUP_COMMIT_DELAY_MS: '0', HIT_WRITER: hitWriter, ...dialectEnv(dialect), ...env }),
      database: database.config,
    });
    const start = () => build({ config, clock, logger: pino({ level: 'silent' }) });
    server = await start();
    const restart = async (ms: number) => {
      await server!.app.close();
      clock.advance(ms);
      server = await start();
    };
    const { key } = await createApiKey(server.storage.keys, clock, 'restart');
    const api = async (method: 'GET' | 'POST', url: string, body?: unknown) => {
      const response = await server!.app.inject({ method, url, headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, ...(body ? { payload: JSON.stringify(body) } : {}) });
      return response.json();
    };
    return { clock, restart, api };
  }

  it('sees the burst whole and revises the hits from before the restart', async () => {
    const { clock, restart, api } = await firstStart();
    const campaign = await api('POST', '/api/campaigns', { name: 'restart' });
    const execution = await api('POST', `/api/campaigns/${campaign.id}/executions`, { subject: 's', html: '<p><a href="https://shop.example/a">a</a></p>' });
    const messages: { id: number; links: { tracked: string }[] }[] = [];
    for (const to of ['ann@corp.example', 'bob@corp.example', 'cat@corp.example']) messages.push(await api('POST', '/api/messages', { executionId: execution.id, to: [to] }));
    // Delivered an hour ago: nothing is fast after delivery; only the burst across recipients tells.
    for (const m of messages) await api('POST', `/api/messages/${m.id}/events`, { type: 'delivered', at: clock.now() - 3_600_000 });
    // A scanner posing as Chrome, without the Accept-Language a browser sends: the mark that makes its burst certain.
    const click = async (m: { id: number; links: { tracked: string }[] }) => {
      const response = await server!.app.inject({
        method: 'GET',
        url: new URL(m.links[0]!.tracked).pathname,
        headers: { 'x-forwarded-for': '198.51.100.23', 'user-agent': 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/128.0 Safari/537.36' },
      });
      expect(response.statusCode).toBe(302);
    };
    const verdicts = async () => {
      const out: string[] = [];
      for (const m of messages) for (const e of (await api('GET', `/api/messages/${m.id}`)).events) if (e.type === 'clicked') out.push(e.verdict);
      return out;
    };

    await click(messages[0]!);
    clock.advance(2_000);
    await click(messages[1]!);
    expect(await verdicts()).toEqual(['human', 'human']);

    await restart(2_000);
    await click(messages[2]!);
    // Three recipients from one address within seconds: all three are the scanner's.
    expect(await verdicts()).toEqual(['bot', 'bot', 'bot']);
    const first = (await api('GET', `/api/messages/${messages[0]!.id}`)).events.find((e: { type: string }) => e.type === 'clicked');
    expect(first.reasons).toContain('burst:cross-recipient');
  });

  it('revises a click made in transit when its delivery is reported after the restart', async () => {
    const { clock, restart, api } = await firstStart();
    const campaign = await api('POST', '/api/campaigns', { name: 'late report' });
    const execution = await api('POST', `/api/campaigns/${campaign.id}/executions`, { subject: 's', html: '<p><a href="https://shop.example/a">a</a></p>' });
    const message = await api('POST', '/api/messages', { executionId: execution.id, to: ['dan@corp.example'] });
    const clicked = await server!.app.inject({
      method: 'GET',
      url: new URL(message.links[0].tracked).pathname,
      headers: { 'x-forwarded-for': '198.51.100.61', 'user-agent': 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/128.0 Safari/537.36', 'accept-language': 'en' },
    });
    expect(clicked.statusCode).toBe(302);
    const click = async () => (await api('GET', `/api/messages/${message.id}`)).events.find((e: { type: string }) => e.type === 'clicked');
    expect((await click()).verdict).toBe('human');

    // The new server has no route for the message in memory; its writer has the click back from the database.
    await restart(5_000);
    const reported = await api('POST', `/api/messages/${message.id}/events`, { type: 'delivered', at: clock.now() });
    expect(reported.recorded).toBe(true);
    const revised = await click();
    expect(revised.verdict).toBe('bot');
    expect(revised.reasons).toContain('timing:before-delivery');
  });

  it("keeps a seed copy's hits the sender's when they are judged again after the restart", async () => {
    const { clock, restart, api } = await firstStart({ SELF_ADDRESSES: 'qa@shop.example' });
    const campaign = await api('POST', '/api/campaigns', { name: 'seed' });
    const execution = await api('POST', `/api/campaigns/${campaign.id}/executions`, { subject: 's', html: '<p><a href="https://shop.example/a">a</a></p>' });
    const seed = await api('POST', '/api/messages', { executionId: execution.id, to: ['qa@shop.example'] });
    const hit = async (url: string) =>
      server!.app.inject({ method: 'GET', url: new URL(url).pathname, headers: { 'x-forwarded-for': '198.51.100.40', 'user-agent': 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Safari/605.1.15' } });

    expect((await hit(seed.links[0].tracked)).statusCode).toBe(302);
    await restart(5_000);
    expect((await hit(/<img src="([^"]+)"/.exec(seed.html)![1]!)).statusCode).toBe(200);
    // Delivery reported after the click: an ordinary recipient's click would now predate delivery (a
    // scanner's, in transit). The seed copy's hits, the one from before the restart too, stay the sender's.
    await api('POST', `/api/messages/${seed.id}/events`, { type: 'delivered', at: clock.now() });
    const hits = (await api('GET', `/api/messages/${seed.id}`)).events.filter((e: { verdict?: string }) => e.verdict);
    expect(hits.map((e: { type: string; verdict: string; reasons: string[] }) => [e.type, e.verdict, e.reasons])).toEqual([
      ['clicked', 'self', ['recipient:self']],
      ['opened', 'self', ['recipient:self']],
    ]);
  });
});
