/**
 * IPv4/IPv6 addresses as bigints, CIDR ranges, membership and random addresses inside a range:
 * what the traffic model needs to draw client addresses from named networks.
 */
import { isIP } from 'node:net';
import type { Rng } from './prng.js';

export type Family = 4 | 6;

export interface Cidr {
  family: Family;
  /** First address of the range. */
  first: bigint;
  bits: number;
}

const WIDTH: Record<Family, number> = { 4: 32, 6: 128 };

function parseIpv6(text: string): bigint {
  const [head = '', tail] = text.split('::');
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = tail === undefined || tail === '' ? [] : tail.split(':');
  const missing = 8 - headGroups.length - tailGroups.length;
  const groups = tail === undefined ? headGroups : [...headGroups, ...Array<string>(missing).fill('0'), ...tailGroups];
  return groups.reduce((value, group) => (value << 16n) | BigInt(parseInt(group, 16)), 0n);
}

export function parseIp(text: string): { family: Family; value: bigint } {
  const family = isIP(text);
  if (family === 4) {
    return { family, value: text.split('.').reduce((value, octet) => (value << 8n) | BigInt(Number(octet)), 0n) };
  }
  if (family === 6 && !text.includes('.')) return { family, value: parseIpv6(text) };
  throw new Error(`not an IP address: ${text}`);
}

export function formatIp(family: Family, value: bigint): string {
  if (family === 4) return [24n, 16n, 8n, 0n].map((shift) => String((value >> shift) & 0xffn)).join('.');
  const groups = Array.from({ length: 8 }, (_, i) => Number((value >> BigInt(112 - 16 * i)) & 0xffffn));
  // RFC 5952: the longest run of two or more zero groups becomes "::".
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) [bestStart, bestLength] = [i, j - i];
    i = j === i ? i + 1 : j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}

export function parseCidr(text: string): Cidr {
  const [address = '', bitsText] = text.trim().split('/');
  const { family, value } = parseIp(address);
  const width = WIDTH[family];
  const bits = bitsText === undefined ? width : Number(bitsText);
  if (!Number.isInteger(bits) || bits < 0 || bits > width) throw new Error(`bad prefix length in ${text}`);
  const hostBits = BigInt(width - bits);
  return { family, first: (value >> hostBits) << hostBits, bits };
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
