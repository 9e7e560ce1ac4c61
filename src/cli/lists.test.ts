import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { shippedNetworksDir } from '../adapters/network-lists/network-lists.js';
import { listsCommand } from './lists.js';

let dir: string;
let out: string[];
let err: string[];
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'mailsight-lists-cli-'));
  out = [];
  err = [];
  vi.spyOn(console, 'log').mockImplementation((line: string) => void out.push(line));
  vi.spyOn(console, 'error').mockImplementation((line: string) => void err.push(line));
});
afterEach(async () => {
  vi.restoreAllMocks();
  await rm(dir, { recursive: true, force: true });
});

describe('mailsight lists import-apple', () => {
  test('writes apple-mpp.txt into the last list directory and prints a summary', async () => {
    const csv = path.join(dir, 'egress-ip-ranges.csv');
    await writeFile(csv, '172.224.224.0/31,GB,GB-EN,London\n172.224.224.2/31,GB,GB-EN,Leeds\n2a02:26f7:b3c0:4000::/64,GB,GB-EN,London\n');
    const listDir = path.join(dir, 'lists');
    expect(await listsCommand(['import-apple', csv], {}, ['/nonexistent-shipped', listDir])).toBe(0);
    const file = path.join(listDir, 'apple-mpp.txt');
    expect(out).toEqual([`imported 2 ranges (1 IPv4, 1 IPv6) into ${file}`]);
    const text = await readFile(file, 'utf8');
    expect(text).toMatch(/^# source: https:\/\/mask-api\.icloud\.com\/egress-ip-ranges\.csv \(file egress-ip-ranges\.csv, imported \d{4}-\d{2}-\d{2}\)$/m);
    expect(text).toContain('\n172.224.224.0/30\n2a02:26f7:b3c0:4000::/64\n');
    expect(await readdir(listDir)).toEqual(['apple-mpp.txt']);

    expect(await listsCommand(['show', '::ffff:172.224.224.3'], {}, [listDir])).toBe(0);
    expect(out.slice(1)).toEqual(['172.224.224.3: in 1 of 1 lists', '  apple-mpp            prefetch  opens  certain  net:apple-mpp']);
  });

  test('--out and --source; an invalid line names the file and the line and writes nothing', async () => {
    const csv = path.join(dir, 'egress.csv');
    await writeFile(csv, '2a02:26f7::/32\n');
    const target = path.join(dir, 'custom.txt');
    expect(await listsCommand(['import-apple', csv], { out: target, source: 'test snapshot' })).toBe(0);
    expect(await readFile(target, 'utf8')).toContain('# source: test snapshot\n');

    await writeFile(csv, '172.224.224.0/31,GB\nnonsense,GB\n');
    const other = path.join(dir, 'other.txt');
    expect(await listsCommand(['import-apple', csv], { out: other })).toBe(1);
    expect(err).toEqual([`mailsight lists: ${csv}:2: invalid entry: 'nonsense' is not an IPv4 or IPv6 address`]);
    expect(await readdir(dir)).not.toContain('other.txt');
  });
});

describe('mailsight lists show', () => {
  test('with the shipped lists', async () => {
    expect(await listsCommand(['show', '40.107.1.1'], {})).toBe(0);
    expect(out).toEqual([
      '40.107.1.1: in 2 of 17 lists',
      '  microsoft-eop        scanner   clicks probable net:microsoft-eop  (reader images)',
      '  microsoft-exchange   scanner   clicks probable net:microsoft-exchange  (reader images)',
    ]);
    out.length = 0;
    expect(await listsCommand(['show', '192.0.2.1'], {})).toBe(0);
    expect(out).toEqual(['192.0.2.1: in none of 17 lists']);
  });

  test('names every list an address is on: shipped cloud and gateway lists, and the operator’s own', async () => {
    const operator = path.join(dir, 'operator');
    await mkdir(operator);
    await writeFile(
      path.join(operator, 'our-vpn.txt'),
      '# mailsight network list\n# name: our-vpn\n# reason: net:self\n# kind: self\n# scope: both\n# strength: certain\n18.133.136.0/24\n',
    );
    // 18.133.136.100 is a Barracuda block inside AWS, and the operator's VPN egress too.
    expect(await listsCommand(['show', '18.133.136.100'], {}, [shippedNetworksDir(), operator])).toBe(0);
    expect(out).toEqual([
      '18.133.136.100: in 3 of 18 lists',
      '  barracuda            scanner   both   probable net:barracuda',
      '  cloud-amazon         cloud     both   probable net:cloud-amazon',
      '  our-vpn              self      both   certain  net:self',
    ]);
  });

  test('usage errors exit 2', async () => {
    expect(await listsCommand(['show', 'not-an-ip'], {})).toBe(2);
    expect(err).toEqual(["mailsight lists: 'not-an-ip' is not an IPv4 or IPv6 address"]);
    expect(await listsCommand(['show'], {})).toBe(2);
    expect(await listsCommand(['import-apple'], {})).toBe(2);
    expect(await listsCommand([], {})).toBe(2);
    expect(await listsCommand(['frobnicate'], {})).toBe(2);
  });
});
