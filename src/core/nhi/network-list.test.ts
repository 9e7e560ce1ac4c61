import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { formatIp, parseCidr, parseIp, rangeContains, type IpRange } from './ip-address.js';
import { formatNetworkList, NetworkIndex, NetworkListError, networkListFromCidrs, parseNetworkList, type NetworkList, type NetworkListHeader } from './network-list.js';

const HEADER = `# mailsight network list
# name: test-list
# reason: net:test-list
# kind: scanner
# scope: clicks
# strength: probable
`;

const header = (name: string, overrides: Partial<NetworkListHeader> = {}): NetworkListHeader => ({
  name,
  reason: `net:${name}`,
  kind: 'scanner',
  scope: 'clicks',
  strength: 'probable',
  source: null,
  ...overrides,
});
const list = (name: string, cidrs: string[], overrides: Partial<NetworkListHeader> = {}): NetworkList => networkListFromCidrs(header(name, overrides), cidrs);
const names = (index: NetworkIndex, ip: string): string[] => index.match(ip).map((m) => m.name);

function parseError(text: string): NetworkListError {
  try {
    parseNetworkList(text, 'lists/test.txt');
  } catch (error) {
    if (error instanceof NetworkListError) return error;
    throw error;
  }
  throw new Error('expected a NetworkListError');
}

describe('parseNetworkList', () => {
  test('reads the header and the entries; comments, blank lines and CRLF are ignored', () => {
    const parsed = parseNetworkList(
      `\uFEFF${HEADER}# source: https://vendor.example/ranges, 2026-08\r\n\r\n# a comment\n40.92.0.0/15\n  2a01:111:f400::/48  \n52.238.78.88   # trailing comment\n# kind: not a header field after an entry\n`,
      'x.txt',
    );
    expect(parsed).toEqual({
      name: 'test-list',
      reason: 'net:test-list',
      kind: 'scanner',
      scope: 'clicks',
      strength: 'probable',
      source: 'https://vendor.example/ranges, 2026-08',
      ranges: [parseCidr('40.92.0.0/15'), parseCidr('2a01:111:f400::/48'), parseCidr('52.238.78.88')],
    });
  });

  test('a header alone is an empty list; source is optional', () => {
    expect(parseNetworkList(HEADER, 'x.txt')).toMatchObject({ name: 'test-list', source: null, ranges: [] });
  });

  test('errors name the origin, the line and the problem', () => {
    const cases: [string, number, RegExp][] = [
      [`${HEADER}1.2.3.0/24\n\n1.2.3.999\n`, 9, /invalid entry: '1\.2\.3\.999' is not an IPv4 or IPv6 address/],
      [`${HEADER}10.0.0.1/8\n`, 7, /invalid entry: '10\.0\.0\.1\/8' has host bits set; the \/8 network is 10\.0\.0\.0\/8/],
      [`${HEADER}1.2.3.0/24 1.2.4.0/24\n`, 7, /invalid entry/],
      [HEADER.replace('# kind: scanner\n', ''), 1, /missing header field 'kind'/],
      [HEADER.replace('# kind: scanner\n', '') + '1.2.3.4\n# kind: scanner\n', 1, /missing header field 'kind' \(a '# kind: \.\.\.' line before the first entry\)/],
      [HEADER.replace('# scope: clicks', '# scope: click'), 5, /scope must be one of opens, clicks, both, not 'click'/],
      [HEADER.replace('# strength: probable', '# strength: sure'), 6, /strength must be one of certain, probable/],
      [HEADER.replace('# kind: scanner', '# kind: robot'), 4, /kind must be one of prefetch, scanner, previewer, proxy, self/],
      [HEADER.replace('# name: test-list', '# name: Test List'), 2, /name must be/],
      [HEADER.replace('# reason: net:test-list', '# reason: net test'), 3, /reason must be one word/],
      [`${HEADER}# scope: opens\n`, 7, /header field 'scope' is given twice \(first on line 5\)/],
      ['', 1, /missing header field 'name'/],
    ];
    for (const [text, line, problem] of cases) {
      const error = parseError(text);
      expect(error.origin).toBe('lists/test.txt');
      expect(error.line, error.message).toBe(line);
      expect(error.problem).toMatch(problem);
      expect(error.message).toBe(`lists/test.txt:${line}: ${error.problem}`);
    }
  });
});

