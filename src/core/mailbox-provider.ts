/**
 * The mailbox provider behind a recipient address: reports break their figures down by it, since
 * each provider filters, prefetches and throttles in its own way (Gmail's image proxy, Apple Mail
 * Privacy Protection, Microsoft's and Yahoo's own spam rules). Known from the address's domain for
 * the providers' own consumer domains, and from the domain's MX hosts for the domains they host.
 */
export const MAILBOX_PROVIDERS = ['gmail', 'microsoft', 'yahoo', 'apple', 'other'] as const;
export type MailboxProvider = (typeof MAILBOX_PROVIDERS)[number];

/** Consumer domains of each provider: the ones millions of addresses are at. */
const CONSUMER_DOMAINS: Record<Exclude<MailboxProvider, 'other'>, readonly string[]> = {
  gmail: ['gmail.com', 'googlemail.com'],
  microsoft: ['outlook.com', 'hotmail.com', 'live.com', 'msn.com', 'passport.com', 'windowslive.com'],
  yahoo: ['yahoo.com', 'ymail.com', 'rocketmail.com', 'aol.com', 'aim.com', 'verizon.net', 'att.net', 'sbcglobal.net'],
  apple: ['icloud.com', 'me.com', 'mac.com'],
};

/** Country variants (hotmail.fr, yahoo.co.uk, outlook.de...): the name before the country suffix. */
const CONSUMER_NAMES: Record<string, MailboxProvider> = { hotmail: 'microsoft', outlook: 'microsoft', live: 'microsoft', yahoo: 'yahoo', ymail: 'yahoo', gmail: 'gmail' };

/** MX host suffixes of each provider's hosted mail (Google Workspace, Microsoft 365, Yahoo, iCloud custom domains). */
const MX_SUFFIXES: Record<Exclude<MailboxProvider, 'other'>, readonly string[]> = {
  gmail: ['google.com', 'googlemail.com', 'smtp.google.com'],
  microsoft: ['protection.outlook.com', 'outlook.com', 'hotmail.com'],
  yahoo: ['yahoodns.net', 'yahoo.com', 'aol.com'],
  apple: ['icloud.com', 'mail.icloud.com'],
};

const BY_DOMAIN = new Map<string, MailboxProvider>(
  Object.entries(CONSUMER_DOMAINS).flatMap(([provider, domains]) => domains.map((d) => [d, provider as MailboxProvider])),
);

/** A country suffix after the provider's name: `fr`, `co.uk`, `com.br`. */
const COUNTRY_SUFFIX = /^(?:[a-z]{2}|co\.[a-z]{2}|com\.[a-z]{2})$/;

/** The provider of an address's domain, or `other` when the domain alone does not say. */
export function providerOfDomain(domain: string): MailboxProvider {
  const d = domain.toLowerCase().replace(/\.$/, '');
  const known = BY_DOMAIN.get(d);
  if (known) return known;
  const dot = d.indexOf('.');
  if (dot > 0 && COUNTRY_SUFFIX.test(d.slice(dot + 1))) return CONSUMER_NAMES[d.slice(0, dot)] ?? 'other';
  return 'other';
}

/** The provider hosting a domain's mail, from its MX host names; `other` when none is a known provider's. */
export function providerOfMx(hosts: readonly string[]): MailboxProvider {
  for (const host of hosts) {
    const h = host.toLowerCase().replace(/\.$/, '');
    for (const [provider, suffixes] of Object.entries(MX_SUFFIXES)) {
      if (suffixes.some((s) => h === s || h.endsWith(`.${s}`))) return provider as MailboxProvider;
    }
  }
  return 'other';
}

/** The provider of an address, from its domain, else from the MX hosts known for its domain. */
export function providerOfAddress(address: string, mxHosts: readonly string[] = []): MailboxProvider {
  const at = address.lastIndexOf('@');
  const byDomain = at < 0 ? 'other' : providerOfDomain(address.slice(at + 1));
  return byDomain !== 'other' ? byDomain : providerOfMx(mxHosts);
}
