/**
 * IPv4/IPv6 addresses as bigints, CIDR ranges, membership and random addresses inside a range:
 * what the traffic model needs to draw client addresses from named networks.
 */
import { formatIp as formatAddress, parseCidr as parseRange, parseIp as parseAddress } from '../../src/core/nhi/ip-address.js';
import type { Rng } from './prng.js';

export type Family = 4 | 6;

export interface Cidr {
  family: Family;
  /** First address of the range. */
  first: bigint;
  bits: number;
}

const WIDTH: Record<Family, number> = { 4: 32, 6: 128 };

/**
 * The product's parser (core/nhi/ip-address.ts), with values as bigints for the traffic model's
 * arithmetic: the addresses drawn here are read back by the same code that reads them on a hit.
 */
export function parseIp(text: string): { family: Family; value: bigint } {
  const address = parseAddress(text);
  if (address === null) throw new Error(`not an IP address: ${text}`);
  return { family: address.family, value: BigInt(address.value) };
}

export function formatIp(family: Family, value: bigint): string {
  return formatAddress(family === 4 ? { family, value: Number(value) } : { family, value });
}

/** A range as the product reads it: host bits set under the prefix are refused, not masked. */
export function parseCidr(text: string): Cidr {
  const range = parseRange(text.trim());
  const first = BigInt(range.first);
  const size = BigInt(range.last) - first + 1n;
  return { family: range.family, first, bits: WIDTH[range.family] - (size.toString(2).length - 1) };
}

export function lastAddress(cidr: Cidr): bigint {
  return cidr.first + (1n << BigInt(WIDTH[cidr.family] - cidr.bits)) - 1n;
}

/** Parses a list file: one address or CIDR per line; `#` comments and blank lines ignored. */
export function parseCidrList(text: string): Cidr[] {
  return text
    .split(/\r?\n/)
    .map((line) => line.replace(/#.*/, '').trim())
    .filter((line) => line !== '')
    .map((line) => parseCidr(line.split(',')[0]!));
}

function randomBigInt(rng: Rng, bits: number): bigint {
  let value = 0n;
  for (let done = 0; done < bits; done += 32) value = (value << 32n) | BigInt(rng.uint32());
  return value & ((1n << BigInt(bits)) - 1n);
}

/** A random host address in the range (for IPv4 ranges wider than /30, not the network or broadcast address). */
export function randomAddressIn(rng: Rng, cidr: Cidr): string {
  const hostBits = WIDTH[cidr.family] - cidr.bits;
  let offset = randomBigInt(rng, hostBits);
  if (cidr.family === 4 && hostBits >= 2) {
    const size = 1n << BigInt(hostBits);
    offset = 1n + (offset % (size - 2n));
  }
  return formatIp(cidr.family, cidr.first + offset);
}

/** Membership in a set of ranges: overlapping ranges merged, then binary search. */
export class CidrSet {
  readonly #intervals: Record<Family, [bigint, bigint][]> = { 4: [], 6: [] };

  constructor(cidrs: Iterable<Cidr>) {
    const raw: Record<Family, [bigint, bigint][]> = { 4: [], 6: [] };
    for (const cidr of cidrs) raw[cidr.family].push([cidr.first, lastAddress(cidr)]);
    for (const family of [4, 6] as const) {
      raw[family].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
      const merged = this.#intervals[family];
      for (const [first, last] of raw[family]) {
        const previous = merged[merged.length - 1];
        if (previous && first <= previous[1] + 1n) previous[1] = last > previous[1] ? last : previous[1];
        else merged.push([first, last]);
      }
    }
  }

  has(ip: string): boolean {
    const { family, value } = parseIp(ip);
    const list = this.#intervals[family];
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (list[mid]![0] <= value) lo = mid + 1;
      else hi = mid;
    }
    const candidate = list[lo - 1];
    return candidate !== undefined && candidate[1] >= value;
  }
}