describe('reader-images', () => {
  test('yes marks the list, and its matches, as where a mail provider loads its readers\' images; no or absent leaves it unmarked', () => {
    const marked = parseNetworkList(`${HEADER}# reader-images: yes\n40.92.0.0/15\n`, 'x.txt');
    expect(marked.readerImages).toBe(true);
    expect(parseNetworkList(`${HEADER}# reader-images: no\n`, 'x.txt')).not.toHaveProperty('readerImages');
    expect(parseNetworkList(HEADER, 'x.txt')).not.toHaveProperty('readerImages');
    expect(new NetworkIndex([marked, list('other', ['40.92.0.0/16'])]).match('40.92.1.1')).toEqual([
      { name: 'test-list', reason: 'net:test-list', kind: 'scanner', scope: 'clicks', strength: 'probable', readerImages: true },
      { name: 'other', reason: 'net:other', kind: 'scanner', scope: 'clicks', strength: 'probable' },
    ]);
    expect(parseNetworkList(formatNetworkList(marked), 'y.txt')).toEqual(marked);
  });

  test('another value is refused, naming the line; so is yes on a kind other than scanner or cloud', () => {
    const error = parseError(`${HEADER}# reader-images: maybe\n`);
    expect(error.line).toBe(7);
    expect(error.message).toBe("lists/test.txt:7: reader-images must be one of yes, no, not 'maybe'");
    const proxy = parseError(`${HEADER.replace('kind: scanner', 'kind: proxy')}# reader-images: yes\n`);
    expect(proxy.message).toBe("lists/test.txt:7: reader-images: yes is for lists of kind scanner or cloud, not 'proxy'");
    expect(parseNetworkList(`${HEADER.replace('kind: scanner', 'kind: cloud')}# reader-images: yes\n`, 'x.txt').readerImages).toBe(true);
  });
});

describe('networkListFromCidrs', () => {
  test('builds a list from configured entries', () => {
    expect(list('self', [' 198.51.100.0/24', '2001:db8:42::/48'], { kind: 'self', scope: 'both' }).ranges).toEqual([parseCidr('198.51.100.0/24'), parseCidr('2001:db8:42::/48')]);
  });

  test('errors name the origin and the entry', () => {
    expect(() => networkListFromCidrs(header('self'), ['198.51.100.0/24', '198.51.100.7/24'], 'SELF_NETWORKS')).toThrow(
      "SELF_NETWORKS: entry 2: '198.51.100.7/24' has host bits set; the /24 network is 198.51.100.0/24",
    );
    expect(() => networkListFromCidrs(header('Self'), [])).toThrow(/name must be/);
  });
});

describe('formatNetworkList', () => {
  test('writes a file that parses back to the same addresses, merged', () => {
    const original = list('merged', ['10.0.0.0/25', '10.0.0.128/25', '10.0.1.7', '2001:db8::/33', '2001:db8:8000::/33'], { source: 'unit test' });
    const text = formatNetworkList(original, ['a note']);
    expect(text).toBe(
      `# mailsight network list\n# name: merged\n# reason: net:merged\n# kind: scanner\n# scope: clicks\n# strength: probable\n# source: unit test\n# a note\n10.0.0.0/24\n10.0.1.7/32\n2001:db8::/32\n`,
    );
    expect(parseNetworkList(text, 'x.txt')).toMatchObject({ ...header('merged', { source: 'unit test' }), ranges: [parseCidr('10.0.0.0/24'), parseCidr('10.0.1.7'), parseCidr('2001:db8::/32')] });
  });

  test('refuses a header value that would break the file', () => {
    expect(() => formatNetworkList(list('x', [], { source: 'two\nlines' }))).toThrow(NetworkListError);
  });
});

