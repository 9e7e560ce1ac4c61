/**
 * The small fixed scenario file through the real server (injected clock, inject()): every hit's
 * verdict is known exactly, and so are the reasons that decide the harder cases.
 */
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { replayScenarios, type HitResult } from '../eval/nhi/replay.js';
import { parseScenarios } from '../eval/nhi/scenario-schema.js';

const EXPECTED: Record<string, string[]> = {
  'm1-mpp-prefetch': ['machine', 'machine'],
  'm2-gmail-proxy-open': ['human', 'human'],
  'm3-scanner-burst-head': ['bot', 'bot', 'bot', 'bot', 'bot', 'bot', 'bot'],
  'm4-honeypot': ['bot', 'bot', 'human'],
  'm5-safe-links-then-person': ['bot', 'bot', 'bot', 'human', 'human'],
  'm6-single-link-fast-mobile': ['human', 'human'],
  'm7-cross-recipient-1': ['bot'],
  'm8-cross-recipient-2': ['bot', 'human'],
  'm9-cross-recipient-3': ['bot'],
  'm10-click-before-delivery': ['bot', 'bot'],
  'm11-self-seed': ['self', 'self', 'self', 'self'],
  'm12-multi-recipient': ['machine', 'human', 'human'],
  'm13-corporate-nat-1': ['human', 'human'],
  'm14-corporate-nat-2': ['human'],
  'm15-corporate-nat-3': ['human', 'human'],
  'm16-gmail-prefetch': ['machine', 'human'],
  'm17-slack-unfurl-after-forward': ['human', 'human', 'bot', 'human'],
  'm18-safari-private-relay': ['machine', 'human'],
  'm19-script-and-unsubscribe-page': ['bot', 'bot'],
};

// The same verdicts whether hits are classified and written on the writer thread or inline.
describe.each(['thread', 'inline'] as const)('the fixed NHI scenarios (hit writer: %s)', (hitWriter) => {
  let hits: HitResult[];
  const of = (message: string) => hits.filter((h) => h.message === message);

  beforeAll(async () => {
    const { scenarios, errors } = parseScenarios(readFileSync('test/fixtures/nhi/small.jsonl', 'utf8'));
    expect(errors).toEqual([]);
    const result = await replayScenarios(scenarios, { selfNetworks: ['192.0.2.0/24'], hitWriter });
    expect(result.unexpected).toEqual([]);
    hits = result.hits;
  });

  it('gives every hit its exact expected verdict', () => {
    const actual: Record<string, string[]> = {};
    for (const h of hits) (actual[h.message] ??= []).push(h.verdict);
    expect(actual).toEqual(EXPECTED);
    // The expectations are the scenario's own ground truth.
    for (const h of hits) expect(h.verdict, `${h.message} at ${h.hit.at}`).toBe(h.hit.truth);
  });

  it('says why, for the cases that take more than one hit to decide', () => {
    expect(of('m1-mpp-prefetch')[0]!.reasons).toEqual(['ua:bare-mozilla', 'net:apple-mpp']);
    expect(of('m2-gmail-proxy-open')[0]!.reasons).toEqual(['proxy:gmail']);
    expect(of('m3-scanner-burst-head')[1]!.reasons).toEqual(expect.arrayContaining(['method:head', 'burst:multi-link', 'net:microsoft-eop']));
    expect(of('m3-scanner-burst-head')[0]!.reasons).toContain('burst:scanner-open');
    expect(of('m4-honeypot').slice(0, 2).every((h) => h.reasons.includes('honeypot'))).toBe(true);
    expect(of('m5-safe-links-then-person')[4]!.reasons).toEqual(['referer:gateway']);
    for (const m of ['m7-cross-recipient-1', 'm8-cross-recipient-2', 'm9-cross-recipient-3']) expect(of(m)[0]!.reasons).toContain('burst:cross-recipient');
    // Revised when the delivery report arrived after the clicks.
    expect(of('m10-click-before-delivery').every((h) => h.reasons.includes('timing:before-delivery'))).toBe(true);
    expect(of('m11-self-seed').every((h) => h.reasons.join() === 'net:self')).toBe(true);
    expect(of('m16-gmail-prefetch')[0]!.reasons).toEqual(['ua:gmail-prefetch']);
    expect(of('m17-slack-unfurl-after-forward')[2]!.reasons).toContain('ua:self-named-bot');
  });
});
