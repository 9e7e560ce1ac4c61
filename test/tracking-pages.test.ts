/**
 * The HTML pages of the tracking links (unsubscribe confirm and done, link not found, try again, the
 * honeypot's empty page) go out with headers that keep them from being framed, sniffed or leaking the
 * referrer, under a policy that still lets the confirm page's style apply and its form post.
 */
import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signToken } from '../src/core/tokens.js';
import { startTestServer, type TestServer } from './support/server.js';

/** The policy's directives by name. */
function directives(policy: string): Map<string, string[]> {
  return new Map(policy.split(';').map((d) => d.trim().split(/\s+/)).map(([name, ...values]) => [name!, values]));
}

describe('tracking pages', () => {
  let s: TestServer;
  let message: { id: number; links: { tracked: string }[]; headers: Record<string, string> };
  let unsubscribe: string;

  beforeAll(async () => {
    s = await startTestServer('sqlite');
    const campaign = await s.api('POST', '/api/campaigns', { name: 'pages' });
    const execution = await s.api('POST', `/api/campaigns/${campaign.body.id}/executions`, { subject: 's', html: '<p><a href="https://shop.example/a">a</a></p>' });
    message = (await s.api('POST', '/api/messages', { executionId: execution.body.id, to: ['reader@corp.example'] })).body;
    unsubscribe = new URL(/<(https?:[^>]+)>/.exec(message.headers['List-Unsubscribe']!)![1]!).pathname;
  });
  afterAll(async () => s?.close());

  function expectPageHeaders(answer: { statusCode: number; headers: Record<string, unknown>; body: string }, what: string): void {
    expect(answer.headers['content-type'], what).toBe('text/html; charset=utf-8');
    expect(answer.headers['x-content-type-options'], what).toBe('nosniff');
    expect(answer.headers['referrer-policy'], what).toBe('no-referrer');
    expect(answer.headers['cache-control'], what).toBe('no-store');
    const policy = directives(String(answer.headers['content-security-policy']));
    expect(policy.get('default-src'), what).toEqual(["'none'"]);
    expect(policy.get('frame-ancestors'), what).toEqual(["'none'"]);
    expect(policy.get('form-action'), what).toEqual(["'self'"]);
    expect(policy.has('script-src'), what).toBe(false);
    // Each inline style of the page is allowed by its hash, as a browser checks it.
    for (const [, style] of answer.body.matchAll(/<style>([\s\S]*?)<\/style>/g)) {
      expect(policy.get('style-src'), what).toContain(`'sha256-${createHash('sha256').update(style!).digest('base64')}'`);
    }
  }

  it('sends them with every page kind', async () => {
    const honeypot = `/c/${signToken(s.services.keyring.current, { kind: 'click', messageId: message.id, ordinal: 0 })}`;
    const pages: [string, { statusCode: number; headers: Record<string, unknown>; body: string }, number, string][] = [
      ['confirm', await s.app.inject({ method: 'GET', url: unsubscribe }), 200, '<form method="post"'],
      ['invalid link', await s.app.inject({ method: 'GET', url: '/c/not-a-token' }), 404, 'Link not found'],
      ['mangled link', await s.app.inject({ method: 'GET', url: `${unsubscribe}/more` }), 404, 'Link not found'],
      ['honeypot', await s.app.inject({ method: 'GET', url: honeypot }), 200, '<title></title>'],
      [
        'done',
        await s.app.inject({ method: 'POST', url: unsubscribe, payload: 'List-Unsubscribe=One-Click', headers: { 'content-type': 'application/x-www-form-urlencoded' } }),
        200,
        'You are unsubscribed',
      ],
    ];
    for (const [what, answer, status, text] of pages) {
      expect(answer.statusCode, what).toBe(status);
      expect(answer.body, what).toContain(text);
      expectPageHeaders(answer, what);
    }
    // The confirm page's form posts to the page's own URL, which form-action 'self' allows.
    expect(pages[0]![1].body).toContain(`action="${unsubscribe}"`);
  });

  it('sends them with the try-again page too', async () => {
    const other = (await s.api('POST', '/api/messages', { executionId: 1, to: ['later@corp.example'] })).body;
    const db = s.storage.database.db;
    await sql`alter table messages rename to messages_elsewhere`.execute(db);
    try {
      const answer = await s.app.inject({ method: 'GET', url: new URL(other.links[0].tracked).pathname });
      expect(answer.statusCode).toBe(503);
      expect(answer.headers['retry-after']).toBe('5');
      expectPageHeaders(answer, 'unavailable');
    } finally {
      await sql`alter table messages_elsewhere rename to messages`.execute(db);
    }
  });
});
