import { describe, expect, it } from 'vitest';
import { ClientAddress } from './client-address.js';

describe('ClientAddress', () => {
  const behindProxies = new ClientAddress(['10.0.0.0/8', '2001:db8:ffff::/48', '192.0.2.1']);

  it('is the socket address when no proxy is trusted, whatever X-Forwarded-For says', () => {
    const none = new ClientAddress([]);
    expect(none.of('10.1.2.3', '203.0.113.7')).toBe('10.1.2.3');
    expect(none.of(undefined, '203.0.113.7')).toBeNull();
  });

  it('believes X-Forwarded-For only from a trusted proxy', () => {
    expect(behindProxies.of('10.1.2.3', '203.0.113.7')).toBe('203.0.113.7');
    expect(behindProxies.of('198.51.100.1', '203.0.113.7')).toBe('198.51.100.1');
    expect(behindProxies.of('10.1.2.3', undefined)).toBe('10.1.2.3');
    // Node's spelling of an IPv4 client on a dual-stack socket is the same address.
    expect(behindProxies.of('::ffff:10.1.2.3', '203.0.113.7')).toBe('203.0.113.7');
    expect(behindProxies.of('2001:db8:ffff::5', '2001:db8:1::9')).toBe('2001:db8:1::9');
  });

  it('walks from the right past trusted proxies, and never believes what a client put in front', () => {
    expect(behindProxies.of('10.1.2.3', '1.1.1.1, 203.0.113.8')).toBe('203.0.113.8');
    expect(behindProxies.of('10.1.2.3', '203.0.113.8, 192.0.2.1, 10.9.9.9')).toBe('203.0.113.8');
    expect(behindProxies.of('10.1.2.3', ['1.1.1.1', '203.0.113.9 , 10.0.0.2'])).toBe('203.0.113.9');
    // Every hop a trusted proxy: the farthest one is the best known.
    expect(behindProxies.of('10.1.2.3', '10.0.0.7,10.0.0.8')).toBe('10.0.0.7');
  });

  it('stops at an entry that is not an address, keeping the last hop that was', () => {
    expect(behindProxies.of('10.1.2.3', 'unknown')).toBe('10.1.2.3');
    expect(behindProxies.of('10.1.2.3', '203.0.113.8, <script>, 10.0.0.2')).toBe('10.0.0.2');
    expect(behindProxies.of('10.1.2.3', ' , ,203.0.113.10')).toBe('203.0.113.10');
  });

  it('answers the same whether a hop is remembered, new, or forgotten again (more hops than the cache holds)', () => {
    const clients = Array.from({ length: 10_000 }, (_, i) => `198.51.${i >> 8}.${i & 255}`);
    for (let pass = 0; pass < 2; pass++) {
      for (const client of clients) {
        expect(behindProxies.of('10.1.2.3', `${client}, unknown, 10.0.0.2`)).toBe('10.0.0.2');
        expect(behindProxies.of('10.1.2.3', `unknown, ${client}, 10.0.0.2`)).toBe(client);
        expect(behindProxies.of(client, '203.0.113.7')).toBe(client);
      }
    }
  });
});
