/** MX lookups through the system's DNS resolver, bounded in time. */
import { Resolver } from 'node:dns/promises';
import type { MxResolver } from '../../app/mail-domains.js';

/** How long one lookup may take, in ms, and how many times it is sent: a domain not answered is left for later. */
const MX_TIMEOUT_MS = 2_000;
const MX_TRIES = 1;

export function systemMxResolver(): MxResolver & { close(): void } {
  const resolver = new Resolver({ timeout: MX_TIMEOUT_MS, tries: MX_TRIES });
  return {
    async mxHosts(domain: string): Promise<string[]> {
      const records = await resolver.resolveMx(domain);
      return records.sort((a, b) => a.priority - b.priority).map((r) => r.exchange);
    },
    close: () => resolver.cancel(),
  };
}
