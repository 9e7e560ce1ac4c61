import { isIP } from 'node:net';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { formatIp, IpParseError, mergeRanges, parseCidr, parseIp, rangeContains, rangeToCidrs, truncateIp, type IpRange } from './ip-address.js';

const v4 = (first: number, last: number): IpRange => ({ family: 4, first, last });
const v6 = (first: bigint, last: bigint): IpRange => ({ family: 6, first, last });

describe('parseIp', () => {
  test('IPv4 to a number', () => {
    expect(parseIp('0.0.0.0')).toEqual({ family: 4, value: 0 });
    expect(parseIp('1.2.3.4')).toEqual({ family: 4, value: 0x01020304 });
    expect(parseIp('255.255.255.255')).toEqual({ family: 4, value: 0xffffffff });
  });

  test('IPv6 to a bigint, in any spelling', () => {
    expect(parseIp('::')).toEqual({ family: 6, value: 0n });
    expect(parseIp('::1')).toEqual({ family: 6, value: 1n });
    expect(parseIp('2001:db8::1')).toEqual({ family: 6, value: 0x20010db8000000000000000000000001n });
    expect(parseIp('2001:DB8:0:0:0:0:0:1')).toEqual(parseIp('2001:db8::1'));
    expect(parseIp('ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff')).toEqual({ family: 6, value: (1n << 128n) - 1n });
    expect(parseIp('1:2:3:4:5:6:7::')).toEqual({ family: 6, value: 0x00010002000300040005000600070000n });
    expect(parseIp('64:ff9b::1.2.3.4')).toEqual({ family: 6, value: 0x0064ff9b000000000000000001020304n });
  });

  test('IPv4-mapped IPv6 is the IPv4 address, in dotted or hex form', () => {
    expect(parseIp('::ffff:1.2.3.4')).toEqual({ family: 4, value: 0x01020304 });
    expect(parseIp('::FFFF:1.2.3.4')).toEqual({ family: 4, value: 0x01020304 });
    expect(parseIp('::ffff:102:304')).toEqual({ family: 4, value: 0x01020304 });
    expect(parseIp('0:0:0:0:0:ffff:1.2.3.4')).toEqual({ family: 4, value: 0x01020304 });
    // NAT64 and IPv4-compatible addresses belong to someone else: they stay IPv6.
    expect(parseIp('::1.2.3.4')?.family).toBe(6);
    expect(parseIp('64:ff9b::1.2.3.4')?.family).toBe(6);
  });

  test('refuses anything that is not exactly one address', () => {
    for (const text of ['', ' 1.2.3.4', '1.2.3.4 ', '1.2.3', '1.2.3.4.5', '256.0.0.1', '01.2.3.4', '1.2.3.04', '1..2.3', '1.2.3.4/32', 'a.b.c.d',
      ':', ':::', '1::2::3', '1:2:3:4:5:6:7:8:9', '1::2:3:4:5:6:7:8', '00000::1', 'g::1', ':1::', '1.2.3.4::', 'fe80::1%eth0', '::ffff:01.2.3.4', '1:2:3:4:5:6:7:1.2.3.4']) {
      expect(parseIp(text), text).toBeNull();
    }
  });

  const hexGroup = fc.integer({ min: 0, max: 0xffff }).map((n) => n.toString(16));
  const v4Text = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((o) => o.join('.'));
  /** Valid and nearly valid spellings: groups, `::`, dotted quads, stray characters. */
  const addressLike = fc
    .array(fc.oneof(hexGroup, v4Text, fc.constantFrom('', ':', '::', '.', '0', '00000', 'ffff', 'x', '%1', '1.2.3')), { maxLength: 10 })
    .map((pieces) => pieces.join(':'));

  test('accepts exactly what node:net accepts, zone indexes aside', () => {
    fc.assert(
      fc.property(fc.oneof(addressLike, v4Text), (text) => {
        expect(parseIp(text) !== null, text).toBe(isIP(text) !== 0 && !text.includes('%'));
      }),
      { numRuns: 3000 },
    );
  });

  test('formatIp and parseIp round-trip', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: (1n << 128n) - 1n }), (value) => {
        const parsed = parseIp(formatIp({ family: 6, value }));
        if (value >> 32n === 0xffffn) expect(parsed).toEqual({ family: 4, value: Number(value & 0xffffffffn) });
        else expect(parsed).toEqual({ family: 6, value });
      }),
    );
    fc.assert(
      fc.property(fc.nat({ max: 0xffffffff }), (value) => {
        expect(parseIp(formatIp({ family: 4, value }))).toEqual({ family: 4, value });
      }),
    );
  });
});

