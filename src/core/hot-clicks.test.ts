import { describe, expect, test } from 'vitest';
import { campaignHotClicks, executionHotClicks, sumShares } from './hot-clicks.js';
import { counter } from './report-counters.js';

/** Counters of an execution: per ordinal, [unique human, total human, unique all, total all]. */
function counters(byOrdinal: Record<number, [number, number, number, number]>): Map<string, number> {
  const map = new Map<string, number>();
  for (const [ordinal, [uh, th, ua, ta]] of Object.entries(byOrdinal)) {
    map.set(counter.linkClicked(Number(ordinal), 'human'), uh);
    map.set(counter.linkClicks(Number(ordinal), 'human'), th);
    map.set(counter.linkClicked(Number(ordinal), 'all'), ua);
    map.set(counter.linkClicks(Number(ordinal), 'all'), ta);
    map.set(counter.linkClicks(Number(ordinal), 'bot'), ta - th);
  }
  return map;
}

const link = (ordinal: number, url: string, condition: string | null = null) => ({ ordinal, url, condition, part: 'html' as const });

describe('executionHotClicks', () => {
  const links = [link(0, 'https://x.example/trap'), link(1, 'https://x.example/a'), link(2, 'https://x.example/a', 'vip'), link(3, 'https://x.example/b', 'eu')];
  const counts = counters({ 0: [0, 0, 5, 9], 1: [2, 3, 3, 6], 2: [1, 1, 1, 2], 3: [0, 0, 1, 2] });

  test('per occurrence, never the honeypot; shares of the execution human and all clicks', () => {
    const hot = executionHotClicks(links, counts, { kind: 'all' });
    expect(hot.links.map((l) => l.ordinal)).toEqual([1, 2, 3]);
    expect(hot.totals.human).toBe(4);
    expect(hot.totals.all).toBe(10);
    expect(hot.totals.bot).toBe(6);
    expect(hot.links[0]!.clicks.unique.human).toBe(2);
    expect(hot.links[0]!.share).toEqual({ human: 0.75, all: 0.6 });
    expect(hot.links[2]!.share).toEqual({ human: 0, all: 0.2 });
    expect(hot.shownShare).toEqual({ human: 1, all: 1 });
  });

  test('a condition view shows its blocks and the unconditional links; shares stay of all the clicks', () => {
    const hot = executionHotClicks(links, counts, { kind: 'conditions', labels: new Set(['vip']) });
    expect(hot.links.map((l) => l.ordinal)).toEqual([1, 2]);
    expect(hot.links[1]!.share).toEqual({ human: 0.25, all: 0.2 });
    expect(hot.shownShare.all).toBeCloseTo(0.8);
  });

  test('no clicks: shares are null, not 0 or NaN', () => {
    const hot = executionHotClicks(links, new Map(), { kind: 'all' });
    expect(hot.links[0]!.share).toEqual({ human: null, all: null });
    expect(hot.shownShare).toEqual({ human: null, all: null });
  });
});

test('sumShares adds the shares it has', () => {
  expect(sumShares([{ human: 0.5, all: null }, { human: 0.25, all: null }])).toEqual({ human: 0.75, all: null });
});

describe('campaignHotClicks', () => {
  test('occurrences matched to the last execution are summed; the rest are their own rows', () => {
    const first = { executionId: 1, links: [link(1, 'https://x.example/a'), link(2, 'https://x.example/old')], counters: counters({ 1: [1, 1, 1, 1], 2: [1, 2, 1, 2] }) };
    const second = { executionId: 2, links: [link(1, 'https://x.example/new'), link(2, 'https://x.example/a'), link(3, 'https://x.example/z')], counters: counters({ 1: [0, 0, 1, 1], 2: [2, 3, 2, 3] }) };
    const hot = campaignHotClicks([first, second]);
    expect(hot.referenceExecutionId).toBe(2);
    expect(hot.totals.all).toBe(7);
    const a = hot.links.find((row) => row.link.ordinal === 2)!;
    expect(a.clicks.total.all).toBe(4);
    expect(a.clicks.unique.human).toBe(3);
    expect(a.share.all).toBeCloseTo(4 / 7);
    expect(a.matches.map((m) => [m.executionId, m.ordinal, m.how])).toEqual([[1, 1, 'same-url-nearest-position'], [2, 2, 'reference']]);
    // "old" sat at place 2 of 2; the reference's place 2 is "a", taken by URL: old matches nothing.
    const z = hot.links.find((row) => row.link.ordinal === 3)!;
    expect(z.matches.map((m) => m.how)).toEqual(['reference']);
    expect(hot.unmatched.map((row) => [row.executionId, row.link.url, row.matches[0]!.how])).toEqual([[1, 'https://x.example/old', 'unmatched']]);
    const shares = [...hot.links, ...hot.unmatched].map((row) => row.share.all ?? 0);
    expect(shares.reduce((x, y) => x + y, 0)).toBeCloseTo(1);
  });

  test('a campaign without executions has nothing', () => {
    expect(campaignHotClicks([])).toMatchObject({ referenceExecutionId: null, links: [], unmatched: [] });
  });
});
