/**
 * IP addresses and CIDR ranges as comparable values: IPv4 as a number (0..2^32-1), IPv6 as a bigint
 * (0..2^128-1). An IPv4-mapped IPv6 address (`::ffff:1.2.3.4`, what Node reports for IPv4 clients on a
 * dual-stack socket) is the IPv4 address, so one IPv4 list entry covers both spellings.
 *
 * Only the mapped block ::ffff:0:0/96 is folded into IPv4; NAT64 (64:ff9b::/96) and the deprecated
 * IPv4-compatible block (::/96) stay IPv6, because their owner is not the IPv4 address's owner.
 * Zone indexes (`fe80::1%eth0`) are refused: a link-local peer is never on a published list.
 */

export type IpAddress = { readonly family: 4; readonly value: number } | { readonly family: 6; readonly value: bigint };

/** An inclusive range of addresses of one family. */
export type IpRange =
  | { readonly family: 4; readonly first: number; readonly last: number }
  | { readonly family: 6; readonly first: bigint; readonly last: bigint };

export class IpParseError extends Error {
  override readonly name = 'IpParseError';

  constructor(
    /** The text that was refused, as given. */
    readonly input: string,
    message: string,
  ) {
    super(message);
  }
}

const V4_BITS = 32;
const V6_BITS = 128;
const V6_GROUPS = 8;
/** The IPv4-mapped block ::ffff:0:0/96: groups 0-4 zero, group 5 0xffff, the IPv4 address in groups 6-7. */
const MAPPED_MARKER = 0xffff;
const MAPPED_PREFIX = 96;

/** Parses an address (no prefix). Returns null for anything that is not exactly one address. */
export function parseIp(text: string): IpAddress | null {
  const v4 = parseIpv4(text, 0, text.length);
  if (v4 >= 0) return { family: 4, value: v4 };
  const groups = parseIpv6Groups(text);
  if (groups === null) return null;
  return isMapped(groups) ? { family: 4, value: groups[6]! * 0x10000 + groups[7]! } : { family: 6, value: groupsToBigint(groups) };
}

/**
 * Parses `address/prefix` or a bare address (a /32 or /128) into its inclusive range.
 * Refuses host bits set under the prefix (`10.0.0.1/8`): in a hand-edited list that is more often a
 * typo than an intent, and the message names the network address the author probably meant.
 */
export function parseCidr(text: string): IpRange {
  const slash = text.indexOf('/');
  const addressText = slash === -1 ? text : text.slice(0, slash);
  const raw = parseRawAddress(addressText);
  if (raw === null) {
    const what = slash === -1 ? `'${text}'` : `'${text}': '${addressText}'`;
    throw new IpParseError(text, `${what} is not an IPv4 or IPv6 address`);
  }
  const width = raw.family === 4 ? V4_BITS : V6_BITS;
  const prefix = slash === -1 ? width : parsePrefix(text.slice(slash + 1), width);
  if (prefix === null) throw new IpParseError(text, `'${text}': the prefix length must be a whole number from 0 to ${width}`);

  const value = raw.family === 4 ? BigInt(raw.value) : raw.value;
  const hostMask = (1n << BigInt(width - prefix)) - 1n;
  if ((value & hostMask) !== 0n) {
    const network = formatIp(toAddress(raw.family, value & ~hostMask));
    throw new IpParseError(text, `'${text}' has host bits set; the /${prefix} network is ${network}/${prefix}`);
  }
  const last = value | hostMask;
  if (raw.family === 6 && prefix >= MAPPED_PREFIX && value >> 32n === BigInt(MAPPED_MARKER)) {
    return { family: 4, first: Number(value & 0xffffffffn), last: Number(last & 0xffffffffn) };
  }
  return raw.family === 4 ? { family: 4, first: raw.value, last: Number(last) } : { family: 6, first: value, last };
}

