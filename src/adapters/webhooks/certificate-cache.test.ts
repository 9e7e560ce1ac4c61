import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CertificateCache } from './certificate-cache.js';
import type { HttpFetcher } from './provider.js';

const CERTIFICATE = readFileSync(resolve(process.cwd(), 'test/fixtures/webhooks/ses/test-signing-cert.pem'), 'utf8');
const URL_A = 'https://sns.us-east-1.amazonaws.com/a.pem';
const URL_B = 'https://sns.eu-west-1.amazonaws.com/b.pem';
/** Inside the test certificate's validity (2026-12-03 to 2126-11-09). */
const NOW = Date.UTC(2027, 0, 15);

function fetcher(): HttpFetcher & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    async get(url) {
      calls.push(url);
      return CERTIFICATE;
    },
  };
}

describe('CertificateCache', () => {
  it('fetches a URL once while it lives, once for concurrent requests, and again after its time to live', async () => {
    const source = fetcher();
    const cache = new CertificateCache(source, { ttlMs: 1000 });
    await Promise.all([cache.get(URL_A, NOW), cache.get(URL_A, NOW)]);
    await cache.get(URL_A, NOW + 999);
    expect(source.calls).toEqual([URL_A]);
    await cache.get(URL_A, NOW + 1000);
    expect(source.calls).toEqual([URL_A, URL_A]);
  });

  it('keeps at most its capacity', async () => {
    const source = fetcher();
    const cache = new CertificateCache(source, { capacity: 2 });
    for (let i = 0; i < 5; i++) await cache.get(`https://sns.us-east-1.amazonaws.com/${i}.pem`, NOW);
    await cache.get('https://sns.us-east-1.amazonaws.com/0.pem', NOW);
    expect(source.calls).toHaveLength(6);
  });

  it('refuses a certificate outside its validity period', async () => {
    const cache = new CertificateCache(fetcher());
    await expect(cache.get(URL_B, Date.UTC(2020, 0, 1))).rejects.toThrow(/not valid now/);
    await expect(cache.get(URL_B, Date.UTC(2127, 0, 1))).rejects.toThrow(/not valid now/);
    await expect(cache.get(URL_B, NOW)).resolves.toBeDefined();
  });

  it('refuses a time to live that is not positive', () => {
    expect(() => new CertificateCache(fetcher(), { ttlMs: 0 })).toThrow(/time to live/);
  });
});