describe('NetworkIndex', () => {
  const index = new NetworkIndex([
    list('v4', ['10.0.0.0/24', '10.0.2.0/23']),
    list('v6', ['2001:db8::/48', '2001:db8:5::1']),
    list('edges', ['0.0.0.0/32', '255.255.255.255', '::/128', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff']),
  ]);

  test('IPv4 at range boundaries: first, last, one before, one after', () => {
    expect(names(index, '9.255.255.255')).toEqual([]);
    expect(names(index, '10.0.0.0')).toEqual(['v4']);
    expect(names(index, '10.0.0.255')).toEqual(['v4']);
    expect(names(index, '10.0.1.0')).toEqual([]);
    expect(names(index, '10.0.1.255')).toEqual([]);
    expect(names(index, '10.0.2.0')).toEqual(['v4']);
    expect(names(index, '10.0.3.255')).toEqual(['v4']);
    expect(names(index, '10.0.4.0')).toEqual([]);
  });

  test('IPv6 at range boundaries', () => {
    expect(names(index, '2001:db7:ffff:ffff:ffff:ffff:ffff:ffff')).toEqual([]);
    expect(names(index, '2001:db8::')).toEqual(['v6']);
    expect(names(index, '2001:db8:0:ffff:ffff:ffff:ffff:ffff')).toEqual(['v6']);
    expect(names(index, '2001:db8:1::')).toEqual([]);
    expect(names(index, '2001:db8:5::')).toEqual([]);
    expect(names(index, '2001:db8:5::1')).toEqual(['v6']);
    expect(names(index, '2001:db8:5::2')).toEqual([]);
  });

  test('the ends of both address spaces', () => {
    expect(names(index, '0.0.0.0')).toEqual(['edges']);
    expect(names(index, '0.0.0.1')).toEqual([]);
    expect(names(index, '255.255.255.254')).toEqual([]);
    expect(names(index, '255.255.255.255')).toEqual(['edges']);
    expect(names(index, '::')).toEqual(['edges']);
    expect(names(index, '::1')).toEqual([]);
    expect(names(index, 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff')).toEqual(['edges']);
    expect(names(index, 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe')).toEqual([]);
  });

  test('IPv4-mapped IPv6 matches IPv4 entries', () => {
    expect(names(index, '::ffff:10.0.0.0')).toEqual(['v4']);
    expect(names(index, '::ffff:10.0.3.255')).toEqual(['v4']);
    expect(names(index, '::ffff:10.0.4.0')).toEqual([]);
    expect(names(index, '::ffff:a00:1')).toEqual(['v4']);
  });

  test('an unparseable address matches nothing', () => {
    for (const ip of ['', 'unknown', '10.0.0', '10.0.0.1:443', 'fe80::1%eth0']) expect(index.match(ip)).toEqual([]);
  });

  test('every list containing the address is reported, in list order, with its header', () => {
    const overlapping = new NetworkIndex([
      list('wide', ['10.0.0.0/8'], { kind: 'scanner', strength: 'probable' }),
      list('narrow', ['10.1.0.0/16', '10.1.2.3'], { kind: 'self', scope: 'both', strength: 'certain' }),
      list('empty', []),
    ]);
    expect(overlapping.match('10.1.2.3')).toEqual([
      { name: 'wide', reason: 'net:wide', kind: 'scanner', scope: 'clicks', strength: 'probable' },
      { name: 'narrow', reason: 'net:narrow', kind: 'self', scope: 'both', strength: 'certain' },
    ]);
    expect(names(overlapping, '10.1.255.255')).toEqual(['wide', 'narrow']);
    expect(names(overlapping, '10.2.0.0')).toEqual(['wide']);
    expect(names(overlapping, '11.0.0.0')).toEqual([]);
    expect(overlapping.size).toBe(3);
  });

  test('results are frozen and shared, so a caller cannot corrupt the index', () => {
    const first = index.match('10.0.0.1');
    expect(Object.isFrozen(first)).toBe(true);
    expect(Object.isFrozen(first[0])).toBe(true);
    expect(index.match('10.0.0.2')).toBe(first);
  });

  test('an empty index matches nothing', () => {
    const empty = new NetworkIndex([]);
    expect(empty.match('1.2.3.4')).toEqual([]);
    expect(empty.match('::1')).toEqual([]);
    expect(empty.size).toBe(0);
  });

  /** CIDRs biased into a small corner of each space so that random lists overlap and addresses hit. */
  const v4Cidr = fc.tuple(fc.nat(0xffff), fc.integer({ min: 16, max: 32 })).map(([low, prefix]) => cidrOf({ family: 4, value: 0x0a000000 + low }, prefix));
  const v6Cidr = fc
    .tuple(fc.bigInt({ min: 0n, max: (1n << 20n) - 1n }), fc.integer({ min: 108, max: 128 }))
    .map(([low, prefix]) => cidrOf({ family: 6, value: (0x20010db8n << 96n) + low }, prefix));
  const v4Address = fc.oneof(
    fc.nat(0x1ffff).map((n) => formatIp({ family: 4, value: 0x0a000000 + n - 0x8000 })),
    fc.nat(0x1ffff).map((n) => `::ffff:${formatIp({ family: 4, value: 0x0a000000 + n })}`),
    fc.nat({ max: 0xffffffff }).map((value) => formatIp({ family: 4, value })),
  );
  const v6Address = fc.oneof(
    fc.bigInt({ min: 0n, max: (1n << 21n) - 1n }).map((n) => formatIp({ family: 6, value: (0x20010db8n << 96n) + n - (1n << 19n) })),
    fc.bigInt({ min: 0n, max: (1n << 128n) - 1n }).map((value) => formatIp({ family: 6, value })),
  );
  const lists = fc.array(fc.array(fc.oneof(v4Cidr, v6Cidr), { maxLength: 30 }), { maxLength: 5 });

  test('property: the index agrees with a loop over every range of every list', () => {
    fc.assert(
      fc.property(lists, fc.array(fc.oneof(v4Address, v6Address), { maxLength: 30 }), (cidrSets, randomIps) => {
        const built = cidrSets.map((cidrs, i) => list(`list-${i}`, cidrs));
        const indexed = new NetworkIndex(built);
        // Off-by-one mistakes live at the boundaries, which random addresses rarely hit: probe every one.
        const ips = [...randomIps, ...built.flatMap((l) => l.ranges.flatMap(boundaryProbes))];
        for (const ip of ips) {
          const address = parseIp(ip)!;
          const naive = built.filter((l) => l.ranges.some((r: IpRange) => rangeContains(r, address))).map((l) => l.name);
          expect(names(indexed, ip), ip).toEqual(naive);
        }
      }),
      { numRuns: 300 },
    );
  });
});

/** The CIDR of the given prefix containing `address` (host bits cleared). */
function cidrOf(address: { family: 4; value: number } | { family: 6; value: bigint }, prefix: number): string {
  if (address.family === 4) {
    const size = 2 ** (32 - prefix);
    return `${formatIp({ family: 4, value: address.value - (address.value % size) })}/${prefix}`;
  }
  const size = 1n << BigInt(128 - prefix);
  return `${formatIp({ family: 6, value: address.value - (address.value % size) })}/${prefix}`;
}

/** One before, the first, the last and one after a range, within the address space. */
function boundaryProbes(range: IpRange): string[] {
  if (range.family === 4) {
    return [range.first - 1, range.first, range.last, range.last + 1].filter((v) => v >= 0 && v <= 0xffffffff).map((value) => formatIp({ family: 4, value }));
  }
  return [range.first - 1n, range.first, range.last, range.last + 1n].filter((v) => v >= 0n && v < 1n << 128n).map((value) => formatIp({ family: 6, value }));
}
