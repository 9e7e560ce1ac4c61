import { describe, expect, it } from 'vitest';
import { parseCidr } from './cidr.js';
import { AddressBook } from './networks.js';
import { Rng } from './prng.js';
import { FAMILIES, familyScenarios, HUMAN_FAMILIES, SCANNER_FAMILIES, type Family } from './scenario-families.js';
import { parseScenarios, toJsonLines } from './scenario-schema.js';

const book = new AddressBook([parseCidr('172.224.224.0/24'), parseCidr('2a02:26f7::/32')]);
const make = (family: Family, seed = 5, count = 200) => familyScenarios(new Rng(seed), book, family, count);
const inRange = (ip: string, prefixes: readonly string[]) => prefixes.some((p) => ip.startsWith(p));

describe('scenario families', () => {
  it('are deterministic for a seed, valid scenarios, and tagged with their family', () => {
    for (const family of FAMILIES) {
      const text = toJsonLines(make(family));
      expect(toJsonLines(make(family))).toBe(text);
      expect(toJsonLines(make(family, 6))).not.toBe(text);
      const { scenarios, errors } = parseScenarios(text);
      expect(errors).toEqual([]);
      expect(scenarios).toHaveLength(200);
      expect(new Set(scenarios.map((s) => s.family))).toEqual(new Set([family]));
      expect(new Set(scenarios.map((s) => s.campaign))).toEqual(new Set([`family-${family}`]));
    }
  });

  it('scanner families are bot opens (and a few clicks); human families are people', () => {
    for (const family of SCANNER_FAMILIES) {
      const hits = make(family).flatMap((s) => s.hits);
      expect(new Set(hits.map((h) => h.truth)), family).toEqual(new Set(['bot']));
      expect(hits.filter((h) => h.kind === 'open')).toHaveLength(200);
    }
    for (const family of HUMAN_FAMILIES) expect(new Set(make(family).flatMap((s) => s.hits.map((h) => h.truth))), family).toEqual(new Set(['human']));
  });

  it('follow the public reports: Azure, reported user agents, opens seconds after send or before acceptance', () => {
    const azure = ['20.36.', '20.37.', '20.38.', '20.39.', '13.', '20.4', '52.22', '52.23'];
    const oldChrome = make('azure-old-chrome');
    for (const s of oldChrome) {
      const open = s.hits.find((h) => h.kind === 'open')!;
      expect(inRange(open.ip, azure), open.ip).toBe(true);
      const major = Number(/Chrome\/(\d+)\./.exec(open.ua!)![1]);
      expect((major >= 79 && major <= 97) || (major >= 113 && major <= 130)).toBe(true);
    }
    const delays = oldChrome.map((s) => s.hits[0]!.at - s.sentAt).sort((a, b) => a - b);
    expect(delays[Math.floor(delays.length / 2)]!).toBeLessThan(15_000);
    expect(make('azure-headless').every((s) => /HeadlessChrome\//.test(s.hits[0]!.ua!))).toBe(true);
    expect(make('blank-ua').every((s) => (s.hits[0]!.ua ?? '') === '')).toBe(true);
    expect(make('blank-ua').some((s) => s.hits[0]!.ip.startsWith('104.47.'))).toBe(true);
    expect(make('outlook-bare-webkit').every((s) => /AppleWebKit\/605\.1\.15 \(KHTML, like Gecko\)$/.test(s.hits[0]!.ua!))).toBe(true);
    expect(make('before-acceptance').every((s) => s.deliveredAt !== null && s.hits[0]!.at < s.deliveredAt)).toBe(true);
  });

  it('hard human cases: reads within a minute of delivery, old browsers, cloud addresses', () => {
    for (const s of make('fast-reader')) {
      const open = s.hits.find((h) => h.kind === 'open')!;
      expect(open.at - (s.deliveredAt ?? s.sentAt)).toBeLessThanOrEqual(62_000);
    }
    const old = make('managed-old-browser').flatMap((s) => s.hits);
    expect(old.every((h) => /Chrome\/(79|8\d|9\d)\.|Firefox\/(6[89]|[78]\d)\.|Trident\/7\.0/.test(h.ua!))).toBe(true);
    const cloud = ['3.', '54.', '18.', '20.', '13.', '52.', '34.', '35.', '167.99.'];
    expect(make('cloud-vpn').flatMap((s) => s.hits).every((h) => inRange(h.ip, cloud))).toBe(true);
  });
});
