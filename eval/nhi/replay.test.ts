/** Smoke test through the real server: every replayed hit is recorded and matched back to its event. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseCidrList } from './cidr.js';
import { generateScenarios } from './generate-scenarios.js';
import { SENDER_OFFICE_NETWORK } from './networks.js';
import { executionHtml, replayScenarios } from './replay.js';
import { parseScenarios, type Scenario } from './scenario-schema.js';

const FIXTURE = new URL('../../test/fixtures/nhi/small.jsonl', import.meta.url);

function expectAllMatched(scenarios: readonly Scenario[], result: Awaited<ReturnType<typeof replayScenarios>>): void {
  expect(result.unexpected).toEqual([]);
  const replayed = scenarios.flatMap((s) => [...s.hits].sort((a, b) => a.at - b.at).map((hit) => ({ message: s.message, hit })));
  expect(result.hits.map((r) => ({ message: r.message, hit: r.hit }))).toEqual(replayed);
  for (const r of result.hits) {
    expect(['human', 'machine', 'bot', 'self']).toContain(r.verdict);
    expect(Array.isArray(r.reasons)).toBe(true);
  }
}

describe('replayScenarios', () => {
  it('replays the hand-written fixture: every hit recorded and matched', async () => {
    const { scenarios, errors } = parseScenarios(readFileSync(FIXTURE, 'utf8'));
    expect(errors).toEqual([]);
    expect(scenarios.length).toBeGreaterThanOrEqual(12);
    const result = await replayScenarios(scenarios, { selfNetworks: [SENDER_OFFICE_NETWORK] });
    expectAllMatched(scenarios, result);
    expect(result.hits.filter((r) => r.hit.kind === 'click' && r.hit.method === 'HEAD')).toHaveLength(3);
    expect(result.hits.filter((r) => r.hit.link === 'honeypot')).toHaveLength(1);
    expect(result.hits.filter((r) => r.hit.kind === 'unsubscribe-page')).toHaveLength(1);
  });

  it('replays generated traffic: two campaigns of one name split by honeypot, null user agents, IPv6', async () => {
    const appleEgress = parseCidrList('104.28.121.32/27\n2606:54c0::/35');
    const generated = generateScenarios({ seed: 4, messages: 120, appleEgress });
    // One campaign name with and without a honeypot must become two server campaigns.
    const scenarios = generated.map((s, i) => (i < 2 ? { ...s, campaign: 'shared-name', honeypot: i === 0, hits: s.hits.filter((h) => h.link !== 'honeypot') } : s));
    const honeypotHit = { at: scenarios[0]!.sentAt + 30_000, kind: 'click' as const, link: 'honeypot' as const, method: 'GET' as const, ip: '40.107.3.4', ua: 'python-requests/2.31.0', headers: {}, truth: 'bot' as const };
    scenarios[0] = { ...scenarios[0]!, hits: [...scenarios[0]!.hits, honeypotHit] };
    scenarios.push({ ...scenarios[2]!, message: 'no-ua', hits: [{ at: scenarios[2]!.sentAt + 5000, kind: 'open', method: 'GET', ip: '2001:db8::7', ua: null, headers: {}, truth: 'bot' }] });
    const result = await replayScenarios(scenarios, { selfNetworks: [SENDER_OFFICE_NETWORK] });
    expectAllMatched(scenarios, result);
    expect(result.hits.length).toBe(scenarios.reduce((n, s) => n + s.hits.length, 0));
    expect(result.requests).toBeGreaterThan(result.hits.length);
  });

  it('builds one anchor per link, in order, with escaped URLs', () => {
    expect(executionHtml(['https://a.example/?x=1&y="2"', 'https://b.example/<p>'])).toContain(
      '<p><a href="https://a.example/?x=1&amp;y=&quot;2&quot;">Link 1</a></p>\n<p><a href="https://b.example/&lt;p&gt;">Link 2</a></p>',
    );
  });
});
