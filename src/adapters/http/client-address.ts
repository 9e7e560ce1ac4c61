/**
 * The client address of a tracking hit: the socket's, or, when the socket is a trusted proxy, the
 * nearest X-Forwarded-For entry that is not a trusted proxy itself. The walk goes from the right:
 * each proxy appends the address it saw, so what lies left of the first untrusted entry may be forged.
 * An entry that is not an address ends the walk at the last hop that was one.
 *
 * Written for the tracking hot path: the proxy's own address repeats on every request, so each
 * address is judged once and remembered (in a bounded cache: the entries come from clients).
 */
import { BoundedCache } from '../../app/bounded-cache.js';
import { parseCidr, parseIp, rangeContains, type IpRange } from '../../core/nhi/ip-address.js';

const TRUST_CACHE_SIZE = 4_096;

export class ClientAddress {
  readonly #proxies: readonly IpRange[];
  readonly #trusted = new BoundedCache<string, boolean>(TRUST_CACHE_SIZE);

  /** `trustedProxies`: addresses and CIDR ranges (TRUSTED_PROXIES), already validated by the config. */
  constructor(trustedProxies: readonly string[]) {
    this.#proxies = trustedProxies.map((entry) => parseCidr(entry));
  }

  of(socketAddress: string | undefined, forwardedFor: string | string[] | undefined): string | null {
    if (socketAddress === undefined) return null;
    if (forwardedFor === undefined || this.#proxies.length === 0 || !this.#isTrusted(socketAddress)) return socketAddress;
    const chain = Array.isArray(forwardedFor) ? forwardedFor.join(',') : forwardedFor;
    let client = socketAddress;
    for (let end = chain.length; end > 0; ) {
      const comma = chain.lastIndexOf(',', end - 1);
      const entry = chain.slice(comma + 1, end).trim();
      end = comma;
      if (entry === '') continue;
      if (parseIp(entry) === null) return client;
      client = entry;
      if (!this.#isTrusted(entry)) return entry;
    }
    return client;
  }

  #isTrusted(address: string): boolean {
    let trusted = this.#trusted.get(address);
    if (trusted === undefined) {
      const parsed = parseIp(address);
      trusted = parsed !== null && this.#proxies.some((range) => rangeContains(range, parsed));
      this.#trusted.set(address, trusted);
    }
    return trusted;
  }
}
