/** The client IP of a hit: the socket's, or X-Forwarded-For only when the request comes from a trusted proxy. */
import { afterAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './support/server.js';

async function hitIp(s: TestServer, headers: Record<string, string>, remoteAddress?: string): Promise<string> {
  const campaign = await s.api('POST', '/api/campaigns', { name: 'ip' });
  const execution = await s.api('POST', `/api/campaigns/${campaign.body.id}/executions`, { subject: 's', html: '<a href="https://a.example/">a</a>' });
  const message = await s.api('POST', '/api/messages', { executionId: execution.body.id, to: ['ip@corp.example'] });
  await s.app.inject({ method: 'GET', url: new URL(message.body.links[0].tracked).pathname, headers, ...(remoteAddress ? { remoteAddress } : {}) });
  const view = await s.api('GET', `/api/messages/${message.body.id}`);
  return view.body.events.find((e: any) => e.hit).hit.ip;
}

describe('client IP', () => {
  const servers: TestServer[] = [];
  afterAll(async () => Promise.all(servers.map((s) => s.close())));

  it('ignores X-Forwarded-For when no proxy is trusted', async () => {
    const s = await startTestServer('sqlite', { TRUSTED_PROXIES: '' });
    servers.push(s);
    expect(await hitIp(s, { 'x-forwarded-for': '203.0.113.7' })).toBe('127.0.0.1');
  });

  it('believes X-Forwarded-For from a trusted proxy, and not from anyone else', async () => {
    const s = await startTestServer('sqlite', { TRUSTED_PROXIES: '10.0.0.0/8' });
    servers.push(s);
    expect(await hitIp(s, { 'x-forwarded-for': '203.0.113.7' }, '10.1.2.3')).toBe('203.0.113.7');
    expect(await hitIp(s, { 'x-forwarded-for': '203.0.113.7' }, '198.51.100.1')).toBe('198.51.100.1');
    // A client cannot smuggle an address in front of the one the proxy appended.
    expect(await hitIp(s, { 'x-forwarded-for': '1.1.1.1, 203.0.113.8' }, '10.1.2.3')).toBe('203.0.113.8');
    // A hop that is not an address (a proxy writing `unknown`) is never taken for the client.
    expect(await hitIp(s, { 'x-forwarded-for': '203.0.113.9, unknown' }, '10.1.2.3')).toBe('10.1.2.3');
    expect(await hitIp(s, { 'x-forwarded-for': 'unknown, 10.0.0.9' }, '10.1.2.3')).toBe('10.0.0.9');
  });

  it('serves the OpenAPI description without a key', async () => {
    const s = await startTestServer('sqlite');
    servers.push(s);
    const response = await s.app.inject({ method: 'GET', url: '/api/openapi.json' });
    expect(response.statusCode).toBe(200);
    const doc = JSON.parse(response.body);
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toContain('/api/messages/{id}/events');
    expect(doc.components.schemas.CreateMessage.required).toContain('executionId');
  });
});