describe('formatIp', () => {
  test('RFC 5952: lower case, the longest (then first) zero run compressed, a lone zero group kept', () => {
    expect(formatIp({ family: 6, value: 0n })).toBe('::');
    expect(formatIp(parseIp('2001:DB8:0:0:1:0:0:1')!)).toBe('2001:db8::1:0:0:1');
    expect(formatIp(parseIp('2001:db8:0:1:1:1:1:1')!)).toBe('2001:db8:0:1:1:1:1:1');
    expect(formatIp(parseIp('2001:0:0:1:0:0:0:1')!)).toBe('2001:0:0:1::1');
    expect(formatIp(parseIp('1:0:0:0:0:0:0:0')!)).toBe('1::');
  });
});

describe('parseCidr', () => {
  test('prefixes and bare addresses to inclusive ranges', () => {
    expect(parseCidr('1.2.3.0/24')).toEqual(v4(0x01020300, 0x010203ff));
    expect(parseCidr('0.0.0.0/0')).toEqual(v4(0, 0xffffffff));
    expect(parseCidr('52.238.78.88')).toEqual(v4(0x34ee4e58, 0x34ee4e58));
    expect(parseCidr('2a01:111:f400::/48')).toEqual(v6(0x2a010111f40000000000000000000000n, 0x2a010111f400ffffffffffffffffffffn));
    expect(parseCidr('::/0')).toEqual(v6(0n, (1n << 128n) - 1n));
    expect(parseCidr('2001:db8::1')).toEqual(v6(0x20010db8000000000000000000000001n, 0x20010db8000000000000000000000001n));
  });

  test('a mapped IPv6 range is the IPv4 range', () => {
    expect(parseCidr('::ffff:1.2.3.0/120')).toEqual(parseCidr('1.2.3.0/24'));
    expect(parseCidr('::ffff:1.2.3.4')).toEqual(parseCidr('1.2.3.4'));
    expect(parseCidr('::ffff:0:0/96')).toEqual(parseCidr('0.0.0.0/0'));
  });

  test('refuses bad input, naming the entry and the reason', () => {
    const cases: [string, RegExp][] = [
      ['1.2.3.0/33', /'1\.2\.3\.0\/33': the prefix length must be a whole number from 0 to 32/],
      ['2001:db8::/129', /from 0 to 128/],
      ['1.2.3.0/', /prefix length/],
      ['1.2.3.0/024', /prefix length/],
      ['1.2.3.0/2 4', /prefix length/],
      ['1.2.3.0/24/8', /prefix length/],
      ['1.2.3.4/24', /'1\.2\.3\.4\/24' has host bits set; the \/24 network is 1\.2\.3\.0\/24/],
      ['2001:db8::1/64', /the \/64 network is 2001:db8::\/64/],
      ['1.2.3.x/24', /'1\.2\.3\.x\/24': '1\.2\.3\.x' is not an IPv4 or IPv6 address/],
      ['example.com', /'example\.com' is not an IPv4 or IPv6 address/],
      ['', /is not an IPv4 or IPv6 address/],
    ];
    for (const [text, message] of cases) {
      expect(() => parseCidr(text), text).toThrow(message);
      expect(() => parseCidr(text)).toThrow(IpParseError);
    }
  });
});

