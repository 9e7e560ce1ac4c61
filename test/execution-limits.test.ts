/**
 * The documented limits of an execution's content, through the real server: the largest input is
 * accepted and rendered; one character or one link more is refused with the status and a message
 * naming the part, its size and the limit, and nothing is written.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_BODY_LIMIT } from '../src/adapters/http/api-routes.js';
import { MAX_LINKS_PER_EXECUTION, MAX_PART_LENGTH } from '../src/core/instrument/index.js';
import { largestAcceptedHtml } from '../src/core/instrument/test-support.js';
import { startTestServer, type TestServer } from './support/server.js';

const block = readFileSync(resolve(process.cwd(), 'test/fixtures/html/newsletter-block.html'), 'utf8');
const links = (count: number) => Array.from({ length: count }, (_, i) => `<a href="https://l.example/${i}">${i}</a>\n`).join('');

describe('execution limits', () => {
  let s: TestServer;
  let campaignId: number;
  const executionCount = async () => (await s.storage.database.db.selectFrom('executions').select('id').execute()).length;

  beforeAll(async () => {
    s = await startTestServer('sqlite', { HIT_WRITER: 'inline' });
    campaignId = (await s.api('POST', '/api/campaigns', { name: 'limits', tracking: { honeypot: true } })).body.id;
  });
  afterAll(async () => s?.close());

  it('accepts the largest input, an HTML and a text part at the size limit with the most links, and renders its messages', async () => {
    const html = largestAcceptedHtml(block, MAX_PART_LENGTH, MAX_LINKS_PER_EXECUTION);
    const text = 'x'.repeat(MAX_PART_LENGTH);
    const created = await s.api('POST', `/api/campaigns/${campaignId}/executions`, { subject: 'largest', html, text });
    expect(created.status).toBe(201);
    expect(created.body.links).toHaveLength(MAX_LINKS_PER_EXECUTION);
    const message = await s.api('POST', '/api/messages', { executionId: created.body.id, to: ['ann@corp.example'] });
    expect(message.status).toBe(201);
    expect(message.body.links).toHaveLength(MAX_LINKS_PER_EXECUTION);
    expect(message.body.text).toBe(text);
  }, 60_000);

  it('refuses a part one character too long with 413, naming the part, its size and the limit', async () => {
    const before = await executionCount();
    for (const part of ['html', 'text']) {
      const refused = await s.api('POST', `/api/campaigns/${campaignId}/executions`, { subject: 'long', [part]: 'y'.repeat(MAX_PART_LENGTH + 1) });
      expect(refused.status).toBe(413);
      expect(refused.body).toEqual({
        error: 'INPUT_TOO_LARGE',
        message: `${part}: the part is ${MAX_PART_LENGTH + 1} characters long; the limit is ${MAX_PART_LENGTH} (2 MiB)`,
      });
    }
    expect(await executionCount()).toBe(before);
  });

  it('refuses one link too many with 400, naming the parts, the count and the limit', async () => {
    const before = await executionCount();
    const refused = await s.api('POST', `/api/campaigns/${campaignId}/executions`, { subject: 'links', html: links(MAX_LINKS_PER_EXECUTION), text: 'https://t.example/' });
    expect(refused.status).toBe(400);
    expect(refused.body).toEqual({
      error: 'TOO_MANY_LINKS',
      message: `html, text: ${MAX_LINKS_PER_EXECUTION + 1} links to track (html ${MAX_LINKS_PER_EXECUTION}, text 1); the limit is ${MAX_LINKS_PER_EXECUTION} per execution`,
    });
    expect(await executionCount()).toBe(before);
  });

  it('refuses a body over the API limit with 413 before parsing it', async () => {
    const refused = await s.app.inject({
      method: 'POST',
      url: `/api/campaigns/${campaignId}/executions`,
      headers: { authorization: `Bearer ${s.apiKey}`, 'content-type': 'application/json' },
      payload: JSON.stringify({ subject: 'x', html: 'y'.repeat(API_BODY_LIMIT) }),
    });
    expect(refused.statusCode).toBe(413);
    expect(refused.json().message).toMatch(/body is too large/i);
  });
});
