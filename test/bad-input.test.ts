/** Hostile and broken input at the edges: clear answers, nothing recorded, nothing half-written, no crash. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import net from 'node:net';
import { signToken, Keyring } from '../src/core/tokens.js';
import { rotateSigningKey } from '../src/app/keys.js';
import { secretKeys } from '../src/compose.js';
import { startTestServer, type TestServer } from './support/server.js';
import { TRANSPARENT_GIF } from '../src/adapters/http/pixel.js';

/** Sends raw bytes over a real socket and returns the whole answer (Node's HTTP parser is part of the test). */
function rawResponse(port: number, request: Buffer | string): Promise<{ status: string; headers: string; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.end(request));
    const chunks: Buffer[] = [];
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('close', () => {
      const data = Buffer.concat(chunks);
      const end = data.indexOf('\r\n\r\n');
      const head = data.subarray(0, end === -1 ? data.length : end).toString('latin1');
      resolve({ status: head.split('\r\n')[0] ?? '', headers: head.toLowerCase(), body: end === -1 ? Buffer.alloc(0) : data.subarray(end + 4) });
    });
    socket.on('error', reject);
  });
}

/** The status line of the answer to raw bytes. */
async function rawRequest(port: number, request: Buffer | string): Promise<string> {
  return (await rawResponse(port, request)).status;
}