describe('truncateIp', () => {
  test('keeps the network part: /24 and /48 by default', () => {
    expect(truncateIp('203.0.113.77')).toBe('203.0.113.0');
    expect(truncateIp('2001:db8:1:2:3:4:5:6')).toBe('2001:db8:1::');
    expect(truncateIp('::ffff:203.0.113.77')).toBe('203.0.113.0');
    expect(truncateIp('203.0.113.77', 16, 32)).toBe('203.0.0.0');
    expect(truncateIp('2001:db8:1:2::9', 16, 32)).toBe('2001:db8::');
    expect(truncateIp('203.0.113.77', 32)).toBe('203.0.113.77');
    expect(truncateIp('203.0.113.77', 0)).toBe('0.0.0.0');
    expect(truncateIp('2001:db8::1', 24, 128)).toBe('2001:db8::1');
  });

  test('refuses an invalid address or prefix length', () => {
    expect(() => truncateIp('not-an-ip')).toThrow(/'not-an-ip' is not an IPv4 or IPv6 address/);
    expect(() => truncateIp('1.2.3.4', 33)).toThrow(RangeError);
    expect(() => truncateIp('::1', 24, -1)).toThrow(RangeError);
  });
});

describe('mergeRanges and rangeToCidrs', () => {
  test('merge overlapping and adjacent ranges, IPv4 first', () => {
    expect(mergeRanges([v6(5n, 9n), v4(10, 20), v4(0, 4), v4(21, 30), v4(15, 16), v6(0n, 4n), v4(32, 40)])).toEqual([
      v4(0, 4),
      v4(10, 30),
      v4(32, 40),
      v6(0n, 9n),
    ]);
  });

  test('the fewest blocks covering exactly the range', () => {
    expect(rangeToCidrs(parseCidr('10.0.0.0/8'))).toEqual(['10.0.0.0/8']);
    expect(rangeToCidrs(v4(0, 0xffffffff))).toEqual(['0.0.0.0/0']);
    expect(rangeToCidrs(v4(0x0a000001, 0x0a000006))).toEqual(['10.0.0.1/32', '10.0.0.2/31', '10.0.0.4/31', '10.0.0.6/32']);
    expect(rangeToCidrs(v6(0n, (1n << 128n) - 1n))).toEqual(['::/0']);
    expect(rangeToCidrs(parseCidr('2a01:111:f400::/48'))).toEqual(['2a01:111:f400::/48']);
  });

  test('blocks of a random range cover it exactly, each aligned', () => {
    const range = fc.oneof(
      fc.tuple(fc.nat({ max: 0xffffffff }), fc.nat({ max: 0xffffffff })).map(([a, b]) => v4(Math.min(a, b), Math.max(a, b))),
      fc.tuple(fc.bigInt({ min: 0n, max: (1n << 128n) - 1n }), fc.bigInt({ min: 0n, max: 1n << 70n })).map(([a, span]) => {
        const last = a + span > (1n << 128n) - 1n ? (1n << 128n) - 1n : a + span;
        return v6(a, last);
      }),
    );
    fc.assert(
      fc.property(range, (r) => {
        const blocks = rangeToCidrs(r).map((c) => parseCidr(c));
        expect(BigInt(blocks[0]!.first)).toBe(BigInt(r.first));
        expect(BigInt(blocks.at(-1)!.last)).toBe(BigInt(r.last));
        for (let i = 1; i < blocks.length; i++) expect(BigInt(blocks[i]!.first)).toBe(BigInt(blocks[i - 1]!.last) + 1n);
        expect(mergeRanges(blocks)).toEqual([r]);
      }),
    );
  });

  test('rangeContains is inclusive and family-strict', () => {
    const r = parseCidr('1.2.3.0/24');
    expect(rangeContains(r, parseIp('1.2.3.0')!)).toBe(true);
    expect(rangeContains(r, parseIp('1.2.3.255')!)).toBe(true);
    expect(rangeContains(r, parseIp('1.2.4.0')!)).toBe(false);
    expect(rangeContains(r, parseIp('::102:300')!)).toBe(false);
  });
});
