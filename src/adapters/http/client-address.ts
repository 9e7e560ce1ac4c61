/**
 * The client address of a tracking hit: the socket's, or, when the socket is a trusted proxy, the
 * nearest X-Forwarded-For entry that is not a trusted proxy itself. The walk goes from the right:
 * each proxy appends the address it saw, so what lies left of the first untrusted entry may be forged.
 * An entry that is not an address ends the walk at the last hop that was one.
 *
 * Written for the tracking hot path: the proxy's own address repeats on every request, and a client's
 * while it reads (the pixel, then a click), so what each text is (a trusted proxy, another address, or
 * no address at all) is judged once and remembered, in a bounded cache (the entries come from
 * clients): a remembered hop costs one map read, not a parse. Measured against Fastify's trustProxy
 * (bench/client-address.ts, docs/benchmarks.md), which parses every hop of every read again and
 * takes a hop that is not an address (`unknown`) for the client.
 */
import { BoundedCache } from '../../app/bounded-cache.js';
import { parseCidr, parseIp, rangeContains, type IpRange } from '../../core/nhi/ip-address.js';

/** Hop texts remembered: ~100 bytes each. Enough for the proxies and the clients of the last moments. */
const HOP_CACHE_SIZE = 4_096;

/** What an X-Forwarded-For entry (or the socket address) is. */
type Hop = 'proxy' | 'client' | 'not-an-address';

export class ClientAddress {
  readonly #proxies: readonly IpRange[];
  readonly #hops = new BoundedCache<string, Hop>(HOP_CACHE_SIZE);

  /** `trustedProxies`: addresses and CIDR ranges (TRUSTED_PROXIES), already validated by the config. */
  constructor(trustedProxies: readonly string[]) {
    this.#proxies = trustedProxies.map((entry) => parseCidr(entry));
  }

  of(socketAddress: string | undefined, forwardedFor: string | string[] | undefined): string | null {
    if (socketAddress === undefined) return null;
    if (forwardedFor === undefined || this.#proxies.length === 0 || this.#hop(socketAddress) !== 'proxy') return socketAddress;
    const chain = Array.isArray(forwardedFor) ? forwardedFor.join(',') : forwardedFor;
    let client = socketAddress;
    for (let end = chain.length; end > 0; ) {
      const comma = chain.lastIndexOf(',', end - 1);
      const entry = chain.slice(comma + 1, end).trim();
      end = comma;
      if (entry === '') continue;
      const hop = this.#hop(entry);
      if (hop === 'not-an-address') return client;
      client = entry;
      if (hop === 'client') return entry;
    }
    return client;
  }

  #hop(text: string): Hop {
    let hop = this.#hops.get(text);
    if (hop === undefined) {
      const address = parseIp(text);
      hop = address === null ? 'not-an-address' : this.#proxies.some((range) => rangeContains(range, address)) ? 'proxy' : 'client';
      this.#hops.set(text, hop);
    }
    return hop;
  }
}
