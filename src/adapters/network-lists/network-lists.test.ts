import { mkdir, mkdtemp, rename, rm, writeFile, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { NetworkIndex, networkListFromCidrs } from '../../core/nhi/network-list.js';
import { LiveNetworkIndex, loadNetworkLists, shippedNetworksDir } from './network-lists.js';

const listText = (name: string, entries: string[], kind = 'scanner') =>
  `# mailsight network list\n# name: ${name}\n# reason: net:${name}\n# kind: ${kind}\n# scope: clicks\n# strength: probable\n${entries.join('\n')}\n`;
const names = (index: NetworkIndex, ip: string) => index.match(ip).map((m) => m.name);

let root: string;
beforeEach(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'mailsight-networks-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

async function dirWith(name: string, files: Record<string, string>): Promise<string> {
  const dir = path.join(root, name);
  await mkdir(dir, { recursive: true });
  for (const [file, text] of Object.entries(files)) await writeFile(path.join(dir, file), text);
  return dir;
}

describe('the shipped lists', () => {
  test('all parse, from networks/ at the repository root', async () => {
    expect(shippedNetworksDir()).toBe(path.resolve('networks'));
    const { lists, errors } = await loadNetworkLists(['networks']);
    expect(errors).toEqual([]);
    expect(lists.map((l) => l.name).sort()).toEqual([
      'apple-mpp', 'apple-network', 'barracuda', 'cisco-ironport',
      'cloud-amazon', 'cloud-azure', 'cloud-digitalocean', 'cloud-google', 'cloud-linode', 'cloud-oracle', 'cloud-vultr',
      'microsoft-eop', 'microsoft-exchange', 'microsoft-teams', 'mimecast', 'proofpoint', 'self',
    ]);
    // The gateways' own servers load no reader's images: their lists speak about opens too. Microsoft's
    // servers do (Outlook on the web), so theirs are for clicks only.
    for (const name of ['barracuda', 'cisco-ironport', 'mimecast', 'proofpoint']) {
      const gateway = lists.find((l) => l.name === name)!;
      expect([gateway.reason, gateway.kind, gateway.scope, gateway.strength], name).toEqual([`net:${name}`, 'scanner', 'both', 'probable']);
    }
    // Outlook on the web loads readers' images from Microsoft's networks, and from no other listed one.
    for (const name of ['microsoft-eop', 'microsoft-exchange']) expect(lists.find((l) => l.name === name)!.scope, name).toBe('clicks');
    expect(lists.filter((l) => l.readerImages).map((l) => l.name).sort()).toEqual(['cloud-azure', 'microsoft-eop', 'microsoft-exchange']);
    for (const cloud of lists.filter((l) => l.name.startsWith('cloud-'))) {
      expect([cloud.reason, cloud.kind, cloud.scope, cloud.strength]).toEqual([`net:${cloud.name}`, 'cloud', 'both', 'probable']);
      expect(cloud.source).toMatch(/2026-08-22/);
    }
    const apple = lists.find((l) => l.name === 'apple-mpp')!;
    expect(apple.ranges.filter((r) => r.family === 4)).toHaveLength(3290);
    expect(apple.ranges.filter((r) => r.family === 6)).toHaveLength(10455);
    expect(lists.find((l) => l.name === 'self')!.ranges).toEqual([]);
  });

  test('match what they should and nothing else', async () => {
    const index = new NetworkIndex((await loadNetworkLists([shippedNetworksDir()])).lists);
    // From apple-mpp.txt: 104.28.28.0/26, 104.28.28.72/30, 104.28.28.76, then 104.28.28.79; 2606:54c0:2400::/39.
    for (const ip of ['104.28.28.0', '104.28.28.63', '104.28.28.75', '104.28.28.76', '::ffff:104.28.28.79', '2606:54c0:2400::1', '2606:54c0:25ff:ffff:ffff:ffff:ffff:ffff']) {
      expect(names(index, ip), ip).toEqual(['apple-mpp']);
    }
    for (const ip of ['104.28.28.77', '104.28.28.78', '127.0.0.1', '::1', '192.0.2.1', '73.12.34.56']) expect(names(index, ip), ip).toEqual([]);
    // Google's public resolver is Google space: the cloud list holds all of it (Gmail's proxy too).
    expect(names(index, '8.8.8.8')).toEqual(['cloud-google']);
    expect(names(index, '2001:4860:4860::8888')).toEqual(['cloud-google']);
    // Exchange Online stays Microsoft's mail servers, apart from the Azure cloud list.
    const eop = { name: 'microsoft-eop', reason: 'net:microsoft-eop', kind: 'scanner', scope: 'clicks', strength: 'probable', readerImages: true };
    const exchange = { ...eop, name: 'microsoft-exchange', reason: 'net:microsoft-exchange' };
    expect(index.match('40.92.0.1')).toEqual([eop, exchange]);
    expect(names(index, '2a01:111:f403:c000::1')).toEqual(['microsoft-eop', 'microsoft-exchange']);
    expect(names(index, '52.238.78.88')).toEqual(['microsoft-eop', 'microsoft-exchange']);
    expect(names(index, '52.238.78.89')).toEqual(['cloud-azure']);
    expect(names(index, '52.97.1.1')).toEqual(['microsoft-exchange']);
    // Defender's scanners fetch from Azure outside Exchange Online (nhi.md); 20.36.0.0/14 is Azure.
    expect(index.match('20.37.1.1')).toEqual([{ name: 'cloud-azure', reason: 'net:cloud-azure', kind: 'cloud', scope: 'both', strength: 'probable', readerImages: true }]);
    expect(names(index, '3.208.1.1')).toEqual(['cloud-amazon']);
    expect(names(index, '2600:1f18::1')).toEqual(['cloud-amazon']);
    expect(index.match('52.123.255.255')).toEqual([
      { name: 'cloud-azure', reason: 'net:cloud-azure', kind: 'cloud', scope: 'both', strength: 'probable', readerImages: true },
      { name: 'microsoft-teams', reason: 'net:microsoft-teams', kind: 'previewer', scope: 'clicks', strength: 'probable' },
    ]);
    // The source's Vultr file holds the documentation ranges by mistake: they are left out.
    for (const ip of ['198.51.100.7', '2001:db8::1', '2002:c000:201::1']) expect(names(index, ip), ip).toEqual([]);
    expect(names(index, '209.222.82.200')).toEqual(['barracuda']);
    // Vendors known by their autonomous systems in nhi.md, by their documented mail-server ranges here.
    expect(names(index, '148.163.130.1')).toEqual(['proofpoint']);
    expect(names(index, '207.211.30.204')).toEqual(['mimecast']);
    expect(names(index, '68.232.140.1')).toEqual(['cisco-ironport']);
    expect(names(index, '148.163.160.1')).toEqual([]);
    // Some Barracuda blocks sit in AWS: an address is on every list that holds it.
    expect(names(index, '18.133.136.96')).toEqual(['barracuda', 'cloud-amazon']);
  });
});

describe('loadNetworkLists', () => {
  test('reads every *.txt; a later directory replaces a list of the same name', async () => {
    const shipped = await dirWith('shipped', {
      'a.txt': listText('alpha', ['10.0.0.0/8']),
      'b.txt': listText('beta', ['192.0.2.0/24']),
      'notes.md': 'not a list',
      '.b.txt.123.tmp': 'half a file',
    });
    const operator = await dirWith('operator', { 'my-beta.txt': listText('beta', ['198.51.100.0/24']) });
    const { lists, errors } = await loadNetworkLists([shipped, operator]);
    expect(errors).toEqual([]);
    const index = new NetworkIndex(lists);
    expect(lists.map((l) => l.name)).toEqual(['alpha', 'beta']);
    expect(names(index, '198.51.100.1')).toEqual(['beta']);
    expect(names(index, '192.0.2.1')).toEqual([]);
  });

  test('reports a broken file, a missing directory and a name used twice in one directory, and loads the rest', async () => {
    const dir = await dirWith('lists', {
      'a.txt': listText('alpha', ['10.0.0.0/8']),
      'b.txt': listText('alpha', ['11.0.0.0/8']),
      'c.txt': listText('gamma', ['1.2.3.4/24']),
    });
    const missing = path.join(root, 'missing');
    const { lists, errors } = await loadNetworkLists([dir, missing]);
    expect(lists.map((l) => l.name)).toEqual(['alpha']);
    expect(new NetworkIndex(lists).match('10.1.1.1')).toHaveLength(1);
    expect(errors).toEqual([
      `${path.join(dir, 'c.txt')}:7: invalid entry: '1.2.3.4/24' has host bits set; the /24 network is 1.2.3.0/24`,
      `${missing}: cannot read the network list directory (ENOENT)`,
      `${path.join(dir, 'b.txt')}: list name 'alpha' is already used by ${path.join(dir, 'a.txt')}; this file is ignored`,
    ]);
  });
});

describe('LiveNetworkIndex', () => {
  let live: LiveNetworkIndex | null = null;
  afterEach(() => live?.stop());

  test('reloads changed, added and removed files; a broken edit keeps the previous version', async () => {
    const dir = await dirWith('live', { 'scanners.txt': listText('scanners', ['10.0.0.0/8']) });
    const reported: string[] = [];
    let reloads = 0;
    live = new LiveNetworkIndex({ dirs: [dir], intervalMs: 50, onError: (m) => reported.push(m), onReload: () => reloads++ });
    expect(live.current.size).toBe(0);
    live.start();
    await vi.waitFor(() => expect(names(live!.current, '10.1.2.3')).toEqual(['scanners']));

    await writeFile(path.join(dir, 'scanners.txt'), listText('scanners', ['10.0.0.0/8', '172.16.0.0/12']));
    await vi.waitFor(() => expect(names(live!.current, '172.16.0.1')).toEqual(['scanners']));

    await writeFile(path.join(dir, 'scanners.txt'), listText('scanners', ['10.0.0.0/8', '172.16.0.0/12', 'not-an-address']));
    await vi.waitFor(() => expect(reported).toHaveLength(1));
    expect(reported[0]).toBe(`${path.join(dir, 'scanners.txt')}:9: invalid entry: 'not-an-address' is not an IPv4 or IPv6 address; the previously loaded version stays in use`);
    expect(names(live.current, '172.16.0.1')).toEqual(['scanners']);

    await writeFile(path.join(dir, 'extra.txt'), listText('extra', ['192.0.2.0/24']));
    await vi.waitFor(() => expect(names(live!.current, '192.0.2.1')).toEqual(['extra']));
    expect(names(live.current, '172.16.0.1')).toEqual(['scanners']);
    expect(reported).toHaveLength(1); // the broken file is reported once, not on every poll

    await writeFile(path.join(dir, 'scanners.txt'), listText('scanners', ['203.0.113.0/24']));
    await vi.waitFor(() => expect(names(live!.current, '203.0.113.9')).toEqual(['scanners']));
    expect(names(live.current, '10.1.2.3')).toEqual([]);

    await unlink(path.join(dir, 'extra.txt'));
    await vi.waitFor(() => expect(names(live!.current, '192.0.2.1')).toEqual([]));
    expect(reloads).toBeGreaterThanOrEqual(5);
  });

  test('an operator refreshes a shipped cloud list from their directory without a restart', async () => {
    const operator = await dirWith('operator-cloud', {});
    live = new LiveNetworkIndex({ dirs: [shippedNetworksDir(), operator], intervalMs: 50 });
    live.start();
    await vi.waitFor(() => expect(names(live!.current, '3.208.1.1')).toEqual(['cloud-amazon']), { timeout: 10_000 });
    expect(names(live.current, '198.18.0.1')).toEqual([]);
    // This week's AWS ranges: written under a dot name, then renamed over the list, as the README says.
    const fresh = listText('cloud-amazon', ['198.18.0.0/15'], 'cloud');
    await writeFile(path.join(operator, '.cloud-amazon.txt.tmp'), fresh);
    await rename(path.join(operator, '.cloud-amazon.txt.tmp'), path.join(operator, 'cloud-amazon.txt'));
    await vi.waitFor(() => expect(names(live!.current, '198.18.0.1')).toEqual(['cloud-amazon']), { timeout: 10_000 });
    expect(names(live.current, '3.208.1.1')).toEqual([]);
    expect(names(live.current, '20.37.1.1')).toEqual(['cloud-azure']);
  });

  test('refresh swaps only when something changed; a file broken from the start is reported and skipped', async () => {
    const dir = await dirWith('refresh', { 'a.txt': listText('alpha', ['10.0.0.0/8']), 'broken.txt': '# name: broken\n10.0.0.0/8\n' });
    const reported: string[] = [];
    live = new LiveNetworkIndex({ dirs: [dir, path.join(root, 'operator-dir-not-created-yet')], onError: (m) => reported.push(m) });
    expect(await live.refresh()).toBe(true);
    const first = live.current;
    expect(names(first, '10.0.0.1')).toEqual(['alpha']);
    expect(reported).toEqual([
      `${path.join(dir, 'broken.txt')}:1: missing header field 'reason' (a '# reason: ...' line before the first entry)`,
      `${path.join(root, 'operator-dir-not-created-yet')}: cannot read the network list directory (ENOENT)`,
    ]);
    expect(await live.refresh()).toBe(false);
    expect(live.current).toBe(first);
    expect(reported).toHaveLength(2);

    await mkdir(path.join(root, 'operator-dir-not-created-yet'));
    await writeFile(path.join(root, 'operator-dir-not-created-yet', 'a.txt'), listText('alpha', ['192.0.2.0/24']));
    // A new or changed file is read once a second poll finds it unchanged (it may still be being written).
    expect(await live.refresh()).toBe(false);
    expect(names(live.current, '10.0.0.1')).toEqual(['alpha']);
    expect(await live.refresh()).toBe(true);
    expect(names(live.current, '10.0.0.1')).toEqual([]);
    expect(names(live.current, '192.0.2.1')).toEqual(['alpha']);
  });

  test('extra lists from configuration are always included and win on a name', async () => {
    const dir = await dirWith('extra', { 'self.txt': listText('self', ['10.0.0.0/8'], 'self'), 'other.txt': listText('other', ['10.0.0.0/8']) });
    const self = networkListFromCidrs({ name: 'self', reason: 'net:self', kind: 'self', scope: 'both', strength: 'certain', source: 'SELF_NETWORKS' }, ['198.51.100.0/24']);
    live = new LiveNetworkIndex({ dirs: [dir], extraLists: [self] });
    await live.refresh();
    expect(names(live.current, '10.0.0.1')).toEqual(['other']);
    expect(live.current.match('198.51.100.7')).toEqual([{ name: 'self', reason: 'net:self', kind: 'self', scope: 'both', strength: 'certain' }]);
  });

  test('concurrent refreshes share one poll; stop ends polling', async () => {
    const dir = await dirWith('concurrent', { 'a.txt': listText('alpha', ['10.0.0.0/8']) });
    let reloads = 0;
    live = new LiveNetworkIndex({ dirs: [dir], intervalMs: 20, onReload: () => reloads++ });
    const [a, b] = await Promise.all([live.refresh(), live.refresh()]);
    expect([a, b, reloads]).toEqual([true, true, 1]);
    live.start();
    live.stop();
    await writeFile(path.join(dir, 'a.txt'), listText('alpha', ['11.0.0.0/8']));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(reloads).toBe(1);
  });
});