/** The canonical text of an address: dotted quad, or RFC 5952 IPv6 (lower case, longest zero run as `::`). */
export function formatIp(address: IpAddress): string {
  if (address.family === 4) return formatIpv4(address.value);
  const groups: number[] = [];
  for (let shift = 112n; shift >= 0n; shift -= 16n) groups.push(Number((address.value >> shift) & 0xffffn));
  if (isMapped(groups)) return `::ffff:${formatIpv4(groups[6]! * 0x10000 + groups[7]!)}`;

  let bestStart = -1;
  let bestLength = 1; // RFC 5952 4.2.2: a single zero group is not compressed
  for (let i = 0; i < V6_GROUPS; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < V6_GROUPS && groups[j] === 0) j++;
    if (j - i > bestLength) [bestStart, bestLength] = [i, j - i];
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart === -1) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}

/**
 * The network address of `ip` under the given prefix lengths, as text (`203.0.113.0`, `2001:db8:1::`).
 * Used to keep a coarse location without keeping the person's address. /24 and /48 are the usual
 * assignment sizes to one site, so they say "which network", not "which household".
 */
export function truncateIp(ip: string, v4Bits = 24, v6Bits = 48): string {
  const address = parseIp(ip);
  if (address === null) throw new IpParseError(ip, `'${ip}' is not an IPv4 or IPv6 address`);
  const bits = address.family === 4 ? v4Bits : v6Bits;
  const width = address.family === 4 ? V4_BITS : V6_BITS;
  if (!Number.isInteger(bits) || bits < 0 || bits > width) throw new RangeError(`IPv${address.family} truncation must keep 0 to ${width} bits, not ${bits}`);
  const value = address.family === 4 ? BigInt(address.value) : address.value;
  const hostMask = (1n << BigInt(width - bits)) - 1n;
  return formatIp(toAddress(address.family, value & ~hostMask));
}

/** Sorts and merges overlapping or adjacent ranges: IPv4 first, then IPv6, each ascending and disjoint. */
export function mergeRanges(ranges: readonly IpRange[]): IpRange[] {
  const merged: IpRange[] = [];
  for (const family of [4, 6] as const) {
    const sorted = ranges
      .filter((r) => r.family === family)
      .map((r) => [BigInt(r.first), BigInt(r.last)] as const)
      .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    let current: [bigint, bigint] | null = null;
    for (const [first, last] of sorted) {
      if (current !== null && first <= current[1] + 1n) {
        if (last > current[1]) current[1] = last;
        continue;
      }
      if (current !== null) merged.push(toRange(family, current[0], current[1]));
      current = [first, last];
    }
    if (current !== null) merged.push(toRange(family, current[0], current[1]));
  }
  return merged;
}

/** The fewest CIDR blocks that cover exactly the range, in ascending order. */
export function rangeToCidrs(range: IpRange): string[] {
  const width = range.family === 4 ? V4_BITS : V6_BITS;
  let first = BigInt(range.first);
  const last = BigInt(range.last);
  const cidrs: string[] = [];
  while (first <= last) {
    let hostBits = trailingZeroBits(first, width);
    while (first + (1n << BigInt(hostBits)) - 1n > last) hostBits--;
    cidrs.push(`${formatIp(toAddress(range.family, first))}/${width - hostBits}`);
    first += 1n << BigInt(hostBits);
  }
  return cidrs;
}

/** Whether `address` lies in `range` (same family, inclusive bounds). */
export function rangeContains(range: IpRange, address: IpAddress): boolean {
  return range.family === address.family && range.first <= address.value && address.value <= range.last;
}

function toAddress(family: 4 | 6, value: bigint): IpAddress {
  return family === 4 ? { family: 4, value: Number(value) } : { family: 6, value };
}

function toRange(family: 4 | 6, first: bigint, last: bigint): IpRange {
  return family === 4 ? { family: 4, first: Number(first), last: Number(last) } : { family: 6, first, last };
}

function trailingZeroBits(value: bigint, width: number): number {
  if (value === 0n) return width;
  let bits = 0;
  while ((value & (1n << BigInt(bits))) === 0n) bits++;
  return bits;
}

/** An address without folding mapped IPv6 into IPv4 (a CIDR needs its written prefix length first). */
function parseRawAddress(text: string): IpAddress | null {
  const v4 = parseIpv4(text, 0, text.length);
  if (v4 >= 0) return { family: 4, value: v4 };
  const groups = parseIpv6Groups(text);
  return groups === null ? null : { family: 6, value: groupsToBigint(groups) };
}

