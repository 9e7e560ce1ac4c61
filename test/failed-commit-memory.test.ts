/**
 * When a batch of hits fails to commit, the classifier's memory is as it was before the batch: the
 * hits that were not written are no evidence for later hits, and no verdict stays revised in memory
 * that was not revised in the database. Both writer modes; a column of the events table is renamed for
 * a moment, so that the write of the hits fails for real (and only it: the reads before it still work).
 */
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { testDialects } from './support/databases.js';
import { startTestServer, type TestServer } from './support/server.js';

const CHROME = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/128.0 Safari/537.36';
/** One address clicking for the recipients: three of them within seconds, without Accept-Language, is a scanner's burst. */
const SHARED_IP = '198.51.100.23';

const cases = (await testDialects()).flatMap((dialect) => (['thread', 'inline'] as const).map((hitWriter) => [dialect, hitWriter] as const));

describe.each(cases)('a batch that fails to commit (%s, hit writer: %s)', (dialect, hitWriter) => {
  let s: TestServer | undefined;
  afterEach(async () => s?.close());

  /** Three recipients of one campaign, delivered an hour ago, their routes already in memory. */
  async function threeRecipients() {
    s = await startTestServer(dialect, { HIT_WRITER: hitWriter });
    const server = s;
    const campaign = (await server.api('POST', '/api/campaigns', { name: 'failing commit' })).body;
    const execution = (await server.api('POST', `/api/campaigns/${campaign.id}/executions`, { subject: 's', html: '<p><a href="https://shop.example/a">a</a></p>' })).body;
    const messages: { id: number; click: string; pixel: string }[] = [];
    for (const to of ['ann@corp.example', 'bob@corp.example', 'cat@corp.example']) {
      const m = (await server.api('POST', '/api/messages', { executionId: execution.id, to: [to] })).body;
      await server.api('POST', `/api/messages/${m.id}/events`, { type: 'delivered', at: server.clock.now() - 3_600_000 });
      messages.push({ id: m.id, click: new URL(m.links[0].tracked).pathname, pixel: new URL(/<img src="([^"]+)"/.exec(m.html)![1]!).pathname });
    }
    // Each reader opened the message from home an hour ago: the routes are cached, so only the write of a hit fails.
    for (const [i, m] of messages.entries()) await server.app.inject({ method: 'GET', url: m.pixel, headers: { 'x-forwarded-for': `203.0.113.${i + 1}`, 'user-agent': CHROME, 'accept-language': 'en' } });
    server.clock.advance(3_600_000);
    const click = async (m: { click: string }) => {
      const response = await server.app.inject({ method: 'GET', url: m.click, headers: { 'x-forwarded-for': SHARED_IP, 'user-agent': CHROME } });
      expect(response.statusCode).toBe(302);
      server.clock.advance(1_000);
    };
    const failing = async (action: () => Promise<void>) => {
      const db = server.storage.database.db;
      await sql`alter table events rename column anonymous to anonymous_elsewhere`.execute(db);
      await action();
      await sql`alter table events rename column anonymous_elsewhere to anonymous`.execute(db);
    };
    const clickVerdicts = async () => {
      const out: string[][] = [];
      for (const m of messages) out.push((await server.api('GET', `/api/messages/${m.id}`)).body.events.filter((e: { type: string }) => e.type === 'clicked').map((e: { verdict: string }) => e.verdict));
      return out;
    };
    return { messages, click, failing, clickVerdicts };
  }

  it('keeps no hit it could not write as evidence: it forms no burst with later hits', async () => {
    const { messages, click, failing, clickVerdicts } = await threeRecipients();
    await click(messages[0]!);
    await failing(() => click(messages[1]!));
    await click(messages[2]!);
    // Two recipients' clicks were written, one second apart: no burst, both a person's.
    expect(await clickVerdicts()).toEqual([['human'], [], ['human']]);
  });

  it('revises in memory only what it revised in the database', async () => {
    const { messages, click, failing, clickVerdicts } = await threeRecipients();
    await click(messages[0]!);
    await click(messages[1]!);
    // The third recipient's click completes the burst, but is not written, nor the revision of the first two.
    await failing(() => click(messages[2]!));
    expect(await clickVerdicts()).toEqual([['human'], ['human'], []]);
    // The click again (a reload): the burst completes again, and this time every verdict is written.
    await click(messages[2]!);
    expect(await clickVerdicts()).toEqual([['bot'], ['bot'], ['bot']]);
  });
});
