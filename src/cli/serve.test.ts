import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config.js';
import { publicUrlWarning, sendingSummary } from './serve.js';

describe('publicUrlWarning', () => {
  it('warns when serving on every interface with the default PUBLIC_URL, which points at localhost', () => {
    const config = loadConfig({});
    expect(config.host).toBe('0.0.0.0');
    expect(publicUrlWarning(config)).toBe(
      'PUBLIC_URL is http://localhost:8080 while the server listens on 0.0.0.0: the tracking links in messages will point at localhost, ' +
        'which recipients cannot reach; set PUBLIC_URL to the address they reach, e.g. https://track.example.com',
    );
    expect(publicUrlWarning(loadConfig({ HOST: '::', PUBLIC_URL: 'http://127.0.0.1:8080' }))).toMatch(/^PUBLIC_URL is http:\/\/127.0.0.1:8080 while the server listens on ::/);
    expect(publicUrlWarning(loadConfig({ HOST: '203.0.113.5', PUBLIC_URL: 'http://[::1]:8080' }))).not.toBeNull();
  });

  it('is quiet when links point elsewhere, or when only this machine is served', () => {
    expect(publicUrlWarning(loadConfig({ PUBLIC_URL: 'https://track.example.com' }))).toBeNull();
    expect(publicUrlWarning(loadConfig({ HOST: '127.0.0.1' }))).toBeNull();
    expect(publicUrlWarning(loadConfig({ HOST: 'localhost' }))).toBeNull();
    expect(publicUrlWarning(loadConfig({ HOST: '::1' }))).toBeNull();
    // Read by the IP parser: an IPv4-mapped loopback is this machine; 127.999.0.1 is no address at all.
    expect(publicUrlWarning(loadConfig({ HOST: '::ffff:127.0.0.1' }))).toBeNull();
    expect(publicUrlWarning(loadConfig({ HOST: '127.999.0.1' }))).not.toBeNull();
  });
});

describe('sendingSummary', () => {
  it('names the relay without its credentials, VERP and the limits', () => {
    expect(sendingSummary(loadConfig({}))).toMatch(/^sending: no relay \(SMTP_URL unset\)/);
    const summary = sendingSummary(loadConfig({ SMTP_URL: 'smtp://ops:secret@relay.example:587', BOUNCE_DOMAIN: 'bounces.shop.example' }));
    expect(summary).toBe('sending through smtp://relay.example:587, VERP return paths at bounces.shop.example, 4 at once, 600 a minute, worker every 5000 ms');
    expect(summary).not.toContain('secret');
  });
});
