import { describe, expect, it } from 'vitest';
import { poolOptions } from './smtp-mailer.js';

describe('the relay connection', () => {
  it('reads host, port, TLS and percent-encoded credentials from SMTP_URL, with the limits and timeouts', () => {
    expect(poolOptions({ url: 'smtps://ops%40shop.example:p%3Ass@relay.example', requireTls: false, timeoutMs: 30_000, maxConnections: 3 })).toEqual({
      pool: true,
      host: 'relay.example',
      port: 465,
      secure: true,
      requireTLS: false,
      auth: { user: 'ops@shop.example', pass: 'p:ss' },
      maxConnections: 3,
      connectionTimeout: 30_000,
      greetingTimeout: 30_000,
      socketTimeout: 30_000,
    });
    expect(poolOptions({ url: 'smtp://[::1]:2525', requireTls: true, timeoutMs: 1_000, maxConnections: 1 })).toMatchObject({ host: '::1', port: 2525, secure: false, requireTLS: true });
    expect(poolOptions({ url: 'smtp://relay.example', requireTls: true, timeoutMs: 1_000, maxConnections: 1 })).not.toHaveProperty('auth');
    expect(poolOptions({ url: 'smtp://relay.example', requireTls: true, timeoutMs: 1_000, maxConnections: 1 }).port).toBe(587);
  });
});
