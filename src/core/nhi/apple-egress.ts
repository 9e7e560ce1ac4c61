/**
 * Apple's iCloud Private Relay egress ranges as a network list. Mail Privacy Protection fetches
 * images through the same network, so an open from it is a prefetch: "delivered to a mailbox that
 * prefetches", not "read". Clicks are out of scope: Safari users on Private Relay are people.
 *
 * Apple publishes the ranges at https://mask-api.icloud.com/egress-ip-ranges.csv as
 * `CIDR,country,region,city` lines, one per city, so the same network recurs and adjacent blocks
 * abound; the conversion merges them exactly. A plain one-address-or-CIDR-per-line file is accepted
 * too (the first field of a line without commas is the whole line).
 */
import { parseCidr, type IpRange } from './ip-address.js';
import { formatNetworkList, NetworkListError, type NetworkListHeader } from './network-list.js';

export const APPLE_MPP_HEADER: Omit<NetworkListHeader, 'source'> = {
  name: 'apple-mpp',
  reason: 'net:apple-mpp',
  kind: 'prefetch',
  scope: 'opens',
  strength: 'certain',
};

/** A first line made of column names only, e.g. `ip_prefix,country,region,city`. */
const COLUMN_NAMES = /^[A-Za-z_ ]+$/;

/** The ranges of an egress CSV or plain list, one per entry, in file order. Throws naming the line. */
export function parseAppleEgress(csv: string, origin = 'Apple egress CSV'): IpRange[] {
  const ranges: IpRange[] = [];
  let seenContent = false;
  for (const [index, rawLine] of csv.replace(/^\uFEFF/, '').split(/\r?\n/).entries()) {
    const line = rawLine.trim();
    if (line === '' || line.startsWith('#')) continue;
    const cidr = line.split(',', 1)[0]!.trim();
    const isFirst = !seenContent;
    seenContent = true;
    try {
      ranges.push(parseCidr(cidr));
    } catch (error) {
      if (isFirst && COLUMN_NAMES.test(cidr)) continue;
      throw new NetworkListError(origin, index + 1, `invalid entry: ${(error as Error).message}`);
    }
  }
  return ranges;
}

/** The `apple-mpp` list file text for an egress CSV (or plain list); `source` goes in the header. */
export function appleEgressCsvToList(csv: string, source: string, origin = 'Apple egress CSV'): string {
  const ranges = parseAppleEgress(csv, origin);
  return formatNetworkList({ ...APPLE_MPP_HEADER, source, ranges }, [
    `${ranges.length} entries merged into the fewest CIDR blocks covering exactly the same addresses.`,
    'Regenerate with: mailsight lists import-apple <egress-ip-ranges.csv>',
  ]);
}
