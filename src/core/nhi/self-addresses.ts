/**
 * The sender's own addresses (SELF_ADDRESSES): seed and test copies of a campaign sent to the team.
 * Their opens and clicks are the sender's, whatever network they come from. An entry is a whole
 * address (`qa@shop.example`) or a domain after an at sign (`@shop.example`); case does not matter.
 */

/** Whether an entry of SELF_ADDRESSES is well formed: `name@domain` or `@domain`. */
export function isSelfAddressEntry(entry: string): boolean {
  return /^[^@\s]*@[^@\s]+\.[^@\s]+$/.test(entry);
}

export function selfAddressMatcher(entries: readonly string[]): (email: string) => boolean {
  const addresses = new Set<string>();
  const domains = new Set<string>();
  for (const entry of entries) {
    if (!isSelfAddressEntry(entry)) throw new Error(`'${entry}' is neither an address nor @domain`);
    const lower = entry.toLowerCase();
    if (lower.startsWith('@')) domains.add(lower.slice(1));
    else addresses.add(lower);
  }
  return (email) => {
    const lower = email.toLowerCase();
    return addresses.has(lower) || domains.has(lower.slice(lower.lastIndexOf('@') + 1));
  };
}