function parsePrefix(text: string, width: number): number | null {
  if (!/^(0|[1-9][0-9]{0,2})$/.test(text)) return null;
  const prefix = Number(text);
  return prefix <= width ? prefix : null;
}

/**
 * Strict dotted quad: four decimal octets 0-255, no leading zeros (`010` is octal to some parsers and
 * decimal to others, so it is refused, as node:net's isIP does). Returns -1 when invalid; written as a
 * character loop because it runs on every tracking hit.
 */
function parseIpv4(text: string, start: number, end: number): number {
  let value = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c === 46 /* . */) {
      if (digits === 0 || dots === 3) return -1;
      value = value * 256 + octet;
      dots++;
      octet = 0;
      digits = 0;
    } else if (c >= 48 /* 0 */ && c <= 57 /* 9 */) {
      if (digits > 0 && octet === 0) return -1;
      octet = octet * 10 + (c - 48);
      digits++;
      if (octet > 255) return -1;
    } else {
      return -1;
    }
  }
  if (dots !== 3 || digits === 0) return -1;
  return value * 256 + octet;
}

/**
 * RFC 4291 text form into eight 16-bit groups: 1-4 hex digits per group, at most one `::` standing for
 * one or more zero groups, an optional dotted quad as the last 32 bits. Same acceptance as node:net's
 * isIP except zone indexes. A character loop, like parseIpv4, because it runs on every tracking hit.
 */
function parseIpv6Groups(text: string): number[] | null {
  const n = text.length;
  const groups: number[] = [];
  /** Where in `groups` the `::` stands, or -1. */
  let gap = -1;
  let i = 0;
  if (text.charCodeAt(0) === COLON) {
    if (text.charCodeAt(1) !== COLON) return null;
    gap = 0;
    i = 2;
  }
  while (i < n) {
    const start = i;
    let value = 0;
    for (let digit = hexDigit(text.charCodeAt(i)); digit >= 0; digit = hexDigit(text.charCodeAt(i))) {
      value = value * 16 + digit;
      i++;
    }
    if (text.charCodeAt(i) === DOT) {
      const v4 = parseIpv4(text, start, n);
      if (v4 < 0) return null;
      groups.push(Math.floor(v4 / 0x10000), v4 % 0x10000);
      break;
    }
    if (i === start || i - start > 4) return null;
    groups.push(value);
    if (i === n) break;
    if (text.charCodeAt(i) !== COLON || i + 1 === n) return null;
    i++;
    if (text.charCodeAt(i) === COLON) {
      if (gap !== -1) return null;
      gap = groups.length;
      i++;
    }
  }
  if (gap === -1) return groups.length === V6_GROUPS ? groups : null;
  if (groups.length >= V6_GROUPS) return null;
  const zeros = V6_GROUPS - groups.length;
  const full = new Array<number>(V6_GROUPS);
  for (let g = 0; g < V6_GROUPS; g++) full[g] = g < gap ? groups[g]! : g < gap + zeros ? 0 : groups[g - zeros]!;
  return full;
}

const COLON = 58;
const DOT = 46;

/** The value of a hex digit's character code, or -1 (also for NaN, past the end of the string). */
function hexDigit(code: number): number {
  if (code >= 48 && code <= 57) return code - 48;
  if (code >= 97 && code <= 102) return code - 87;
  if (code >= 65 && code <= 70) return code - 55;
  return -1;
}

function isMapped(groups: readonly number[]): boolean {
  return groups[0] === 0 && groups[1] === 0 && groups[2] === 0 && groups[3] === 0 && groups[4] === 0 && groups[5] === MAPPED_MARKER;
}

function groupsToBigint(groups: readonly number[]): bigint {
  // Four 32-bit words as numbers first: one BigInt conversion per word instead of per group.
  let value = 0n;
  for (let i = 0; i < V6_GROUPS; i += 2) value = (value << 32n) | BigInt(groups[i]! * 0x10000 + groups[i + 1]!);
  return value;
}

function formatIpv4(value: number): string {
  return `${Math.floor(value / 0x1000000)}.${Math.floor(value / 0x10000) % 256}.${Math.floor(value / 0x100) % 256}.${value % 256}`;
}
