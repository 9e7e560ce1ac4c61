import { describe, expect, it } from 'vitest';
import { CidrSet, parseCidr, parseCidrList } from './cidr.js';
import { generateScenarios, summarize } from './generate-scenarios.js';
import { SENDER_OFFICE_NETWORK } from './networks.js';
import { parseScenarios, toJsonLines, VERDICTS } from './scenario-schema.js';

/** A few entries of Apple's egress list, so that the test does not depend on the snapshot file. */
const appleEgress = parseCidrList(['104.28.121.32/27', '172.226.50.24/29', '146.75.160.0/22', '2606:54c0::/35', '2a02:26f7:d199:4000::/64'].join('\n'));
const appleIps = new CidrSet(appleEgress);
const generate = (seed: number, messages: number) => generateScenarios({ seed, messages, appleEgress });

describe('generateScenarios', () => {
  const sample = generate(11, 2500);

  it('is deterministic for a seed and differs across seeds', () => {
    expect(toJsonLines(generate(5, 300))).toBe(toJsonLines(generate(5, 300)));
    expect(toJsonLines(generate(6, 300))).not.toBe(toJsonLines(generate(5, 300)));
  });

  it('writes exactly the requested messages, every line valid', () => {
    expect(sample).toHaveLength(2500);
    const parsed = parseScenarios(toJsonLines(sample));
    expect(parsed.errors).toEqual([]);
    expect(parsed.scenarios).toEqual(sample);
  });

  it('labels every class on opens and clicks, in realistic shares', () => {
    const hits = sample.flatMap((s) => s.hits);
    for (const truth of VERDICTS) expect(hits.some((h) => h.truth === truth), truth).toBe(true);
    const clicks = hits.filter((h) => h.kind === 'click');
    const opens = hits.filter((h) => h.kind === 'open');
    const botShare = clicks.filter((h) => h.truth === 'bot').length / clicks.length;
    const machineShare = opens.filter((h) => h.truth === 'machine').length / opens.length;
    expect(botShare).toBeGreaterThan(0.25);
    expect(botShare).toBeLessThan(0.8);
    expect(machineShare).toBeGreaterThan(0.3);
    expect(machineShare).toBeLessThan(0.55);
    expect(summarize(sample)).toMatch(/^nhi-gen: 2500 messages, \d+ hits; opens: human \d+/);
  });

  it('covers the situations of the field notes', () => {
    const self = new CidrSet([parseCidr(SENDER_OFFICE_NETWORK)]);
    const hits = sample.flatMap((s) => s.hits.map((h) => ({ s, h })));
    const some = (name: string, test: (x: (typeof hits)[number]) => boolean) => expect(hits.some(test), name).toBe(true);
    some('HEAD probes', ({ h }) => h.method === 'HEAD' && h.truth === 'bot');
    some('honeypot hits', ({ h }) => h.link === 'honeypot');
    some('clicks before delivery', ({ s, h }) => h.kind === 'click' && s.deliveredAt !== null && h.at < s.deliveredAt);
    some('MPP over IPv6', ({ h }) => h.truth === 'machine' && h.ua === 'Mozilla/5.0' && h.ip.includes(':'));
    some('Gmail prefetch', ({ h }) => h.truth === 'machine' && (h.ua ?? '').includes('Chrome/42.0.2311.135'));
    some('Gmail proxy opens', ({ h }) => h.truth === 'human' && (h.ua ?? '').includes('GoogleImageProxy'));
    some('Safe Links referers', ({ h }) => h.truth === 'human' && (h.headers['referer'] ?? '').includes('safelinks'));
    some('self-named scanners', ({ h }) => h.truth === 'bot' && /python-requests|Barracuda|HeadlessChrome|Slackbot|Existence Discovery/.test(h.ua ?? ''));
    some('human clicks from Apple egress', ({ h }) => h.truth === 'human' && h.kind === 'click' && (h.ua ?? '').includes('Safari/604.1') && appleIps.has(h.ip));
    expect(hits.filter(({ h }) => h.truth === 'self').every(({ h }) => self.has(h.ip))).toBe(true);
    expect(sample.some((s) => s.recipients > 1)).toBe(true);
    expect(sample.some((s) => s.links.length === 1)).toBe(true);
    expect(sample.some((s) => s.deliveredAt === null)).toBe(true);
  });
});