describe('bad input', () => {
  let s: TestServer;
  let port: number;
  let executionId: number;
  let message: any;

  beforeAll(async () => {
    s = await startTestServer('sqlite');
    const address = await s.app.listen({ port: 0, host: '127.0.0.1' });
    port = Number(new URL(address).port);
    const campaign = await s.api('POST', '/api/campaigns', { name: 'bad input' });
    const execution = await s.api('POST', `/api/campaigns/${campaign.body.id}/executions`, { subject: 's', html: '<a href="https://a.example/">a</a>' });
    executionId = execution.body.id;
    message = (await s.api('POST', '/api/messages', { executionId, to: ['x@corp.example'] })).body;
  });
  afterAll(async () => s?.close());

  const recordedHits = async () => (await s.api('GET', `/api/messages/${message.id}`)).body.events.filter((e: any) => e.hit).length;

  it('records nothing for a validly signed token of a message that does not exist here (replayed from elsewhere)', async () => {
    const ring = s.services.keyring.current;
    const ghost = signToken(ring, { kind: 'click', messageId: 999_999, ordinal: 1 });
    expect((await s.app.inject({ method: 'GET', url: `/c/${ghost}` })).statusCode).toBe(404);
    const wrongOrdinal = signToken(ring, { kind: 'click', messageId: message.id, ordinal: 42 });
    expect((await s.app.inject({ method: 'GET', url: `/c/${wrongOrdinal}` })).statusCode).toBe(404);
    const foreign = signToken(new Keyring([{ id: 1, secret: Buffer.alloc(32, 9) }]), { kind: 'click', messageId: message.id, ordinal: 1 });
    expect((await s.app.inject({ method: 'GET', url: `/c/${foreign}` })).statusCode).toBe(404);
    expect(await recordedHits()).toBe(0);
  });

  it('records nothing for a valid token on the wrong endpoint, even once it was verified on its own', async () => {
    const ring = s.services.keyring.current;
    const own = (await s.api('POST', '/api/messages', { executionId, to: ['y@corp.example'] })).body;
    const hitsOfOwn = async () => (await s.api('GET', `/api/messages/${own.id}`)).body.events.filter((e: any) => e.hit).length;
    const openToken = signToken(ring, { kind: 'open', messageId: own.id, ordinal: null });
    const clickToken = signToken(ring, { kind: 'click', messageId: own.id, ordinal: 1 });
    // Verified (and remembered) on the endpoints of their kinds first: both hits are recorded.
    expect((await s.app.inject({ method: 'GET', url: `/o/${openToken}` })).statusCode).toBe(200);
    expect((await s.app.inject({ method: 'GET', url: `/c/${clickToken}` })).statusCode).toBe(302);
    expect(await hitsOfOwn()).toBe(2);
    expect((await s.app.inject({ method: 'GET', url: `/c/${openToken}` })).statusCode).toBe(404);
    expect((await s.app.inject({ method: 'GET', url: `/u/${openToken}` })).statusCode).toBe(404);
    expect((await s.app.inject({ method: 'GET', url: `/u/${clickToken}` })).statusCode).toBe(404);
    // The pixel is an image whatever the token; nothing more is recorded.
    expect((await s.app.inject({ method: 'GET', url: `/o/${clickToken}` })).statusCode).toBe(200);
    expect(await hitsOfOwn()).toBe(2);
  });

  it('answers undecodable and invalid UTF-8 paths without crashing', async () => {
    expect(await rawRequest(port, 'GET /c/%FF%FE%FD HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')).toMatch(/^HTTP\/1.1 (400|404)/);
    expect(await rawRequest(port, Buffer.concat([Buffer.from('GET /c/'), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from(' HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')]))).toMatch(
      /^HTTP\/1.1 (400|404)/,
    );
    expect(await rawRequest(port, 'GET /o/%E0%A4%A HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')).toBe('HTTP/1.1 200 OK');
    expect(await recordedHits()).toBe(0);
    expect((await fetch(`http://127.0.0.1:${port}/health`)).status).toBe(200);
  });

  it('refuses oversized URLs and headers with a clear status, but the pixel is an image and a link gets its page', async () => {
    const over = (path: string, header = '') => `GET ${path} HTTP/1.1\r\nHost: x\r\n${header}Connection: close\r\n\r\n`;
    const link = await rawResponse(port, over(`/c/${'A'.repeat(70_000)}`));
    expect(link.status).toBe('HTTP/1.1 431 Request Header Fields Too Large');
    expect(link.headers).toContain('content-type: text/html; charset=utf-8');
    expect(link.body.toString()).toContain('Link not found');
    expect(link.body.toString()).not.toContain('AAAA');
    const unsubscribe = await rawResponse(port, over(`/u/${'B'.repeat(20_000)}`));
    expect(unsubscribe.status).toMatch(/^HTTP\/1.1 431/);
    expect(unsubscribe.body.toString()).toContain('Link not found');
    // Over Node's header limit (16 KiB), by the URL or by a header: the pixel is still an image.
    for (const request of [over(`/o/${'A'.repeat(20_000)}`), over('/o/x', `X-Big: ${'b'.repeat(70_000)}\r\n`)]) {
      const pixel = await rawResponse(port, request);
      expect(pixel.status).toBe('HTTP/1.1 200 OK');
      expect(pixel.headers).toContain('content-type: image/gif');
      expect(pixel.body.equals(TRANSPARENT_GIF)).toBe(true);
    }
    const api = await rawResponse(port, over(`/api/${'C'.repeat(20_000)}`));
    expect(api.status).toMatch(/^HTTP\/1.1 431/);
    expect(JSON.parse(api.body.toString())).toEqual({ error: 'Request Header Fields Too Large', message: 'the request line and headers are too large' });
    expect((await fetch(`http://127.0.0.1:${port}/health`)).status).toBe(200);
    expect(await recordedHits()).toBe(0);
  });

  it('answers every mangled pixel URL with the image, and every mangled link with the not-found page, never JSON nor the path', async () => {
    const pixelToken = new URL(/<img src="([^"]+)"/.exec(message.html)![1]!).pathname.slice('/o/'.length);
    const linkToken = new URL(message.links[0].tracked).pathname.slice('/c/'.length);
    const mangled = (prefix: string, token: string) => [
      prefix,
      `${prefix}${token}/`,
      `${prefix}${token}/extra/segments`,
      `${prefix}${token}${'Z'.repeat(5000)}`,
      `${prefix}%E0%A4%A${token}`,
      `${prefix}${token}%`,
    ];
    for (const url of mangled('/o/', pixelToken)) {
      for (const method of ['GET', 'HEAD', 'POST'] as const) {
        const answer = await s.app.inject({ method, url });
        expect(answer.statusCode, `${method} ${url}`).toBe(200);
        expect(answer.headers['content-type'], `${method} ${url}`).toBe('image/gif');
        if (method !== 'HEAD') expect(answer.rawPayload.equals(TRANSPARENT_GIF), url).toBe(true);
      }
    }
    for (const url of [...mangled('/c/', linkToken), ...mangled('/u/', linkToken)]) {
      const answer = await s.app.inject({ method: 'GET', url });
      expect(answer.statusCode, url).toBe(404);
      expect(answer.headers['content-type'], url).toBe('text/html; charset=utf-8');
      expect(answer.body, url).toContain('Link not found');
      expect(answer.body, url).not.toContain(linkToken.slice(0, 12));
    }
    const unknown = await s.app.inject({ method: 'GET', url: '/nothing/here-<script>' });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toEqual({ error: 'NOT_FOUND', message: 'no such route' });
    expect(await recordedHits()).toBe(0);
  });

  it('keeps at most a bounded user agent from a hit', async () => {
    const pixel = new URL(/<img src="([^"]+)"/.exec(message.html)![1]!).pathname;
    await s.app.inject({ method: 'GET', url: pixel, headers: { 'user-agent': 'U'.repeat(8000), referer: 'R'.repeat(8000) } });
    const hit = (await s.api('GET', `/api/messages/${message.id}`)).body.events.find((e: any) => e.hit);
    expect(hit.hit.userAgent.length).toBe(1024);
    expect(hit.hit.headers.referer.length).toBe(1024);
  });

  it('refuses a 10 MB HTML part with 413 naming the field and limit, and a 60 MB body with 413', async () => {
    const block = '<tr><td><p>Lorem ipsum dolor sit amet, <a href="https://shop.example/p?id=1&amp;c=2">item</a></p></td></tr>\n';
    const big = `<html><body><table>${block.repeat(Math.ceil(10_000_000 / block.length))}</table></body></html>`;
    const refused = await s.api('POST', '/api/campaigns/1/executions', { subject: 'big', html: big });
    expect(refused.status).toBe(413);
    expect(refused.body.message).toMatch(/^html: the part is \d+ characters long; the limit is 2097152/);
    const tooBig = await s.app.inject({
      method: 'POST',
      url: '/api/campaigns/1/executions',
      headers: { authorization: `Bearer ${s.apiKey}`, 'content-type': 'application/json' },
      payload: JSON.stringify({ subject: 'x', html: 'y'.repeat(60 * 1024 * 1024) }),
    });
    expect(tooBig.statusCode).toBe(413);
  }, 60_000);

  const postRaw = (url: string, payload: string | Buffer) =>
    s.app.inject({ method: 'POST', url, headers: { authorization: `Bearer ${s.apiKey}`, 'content-type': 'application/json' }, payload });

  it('refuses a deeply nested body with 400, where storing it overflowed the stack (500)', async () => {
    const deep = '['.repeat(100_000) + ']'.repeat(100_000);
    const answer = await postRaw(`/api/messages/${message.id}/events`, `{"type":"delivered","detail":{"x":${deep}}}`);
    expect(answer.statusCode).toBe(400);
    expect(answer.json()).toEqual({ error: 'VALIDATION', message: 'body: nested deeper than 64 levels (at character 96)' });
    const attributes = await postRaw('/api/messages', `{"executionId":${executionId},"to":[{"email":"deep@corp.example","attributes":{"x":${deep}}}]}`);
    expect(attributes.statusCode).toBe(400);
    expect((await s.api('GET', `/api/messages/${message.id}`)).body.events.map((e: any) => e.type)).not.toContain('delivered');
  });

  it('refuses invalid UTF-8 and lone surrogates in a body instead of storing replacement characters', async () => {
    const campaigns = async () => (await s.api('GET', '/api/campaigns')).body.campaigns.map((c: any) => c.name);
    const before = await campaigns();
    const invalid = await postRaw('/api/campaigns', Buffer.concat([Buffer.from('{"name":"caf'), Buffer.from([0xe9]), Buffer.from('"}')]));
    expect(invalid.statusCode).toBe(400);
    expect(invalid.json().message).toMatch(/^body: not valid UTF-8/);
    const lone = await postRaw('/api/campaigns', '{"name":"\\ud800 sale"}');
    expect(lone.statusCode).toBe(400);
    expect(lone.json().message).toMatch(/^body: lone surrogate \\ud800/);
    expect(await campaigns()).toEqual(before);
    const fine = await postRaw('/api/campaigns', '{"name":"caf\u00e9 \\ud83d\\ude00"}');
    expect(fine.statusCode).toBe(201);
    expect(fine.json().name).toBe('café 😀');
  });

  it('takes garbage HTML without error and finds what links there are', async () => {
    const garbage = '<<a href=https://g.example/1>x</a <a href="https://g.example/2"<b><a href="https://g.example/3" <a href';
    const result = await s.api('POST', '/api/campaigns/1/executions', { subject: 'garbage', html: garbage });
    expect(result.status).toBe(201);
    expect(result.body.links.length).toBeGreaterThanOrEqual(1);
  });

  it('refuses a token once its signing key is removed, though the same token was accepted (and cached) before', async () => {
    await rotateSigningKey(s.storage.keys, secretKeys(s.config), s.clock);
    await s.services.keyring.refresh();
    const signed = (await s.api('POST', '/api/messages', { executionId, to: ['rotated@corp.example'] })).body;
    const click = new URL(signed.links[0].tracked).pathname;
    expect((await s.app.inject({ method: 'GET', url: click })).statusCode).toBe(302);
    const newest = s.services.keyring.current.signing.id;
    await s.storage.database.db.deleteFrom('signing_keys').where('id', '=', newest).execute();
    await s.services.keyring.refresh();
    expect((await s.app.inject({ method: 'GET', url: click })).statusCode).toBe(404);
    const hits = (await s.api('GET', `/api/messages/${signed.id}`)).body.events.filter((e: any) => e.hit);
    expect(hits).toHaveLength(1);
  });
});
