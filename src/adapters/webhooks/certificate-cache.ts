/**
 * Signing certificates fetched by URL (Amazon SNS's SigningCertURL) through the HttpFetcher port,
 * kept for a while so that a burst of notifications costs one fetch. SNS names each certificate by a
 * URL of its own (a new key gets a new URL), so a URL's certificate does not change under us; the
 * time to live only bounds how long a revoked or replaced one could still be used.
 *
 * The caller must have checked the URL (https, the provider's host): this cache fetches what it is given.
 */
import { X509Certificate } from 'node:crypto';
import { BoundedCache } from '../../app/bounded-cache.js';
import type { HttpFetcher } from './provider.js';

/** How long a fetched certificate is trusted before it is fetched again (ms): a day, a fetch per region per day. */
export const CERTIFICATE_TTL_MS = 24 * 60 * 60 * 1000;
/** How many certificate URLs are kept: SNS uses one per region at a time, and rotates rarely. */
export const CERTIFICATE_CACHE_CAPACITY = 32;

export interface CertificateCacheOptions {
  ttlMs?: number;
  capacity?: number;
}

interface Entry {
  /** The fetch, shared by the requests that arrive while it runs. */
  certificate: Promise<X509Certificate>;
  /** Epoch ms after which the entry is fetched again; set to 0 when the fetch failed, so the next request retries. */
  expiresAt: number;
}

/** The certificate could not be fetched (network, the host's 5xx): not the request's fault, so retried. */
export class CertificateFetchError extends Error {
  override readonly name = 'CertificateFetchError';
}

export class CertificateCache {
  readonly #fetcher: HttpFetcher;
  readonly #ttlMs: number;
  readonly #entries: BoundedCache<string, Entry>;

  constructor(fetcher: HttpFetcher, options: CertificateCacheOptions = {}) {
    this.#fetcher = fetcher;
    this.#ttlMs = options.ttlMs ?? CERTIFICATE_TTL_MS;
    if (!(this.#ttlMs > 0)) throw new Error(`a certificate time to live is positive, got ${this.#ttlMs} ms`);
    this.#entries = new BoundedCache(options.capacity ?? CERTIFICATE_CACHE_CAPACITY);
  }

  /**
   * The certificate at `url`, from the cache or fetched. Rejects when it cannot be fetched, is not a
   * PEM certificate, or is outside its validity period at `now` (epoch ms).
   */
  async get(url: string, now: number): Promise<X509Certificate> {
    let entry = this.#entries.get(url);
    if (entry === undefined || entry.expiresAt <= now) {
      const fresh: Entry = { certificate: this.#load(url), expiresAt: now + this.#ttlMs };
      fresh.certificate.catch(() => {
        fresh.expiresAt = 0;
      });
      this.#entries.set(url, fresh);
      entry = fresh;
    }
    const certificate = await entry.certificate;
    const validFrom = Date.parse(certificate.validFrom);
    const validTo = Date.parse(certificate.validTo);
    if (!(now >= validFrom && now <= validTo)) {
      throw new Error(`the certificate at ${url} is not valid now (valid from ${certificate.validFrom} to ${certificate.validTo})`);
    }
    return certificate;
  }

  async #load(url: string): Promise<X509Certificate> {
    let pem: string;
    try {
      pem = await this.#fetcher.get(url);
    } catch (error) {
      throw new CertificateFetchError(`the certificate at ${url} could not be fetched: ${(error as Error).message}`);
    }
    try {
      return new X509Certificate(pem);
    } catch {
      throw new Error(`the body at ${url} is not a PEM certificate`);
    }
  }
}
