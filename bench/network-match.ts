/**
 * `npm run bench:networks`: lookups per second of the NetworkIndex over the shipped network lists,
 * for random IPv4 and IPv6 addresses, against the naive way (a loop over every range of every list)
 * measured in the same run on fewer lookups. The last line is the speed-up.
 *
 * Half of the addresses are drawn from inside the listed ranges and half from the whole address
 * space, so hits and misses both count. Addresses are generated before timing (seeded, so every run
 * looks up the same ones) and both ways parse the address text, as a tracking hit would.
 */
import { performance } from 'node:perf_hooks';
import { formatIp, parseIp, rangeContains, type IpRange } from '../src/core/nhi/ip-address.js';
import { NetworkIndex, type NetworkList } from '../src/core/nhi/network-list.js';
import { loadNetworkLists, shippedNetworksDir } from '../src/adapters/network-lists/network-lists.js';
import { mulberry32 } from '../src/core/seeded-random.js';

const INDEX_LOOKUPS = 1_000_000;
/** The naive loop visits ~14k ranges per lookup; this many keeps it to a few seconds. */
const NAIVE_LOOKUPS = 2_000;
const WARMUP_LOOKUPS = 100_000;
const SEED = 0x5eed;

function randomBigint(next: () => number, bits: number): bigint {
  let value = 0n;
  for (let i = 0; i < bits; i += 32) value = (value << 32n) | BigInt(Math.floor(next() * 2 ** 32));
  return value & ((1n << BigInt(bits)) - 1n);
}

function addresses(family: 4 | 6, count: number, ranges: readonly IpRange[], next: () => number): string[] {
  const own = ranges.filter((r) => r.family === family);
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const range = i % 2 === 0 && own.length > 0 ? own[Math.floor(next() * own.length)]! : null;
    if (family === 4) {
      const value = range === null ? Math.floor(next() * 2 ** 32) : Number(range.first) + Math.floor(next() * (Number(range.last) - Number(range.first) + 1));
      out.push(formatIp({ family: 4, value }));
    } else {
      const first = range === null ? 0n : BigInt(range.first);
      const span = range === null ? 1n << 128n : BigInt(range.last) - first + 1n;
      out.push(formatIp({ family: 6, value: first + (randomBigint(next, 128) % span) }));
    }
  }
  return out;
}

function naiveMatch(lists: readonly NetworkList[], ip: string): string[] {
  const address = parseIp(ip);
  if (address === null) return [];
  const names: string[] = [];
  for (const list of lists) {
    for (const range of list.ranges) {
      if (rangeContains(range, address)) {
        names.push(list.name);
        break;
      }
    }
  }
  return names;
}

/** Lookups per second over `ips`; `sink` keeps the work observable so it is not optimized away. */
function measure(ips: readonly string[], lookup: (ip: string) => readonly unknown[]): { perSecond: number; sink: number } {
  let sink = 0;
  const start = performance.now();
  for (const ip of ips) sink += lookup(ip).length;
  const seconds = (performance.now() - start) / 1000;
  return { perSecond: ips.length / seconds, sink };
}

const format = (n: number) => Math.round(n).toLocaleString('en-US');

async function main(): Promise<void> {
  const dir = shippedNetworksDir();
  const heapBefore = process.memoryUsage().heapUsed;
  const loadStart = performance.now();
  const { lists, errors } = await loadNetworkLists([dir]);
  const loadMs = performance.now() - loadStart;
  if (errors.length > 0) throw new Error(`the shipped lists do not load:\n${errors.join('\n')}`);
  const allRanges = lists.flatMap((l) => l.ranges);
  const buildStart = performance.now();
  const index = new NetworkIndex(lists);
  const buildMs = performance.now() - buildStart;
  const v4Count = allRanges.filter((r) => r.family === 4).length;
  // The lists and the index together, as the server holds them (a rough figure: the collector may run between).
  const heapMiB = (process.memoryUsage().heapUsed - heapBefore) / 2 ** 20;
  console.log(
    `${lists.length} lists from ${dir}: ${format(v4Count)} IPv4 + ${format(allRanges.length - v4Count)} IPv6 ranges; ` +
      `read and parsed in ${loadMs.toFixed(1)} ms, index built in ${buildMs.toFixed(1)} ms; heap +${heapMiB.toFixed(1)} MiB for lists and index`,
  );

  const next = mulberry32(SEED);
  const speedUps: string[] = [];
  for (const family of [4, 6] as const) {
    const ips = addresses(family, INDEX_LOOKUPS, allRanges, next);
    const naiveIps = ips.slice(0, NAIVE_LOOKUPS);
    for (const ip of naiveIps) {
      const expected = naiveMatch(lists, ip).join(',');
      const actual = index.match(ip).map((m) => m.name).join(',');
      if (expected !== actual) throw new Error(`index and naive loop disagree on ${ip}: '${actual}' vs '${expected}'`);
    }
    measure(ips.slice(0, WARMUP_LOOKUPS), (ip) => index.match(ip));
    measure(naiveIps.slice(0, NAIVE_LOOKUPS / 10), (ip) => naiveMatch(lists, ip));

    const indexed = measure(ips, (ip) => index.match(ip));
    const naive = measure(naiveIps, (ip) => naiveMatch(lists, ip));
    const hitShare = indexed.sink / ips.length;
    console.log(
      `IPv${family}: index ${format(indexed.perSecond)} lookups/s (${(1e9 / indexed.perSecond).toFixed(0)} ns each, ${format(ips.length)} lookups, ` +
        `${(hitShare * 100).toFixed(0)}% matched); naive ${format(naive.perSecond)} lookups/s (${(1e6 / naive.perSecond).toFixed(1)} µs each, ${format(naiveIps.length)} lookups)`,
    );
    speedUps.push(`IPv${family} x${format(indexed.perSecond / naive.perSecond)}`);
  }
  console.log(`speed-up of the index over the naive loop: ${speedUps.join(', ')}`);
}

await main();
