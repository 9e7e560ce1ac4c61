import { describe, expect, it } from 'vitest';
import { CidrSet, formatIp, parseCidr, parseCidrList, parseIp, randomAddressIn } from './cidr.js';
import { Rng } from './prng.js';

describe('cidr', () => {
  it('formats IPv6 the RFC 5952 way', () => {
    for (const [input, canonical] of [
      ['2001:db8:0:0:0:0:0:1', '2001:db8::1'],
      ['2606:54c0::', '2606:54c0::'],
      ['::1', '::1'],
      ['2001:db8:0:1:0:0:0:1', '2001:db8:0:1::1'],
      ['2001:db8:1:2:3:4:5:6', '2001:db8:1:2:3:4:5:6'],
      ['2001:0:0:1:0:0:0:0', '2001:0:0:1::'],
    ] as const) {
      const { family, value } = parseIp(input);
      expect(formatIp(family, value)).toBe(canonical);
    }
  });

  it('reads addresses and ranges as the product does', () => {
    // The mapped spelling Node reports for IPv4 clients is the IPv4 address; a mapped range is an IPv4 range.
    expect(parseIp('::ffff:192.0.2.7')).toEqual(parseIp('192.0.2.7'));
    expect(parseCidr('::ffff:192.0.2.0/120')).toEqual({ family: 4, first: 0xc0000200n, bits: 24 });
    expect(new CidrSet([parseCidr('192.0.2.0/24')]).has('::ffff:192.0.2.9')).toBe(true);
    expect(parseCidr(' 2606:54c0::/35 ')).toEqual({ family: 6, first: 0x260654c0n << 96n, bits: 35 });
    for (const bad of ['10.0.0.1/8', '10.0.0.0/33', '10.0.0.0/', '10.0.0.0/08', '010.0.0.0/8', 'fe80::/10%eth0']) expect(() => parseCidr(bad), bad).toThrow();
    for (const bad of ['fe80::1%eth0', '01.2.3.4', '1.2.3']) expect(() => parseIp(bad), bad).toThrow(/not an IP address/);
  });

  it('answers membership over overlapping IPv4 and IPv6 ranges', () => {
    const set = new CidrSet(parseCidrList('# comment\n104.28.28.0/26\n104.28.28.76\n10.0.0.0/8\n10.1.0.0/16\n2606:54c0::/35\n\n'));
    expect(set.has('104.28.28.63')).toBe(true);
    expect(set.has('104.28.28.64')).toBe(false);
    expect(set.has('104.28.28.76')).toBe(true);
    expect(set.has('10.200.3.4')).toBe(true);
    expect(set.has('11.0.0.0')).toBe(false);
    expect(set.has('2606:54c0:1fff::1')).toBe(true);
    expect(set.has('2606:54c0:2000::1')).toBe(false);
  });

  it('draws random host addresses inside the range', () => {
    const rng = new Rng(3);
    for (const text of ['192.0.2.0/24', '2a02:26f7:d198:e088::/64', '104.28.121.11', '172.226.50.16/31']) {
      const set = new CidrSet([parseCidr(text)]);
      for (let i = 0; i < 50; i++) {
        const ip = randomAddressIn(rng, parseCidr(text));
        expect(set.has(ip), `${ip} in ${text}`).toBe(true);
        if (text === '192.0.2.0/24') expect(ip).not.toMatch(/\.(0|255)$/);
      }
    }
  });
});
