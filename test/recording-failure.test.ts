/**
 * When a hit cannot be written, the recipient's experience does not break: the pixel is still an
 * image, a tracked link still leads on and the unsubscribe page is still shown. The failure is logged, and recording resumes once the
 * database is back. When not even the message can be looked up, the person is asked to come back.
 */
import { Writable } from 'node:stream';
import { sql } from 'kysely';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './support/server.js';
import { ROUTE_REFRESH_MS } from '../src/app/tracking.js';

type LogLine = { level: number; msg: string; reqId?: string };

/** A server whose error log lines are collected, and one message with one link on it. */
async function serverWithMessage(hitWriter: 'thread' | 'inline', logged: LogLine[]) {
  const sink = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) logged.push(JSON.parse(line));
      done();
    },
  });
  const s = await startTestServer('sqlite', { HIT_WRITER: hitWriter }, undefined, pino({ level: 'error' }, sink));
  const campaign = await s.api('POST', '/api/campaigns', { name: 'failing disk' });
  const execution = await s.api('POST', `/api/campaigns/${campaign.body.id}/executions`, { subject: 's', html: '<p><a href="https://shop.example/a">a</a></p>' });
  const message = (await s.api('POST', '/api/messages', { executionId: execution.body.id, to: ['reader@corp.example'] })).body;
  const paths = {
    click: new URL(message.links[0].tracked).pathname,
    pixel: new URL(/<img src="([^"]+)"/.exec(message.html)![1]!).pathname,
    unsubscribe: new URL(/<(https?:[^>]+)>/.exec(message.headers['List-Unsubscribe'])![1]!).pathname,
  };
  return { s, messageId: message.id as number, campaignId: campaign.body.id as number, ...paths };
}

describe.each(['thread', 'inline'] as const)('a hit that cannot be recorded (hit writer: %s)', (hitWriter) => {
  let s: TestServer | undefined;
  afterEach(async () => s?.close());

  it('still answers the pixel, the redirect and the unsubscribe page, logs the failures, and records again once the table is back', async () => {
    const logged: LogLine[] = [];
    const setup = await serverWithMessage(hitWriter, logged);
    s = setup.s;
    const { click, pixel, unsubscribe, messageId } = setup;

    // A first click, recorded: the message's route is now in memory, so only the write can fail.
    expect((await s.app.inject({ method: 'GET', url: click })).statusCode).toBe(302);
    const db = s.storage.database.db;
    await sql`alter table events rename to events_elsewhere`.execute(db);
    const redirected = await s.app.inject({ method: 'GET', url: click });
    expect(redirected.statusCode).toBe(302);
    expect(redirected.headers.location).toBe('https://shop.example/a');
    const image = await s.app.inject({ method: 'GET', url: pixel });
    expect(image.statusCode).toBe(200);
    expect(image.headers['content-type']).toBe('image/gif');
    const page = await s.app.inject({ method: 'GET', url: unsubscribe });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('<form method="post"');
    expect(logged.map((l) => l.msg)).toEqual(['click hit not recorded', 'open hit not recorded', 'unsubscribe page hit not recorded']);
    // Each line names its request.
    expect(logged.map((l) => l.reqId)).toEqual([expect.stringMatching(/^req-/), expect.stringMatching(/^req-/), expect.stringMatching(/^req-/)]);

    await sql`alter table events_elsewhere rename to events`.execute(db);
    expect((await s.app.inject({ method: 'GET', url: click })).statusCode).toBe(302);
    const events = (await s.api('GET', `/api/messages/${messageId}`)).body.events;
    expect(events.filter((e: { type: string }) => e.type === 'clicked')).toHaveLength(2);
    expect(events.filter((e: { type: string }) => e.type === 'opened')).toHaveLength(0);
  });
});

describe('hits judged again in the background', () => {
  let s: TestServer | undefined;
  afterEach(async () => s?.close());

  it('logs a failure to write the revisions, which no request waits for', async () => {
    const logged: LogLine[] = [];
    const setup = await serverWithMessage('inline', logged);
    s = setup.s;
    // Clicked before any delivery is known: the route is cached without a delivery time.
    expect((await s.app.inject({ method: 'GET', url: setup.click })).statusCode).toBe(302);
    // Delivered, as reported through another node: this one learns of it when it reads the route again.
    await s.storage.events.append([{ messageId: setup.messageId, campaignId: setup.campaignId, type: 'delivered', at: s.clock.now() + 1_000, source: 'api' }]);
    s.clock.advance(ROUTE_REFRESH_MS + 1_000);
    // Revising the click (an update of its row) now fails; recording a new hit still works.
    await sql`create trigger no_revisions before update on events begin select raise(abort, 'revisions refused'); end`.execute(s.storage.database.db);
    expect((await s.app.inject({ method: 'GET', url: setup.click })).statusCode).toBe(302);
    await expect.poll(() => logged.map((l) => l.msg)).toContain(`judging the hits of message ${setup.messageId} again failed`);
  });
});

describe('a tracked link whose message cannot be looked up', () => {
  let s: TestServer | undefined;
  afterEach(async () => s?.close());

  it('asks the person to try again (503, an HTML page, Retry-After), logs the request, and leads on once the database is back', async () => {
    const logged: LogLine[] = [];
    const setup = await serverWithMessage('thread', logged);
    s = setup.s;
    // Nothing was hit yet, so the message's route must be read from the database, which fails.
    const db = s.storage.database.db;
    await sql`alter table messages rename to messages_elsewhere`.execute(db);
    for (const [method, url] of [['GET', setup.click], ['GET', setup.unsubscribe], ['POST', setup.unsubscribe]] as const) {
      const answer = await s.app.inject({ method, url, ...(method === 'POST' ? { payload: 'List-Unsubscribe=One-Click', headers: { 'content-type': 'application/x-www-form-urlencoded' } } : {}) });
      expect(answer.statusCode, `${method} ${url}`).toBe(503);
      expect(answer.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(answer.headers['retry-after']).toBe('5');
      expect(answer.body).toContain('try again');
    }
    // The pixel is still an image.
    const image = await s.app.inject({ method: 'GET', url: setup.pixel });
    expect(image.statusCode).toBe(200);
    expect(image.headers['content-type']).toBe('image/gif');
    expect(logged.map((l) => l.msg)).toEqual(['tracking request failed', 'tracking request failed', 'tracking request failed', 'open hit not recorded']);
    expect(logged.every((l) => /^req-/.test(l.reqId ?? ''))).toBe(true);

    await sql`alter table messages_elsewhere rename to messages`.execute(db);
    const redirected = await s.app.inject({ method: 'GET', url: setup.click });
    expect(redirected.statusCode).toBe(302);
    expect(redirected.headers.location).toBe('https://shop.example/a');
  });
});
