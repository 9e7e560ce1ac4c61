import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';

describe('loadConfig', () => {
  it('defaults to an embedded SQLite file in ./data', () => {
    const config = loadConfig({});
    expect(config.database).toEqual({ dialect: 'sqlite', file: 'data/mailsight.sqlite', synchronous: 'FULL' });
    expect(config.publicUrl).toBe('http://localhost:8080');
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('uses PostgreSQL when DATABASE_URL is set', () => {
    expect(loadConfig({ DATABASE_URL: 'postgres://127.0.0.1/x' }).database).toEqual({ dialect: 'postgres', url: 'postgres://127.0.0.1/x' });
  });

  it('refuses to start with a message naming the bad setting', () => {
    expect(() => loadConfig({ PORT: 'eighty' })).toThrow(/PORT/);
    expect(() => loadConfig({ PUBLIC_URL: 'track.example.com' })).toThrow(/PUBLIC_URL: not a URL \(expected an http\(s\) URL/);
    expect(() => loadConfig({ TRUSTED_PROXIES: '10.0.0.1, not-an-ip' })).toThrow(/TRUSTED_PROXIES/);
    expect(() => loadConfig({ DATABASE_URL: 'mysql://x' })).toThrow(/DATABASE_URL: must be a postgres/);
    expect(() => loadConfig({ HIT_WRITER: 'worker' })).toThrow(/HIT_WRITER/);
    expect(() => loadConfig({ SELF_ADDRESSES: 'qa@shop.example, shop.example' })).toThrow(/SELF_ADDRESSES: must be a comma-separated list of addresses/);
    expect(loadConfig({ SELF_ADDRESSES: 'qa@shop.example, @team.example' }).selfAddresses).toEqual(['qa@shop.example', '@team.example']);
  });

  it('refuses a PUBLIC_URL with a query, a fragment or credentials, or not http(s), saying what it must be', () => {
    const expected = '(expected an http(s) URL with no query, fragment or credentials, e.g. https://track.example.com)';
    expect(() => loadConfig({ PUBLIC_URL: 'https://track.example.com/?src=mail' })).toThrow(`invalid configuration: PUBLIC_URL: carries a query ${expected}`);
    expect(() => loadConfig({ PUBLIC_URL: 'https://track.example.com/#x' })).toThrow(`PUBLIC_URL: carries a fragment ${expected}`);
    expect(() => loadConfig({ PUBLIC_URL: 'https://ops:secret@track.example.com' })).toThrow(`PUBLIC_URL: carries credentials ${expected}`);
    expect(() => loadConfig({ PUBLIC_URL: 'ftp://track.example.com' })).toThrow(`PUBLIC_URL: not http(s) but ftp ${expected}`);
    expect(loadConfig({ PUBLIC_URL: 'https://track.example.com/t/' }).publicUrl).toBe('https://track.example.com/t');
  });

  it('refuses a bad TRUSTED_PROXIES or SELF_NETWORKS entry, naming the setting, the entry and the reason', () => {
    // Read by the same parser as the network lists: what the config accepts is what the server can match.
    expect(() => loadConfig({ TRUSTED_PROXIES: '10.0.0.1/8' })).toThrow(/TRUSTED_PROXIES: '10\.0\.0\.1\/8' has host bits set; the \/8 network is 10\.0\.0\.0\/8/);
    expect(() => loadConfig({ SELF_NETWORKS: '192.0.2.0/24, 10.0.0.1/8' })).toThrow(/SELF_NETWORKS: '10\.0\.0\.1\/8' has host bits set; the \/8 network is 10\.0\.0\.0\/8/);
    expect(() => loadConfig({ SELF_NETWORKS: '2001:db8::1/64' })).toThrow(/SELF_NETWORKS: .*the \/64 network is 2001:db8::\/64/);
    expect(() => loadConfig({ TRUSTED_PROXIES: '10.0.0.0/33' })).toThrow(/TRUSTED_PROXIES: '10\.0\.0\.0\/33': the prefix length must be a whole number from 0 to 32/);
    expect(() => loadConfig({ TRUSTED_PROXIES: '10.0.0.0/08' })).toThrow(/TRUSTED_PROXIES: .*prefix length/);
    expect(() => loadConfig({ TRUSTED_PROXIES: 'fe80::1%eth0' })).toThrow(/TRUSTED_PROXIES: 'fe80::1%eth0' is not an IPv4 or IPv6 address/);
    expect(() => loadConfig({ TRUSTED_PROXIES: '010.0.0.1' })).toThrow(/TRUSTED_PROXIES: '010\.0\.0\.1' is not an IPv4 or IPv6 address/);
    expect(loadConfig({ TRUSTED_PROXIES: '::ffff:10.0.0.0/104, 10.0.0.0/8', SELF_NETWORKS: '2001:db8::/32' })).toMatchObject({
      trustedProxies: ['::ffff:10.0.0.0/104', '10.0.0.0/8'],
      selfNetworks: ['2001:db8::/32'],
    });
  });

  it('names the node after its host and port unless NODE_ID says otherwise', () => {
    expect(loadConfig({ PORT: '9000' }).nodeId).toBe(`${os.hostname()}:9000`);
    expect(loadConfig({ NODE_ID: ' track-2 ' }).nodeId).toBe('track-2');
  });

  it('writes hits on a thread of their own unless told to write inline', () => {
    expect(loadConfig({}).hitWriter).toBe('thread');
    expect(loadConfig({ HIT_WRITER: 'inline' }).hitWriter).toBe('inline');
  });

  it('parses lists and lets overrides win', () => {
    const config = loadConfig({ TRUSTED_PROXIES: '127.0.0.1, 10.0.0.0/8,::1', PORT: '80' }, { PORT: '9000' });
    expect(config.trustedProxies).toEqual(['127.0.0.1', '10.0.0.0/8', '::1']);
    expect(config.port).toBe(9000);
  });

  it('reads the suppression rules, 90 days, 3 of 5 soft bounces and 7 days by default, and names a bad one', () => {
    const DAY = 86_400_000;
    expect(loadConfig({}).suppression).toEqual({ hardBounceMs: 90 * DAY, softBounceLimit: 3, softBounceWindow: 5, softBounceMs: 7 * DAY });
    expect(loadConfig({ SUPPRESS_HARD_BOUNCE_DAYS: '30', SUPPRESS_SOFT_BOUNCES: ' 2 / 10 ', SUPPRESS_SOFT_BOUNCE_DAYS: '14' }).suppression).toEqual({
      hardBounceMs: 30 * DAY,
      softBounceLimit: 2,
      softBounceWindow: 10,
      softBounceMs: 14 * DAY,
    });
    expect(() => loadConfig({ SUPPRESS_SOFT_BOUNCES: '6/5' })).toThrow(/^invalid configuration: SUPPRESS_SOFT_BOUNCES: must be N\/M: N soft bounces among the last M sends/);
    expect(() => loadConfig({ SUPPRESS_SOFT_BOUNCES: 'three' })).toThrow(/SUPPRESS_SOFT_BOUNCES/);
    expect(() => loadConfig({ SUPPRESS_HARD_BOUNCE_DAYS: '0' })).toThrow(/^invalid configuration: SUPPRESS_HARD_BOUNCE_DAYS/);
    expect(() => loadConfig({ SUPPRESS_SOFT_BOUNCE_DAYS: '1.5' })).toThrow(/SUPPRESS_SOFT_BOUNCE_DAYS/);
  });

  it('reads the sending settings with their defaults, and refuses bad ones by name', () => {
    const defaults = loadConfig({});
    expect(defaults.sending).toEqual({
      concurrency: 4,
      ratePerMinute: 600,
      backoffMs: [5 * 60_000, 15 * 60_000, 3_600_000, 4 * 3_600_000, 8 * 3_600_000],
      maxAttempts: 15,
      giveUpAfterMs: 3 * 86_400_000,
      leaseMs: 10 * 60_000,
      pollMs: 5_000,
    });
    expect([defaults.bounceDomain, defaults.smtpRequireTls, defaults.smtpTimeoutMs]).toEqual([null, false, 60_000]);
    const set = loadConfig({ BOUNCE_DOMAIN: 'Bounces.Shop.Example', SEND_RETRY_BACKOFF: '30s, 2m,1h', SEND_GIVE_UP_AFTER: '2d', SEND_POLL: '0', SMTP_URL: 'smtps://u:p%40ss@relay.example' });
    expect([set.bounceDomain, set.sending.backoffMs, set.sending.giveUpAfterMs, set.sending.pollMs]).toEqual(['bounces.shop.example', [30_000, 120_000, 3_600_000], 2 * 86_400_000, 0]);
    expect(() => loadConfig({ BOUNCE_DOMAIN: 'localhost' })).toThrow(/BOUNCE_DOMAIN: must be a domain name/);
    expect(() => loadConfig({ SEND_RETRY_BACKOFF: '5m,0' })).toThrow(/SEND_RETRY_BACKOFF: must be a comma-separated list of durations over 0/);
    expect(() => loadConfig({ SEND_GIVE_UP_AFTER: 'three days' })).toThrow(/SEND_GIVE_UP_AFTER: must be a duration/);
    expect(() => loadConfig({ SEND_CONCURRENCY: '0' })).toThrow(/SEND_CONCURRENCY/);
    expect(() => loadConfig({ SMTP_URL: 'http://relay.example' })).toThrow(/SMTP_URL: must be an smtp:\/\/ or smtps:\/\/ URL/);
    expect(() => loadConfig({ SEND_LEASE: '2m', SMTP_TIMEOUT: '1m' })).toThrow(/SEND_LEASE \(120000 ms\) must be at least 3 times SMTP_TIMEOUT/);
  });
});
