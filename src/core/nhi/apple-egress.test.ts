import { describe, expect, test } from 'vitest';
import { appleEgressCsvToList, parseAppleEgress } from './apple-egress.js';
import { parseCidr } from './ip-address.js';
import { NetworkIndex, NetworkListError, parseNetworkList } from './network-list.js';

const CSV = [
  '172.224.224.0/31,GB,GB-EN,London',
  '172.224.224.2/31,GB,GB-EN,Manchester',
  '',
  '172.224.224.4/30,FR,FR-IDF,Paris',
  '2a02:26f7:b3c0:4000::/64,GB,GB-EN,London',
  '2a02:26f7:b3c0:4001::/64,GB,GB-EN,London',
  '172.224.224.0/31,GB,GB-EN,Leeds',
  '104.28.0.10,US,US-CA,Los Angeles',
  '',
].join('\r\n');

describe('parseAppleEgress', () => {
  test('takes the first field of each line, IPv4 and IPv6, in file order', () => {
    expect(parseAppleEgress(CSV)).toHaveLength(7);
    expect(parseAppleEgress(CSV)[0]).toEqual(parseCidr('172.224.224.0/31'));
  });

  test('accepts a plain list of one address or CIDR per line, comments included', () => {
    expect(parseAppleEgress('# snapshot\n104.28.28.0/26\n104.28.28.76\n2a02:26f7::/32\n')).toEqual([
      parseCidr('104.28.28.0/26'),
      parseCidr('104.28.28.76'),
      parseCidr('2a02:26f7::/32'),
    ]);
  });

  test('tolerates a line of column names first, and only first', () => {
    expect(parseAppleEgress('\nip_prefix,country,region,city\n172.224.224.0/31,GB,GB-EN,London\n')).toEqual([parseCidr('172.224.224.0/31')]);
    expect(() => parseAppleEgress('172.224.224.0/31,GB,GB-EN,London\nip_prefix,country,region,city\n')).toThrow(NetworkListError);
  });

  test('an invalid line is refused, naming the origin and the line', () => {
    expect(() => parseAppleEgress('172.224.224.0/31,GB,GB-EN,London\n\n172.224.224.300/31,GB,GB-EN,London\n', 'egress.csv')).toThrow(
      "egress.csv:3: invalid entry: '172.224.224.300/31': '172.224.224.300' is not an IPv4 or IPv6 address",
    );
    expect(() => parseAppleEgress('172.224.224.1/31,GB,GB-EN,London\n')).toThrow(/Apple egress CSV:1: .*host bits set/);
  });
});

describe('appleEgressCsvToList', () => {
  const text = appleEgressCsvToList(CSV, 'egress-ip-ranges.csv, 2026-08-01');
  const list = parseNetworkList(text, 'apple-mpp.txt');

  test('writes the apple-mpp header: prefetch on opens, certain', () => {
    expect(list).toMatchObject({ name: 'apple-mpp', reason: 'net:apple-mpp', kind: 'prefetch', scope: 'opens', strength: 'certain', source: 'egress-ip-ranges.csv, 2026-08-01' });
  });

  test('merges repeated and adjacent ranges exactly, IPv4 before IPv6', () => {
    expect(text.split('\n').filter((l) => l !== '' && !l.startsWith('#'))).toEqual(['104.28.0.10/32', '172.224.224.0/29', '2a02:26f7:b3c0:4000::/63']);
    const index = new NetworkIndex([list]);
    for (const ip of ['172.224.224.0', '172.224.224.7', '104.28.0.10', '2a02:26f7:b3c0:4001:ffff:ffff:ffff:ffff']) expect(index.match(ip)).toHaveLength(1);
    for (const ip of ['172.224.224.8', '172.224.223.255', '104.28.0.11', '2a02:26f7:b3c0:4002::']) expect(index.match(ip)).toEqual([]);
  });
});
