/** Hostile and broken input at the edges: clear answers, nothing recorded, nothing half-written, no crash. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import net from 'node:net';
import { signToken, Keyring } from '../src/core/tokens.js';
import { rotateSigningKey } from '../src/app/keys.js';
import { startTestServer, type TestServer } from './support/server.js';

/** Sends raw bytes over a real socket and returns the status line (Node's HTTP parser is part of the test). */
function rawRequest(port: number, request: Buffer | string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.end(request));
    let data = '';
    socket.on('data', (chunk) => (data += chunk.toString('latin1')));
    socket.on('end', () => resolve(data.split('\r\n')[0] ?? ''));
    socket.on('error', reject);
  });
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

  it('refuses oversized URLs and headers with a clear status', async () => {
    expect(await rawRequest(port, `GET /c/${'A'.repeat(70_000)} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`)).toMatch(/^HTTP\/1.1 431/);
    expect(await rawRequest(port, `GET /o/x HTTP/1.1\r\nHost: x\r\nX-Big: ${'b'.repeat(70_000)}\r\nConnection: close\r\n\r\n`)).toMatch(/^HTTP\/1.1 431/);
    expect((await fetch(`http://127.0.0.1:${port}/health`)).status).toBe(200);
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

  it('takes garbage HTML without error and finds what links there are', async () => {
    const garbage = '<<a href=https://g.example/1>x</a <a href="https://g.example/2"<b><a href="https://g.example/3" <a href';
    const result = await s.api('POST', '/api/campaigns/1/executions', { subject: 'garbage', html: garbage });
    expect(result.status).toBe(201);
    expect(result.body.links.length).toBeGreaterThanOrEqual(1);
  });

  it('refuses a token once its signing key is removed, though the same token was accepted (and cached) before', async () => {
    await rotateSigningKey(s.storage.keys, s.clock);
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
