import { describe, expect, it } from 'vitest';
import { mulberry32 } from './seeded-random.js';
import { reportFacts, SCOPES } from './message-status.js';
import {
  addHit,
  counter,
  counterDelta,
  eventCounters,
  ENGAGEMENT_FACTS,
  flagBit,
  hasFlag,
  parseCounter,
  parseState,
  removeHitVerdict,
  serializeState,
  stateOf,
  stateTally,
  tallyMessage,
  type TallyEvent,
} from './report-counters.js';
import { VERDICTS } from './nhi/verdict.js';

const HOUR = 3_600_000;

/** A random message history: delivery facts, then hits of random verdicts at random times. */
function randomEvents(random: () => number, count: number, firstId = 1): TallyEvent[] {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const events: TallyEvent[] = [];
  for (let i = 0; i < count; i++) {
    const at = 1_700_000_000_000 + Math.floor(random() * 48) * HOUR + Math.floor(random() * 3) * 1000;
    const id = firstId + i;
    const kind = random();
    if (kind < 0.35) {
      const type = pick(['sending', 'sent', 'delivered', 'deferred', 'bounced', 'blocked', 'complained', 'unsubscribed'] as const);
      events.push({ id, type, at, source: pick(['smtp', 'webhook', 'dsn'] as const), bounceType: type === 'bounced' ? pick(['hard', 'soft'] as const) : null, reason: pick([null, 'userunknown', 'mailboxfull', 'suppressed']) });
    } else {
      events.push({
        id,
        type: random() < 0.5 ? 'opened' : 'clicked',
        at,
        source: 'pixel',
        method: random() < 0.05 ? 'HEAD' : 'GET',
        linkOrdinal: pick([0, 1, 2, 3]),
        verdict: pick(VERDICTS),
        reasons: random() < 0.3 ? [] : [pick(['net:apple-mpp', 'burst:multi-link', 'ua:self-named-bot'])],
      });
    }
  }
  return events;
}

describe('report counters: a message tally', () => {
  it('names counters that parse back, reasons with colons included', () => {
    expect(parseCounter(counter.why('opens', 'machine', 'net:apple-mpp'))).toEqual({ kind: 'why', parts: ['opens', 'machine', 'net:apple-mpp'] });
    expect(parseCounter(counter.reason('bounced-hard', 'userunknown'))).toEqual({ kind: 'reason', parts: ['bounced-hard', 'userunknown'] });
    expect(parseCounter(counter.hour(12, 'clicks', 'bot'))).toEqual({ kind: 'hour', parts: ['12', 'clicks', 'bot'] });
    expect(parseCounter(counter.hour(12, 'sent', null))).toEqual({ kind: 'hour', parts: ['12', 'sent'] });
    expect(parseCounter(counter.messages())).toEqual({ kind: 'messages', parts: [] });
  });

  it('keeps the flag bits where message_facts has them stored', () => {
    expect([flagBit('opened:all'), flagBit('clicked:all'), flagBit('opened:human'), flagBit('unsubscribedOpen:self'), flagBit('complained'), flagBit('unsubscribed')]).toEqual([
      1,
      2,
      16,
      2 ** 19,
      2 ** 20,
      2 ** 21,
    ]);
  });

  it('gives every message the status, reason and unique facts message-status.ts gives it', () => {
    const random = mulberry32(7);
    for (let run = 0; run < 500; run++) {
      const events = randomEvents(random, Math.floor(random() * 12));
      const facts = reportFacts(events);
      const tally = tallyMessage(events, 'gmail');
      expect(tally.status).toBe(facts.status);
      expect(tally.reason).toBe(facts.reason);
      expect(hasFlag(tally.flags, 'complained')).toBe(facts.complained);
      expect(hasFlag(tally.flags, 'unsubscribed')).toBe(facts.unsubscribed);
      for (const scope of SCOPES) {
        for (const fact of ENGAGEMENT_FACTS) {
          expect(hasFlag(tally.flags, `${fact}:${scope}`), `${fact}:${scope}`).toBe(facts.byScope[scope][fact]);
          expect(tally.counters.get(counter.fact(fact, scope)) ?? 0).toBe(facts.byScope[scope][fact] ? 1 : 0);
        }
      }
      expect(tally.counters.get(counter.messages())).toBe(1);
      expect(tally.counters.get(counter.status(facts.status))).toBe(1);
    }
  });

  it('counts hits, hours, links and reasons: probes and the honeypot never', () => {
    const at = 10 * HOUR;
    const events: TallyEvent[] = [
      { type: 'opened', at, source: 'pixel', method: 'GET', verdict: 'machine', reasons: ['net:apple-mpp'] },
      { type: 'opened', at, source: 'pixel', method: 'HEAD', verdict: 'bot', reasons: ['method:head'] },
      { type: 'clicked', at: at + HOUR, source: 'redirect', method: 'GET', linkOrdinal: 2, verdict: 'human', reasons: [] },
      { type: 'clicked', at: at + HOUR, source: 'redirect', method: 'GET', linkOrdinal: 2, verdict: 'human', reasons: [] },
      { type: 'clicked', at: at + HOUR, source: 'redirect', method: 'GET', linkOrdinal: 0, verdict: 'bot', reasons: ['honeypot'] },
    ];
    const c = tallyMessage(events, 'apple').counters;
    expect(c.get(counter.hits('opens', 'all'))).toBe(1);
    expect(c.get(counter.hits('opens', 'machine'))).toBe(1);
    expect(c.get(counter.hits('clicks', 'human'))).toBe(2);
    expect(c.get(counter.linkClicks(2, 'human'))).toBe(2);
    expect(c.get(counter.linkClicked(2, 'human'))).toBe(1);
    expect(c.get(counter.linkClicked(0, 'all'))).toBeUndefined();
    expect(c.get(counter.hour(10, 'opens', 'machine'))).toBe(1);
    expect(c.get(counter.hour(11, 'clicks', 'all'))).toBe(2);
    expect(c.get(counter.why('opens', 'machine', 'net:apple-mpp'))).toBe(1);
    expect(c.get(counter.why('clicks', 'human', 'none'))).toBe(2);
    expect(c.get(counter.provider('apple', 'clicked:human'))).toBe(1);
    expect(c.get(counter.provider('apple', 'status:clicked'))).toBe(1);
  });
});

describe('report counters: a state taking hits and revisions', () => {
  it('reaches the state and counters of the events it took, or says it cannot', () => {
    const random = mulberry32(11);
    let reread = 0;
    for (let run = 0; run < 800; run++) {
      const earlier = randomEvents(random, Math.floor(random() * 10));
      const state = parseState(serializeState(stateOf(earlier)));
      const before = tallyMessage(earlier, 'other').counters;
      const delta = new Map<string, number>();
      const stateBefore = stateTally(state, 'other').counters;
      // New hits, then revisions of earlier hits to another verdict.
      const added = randomEvents(random, Math.floor(random() * 5), 1000).filter((e) => e.type === 'opened' || e.type === 'clicked');
      for (const e of added) {
        addHit(state, e);
        eventCounters(e, delta);
      }
      let exact = true;
      const final = [...earlier, ...added].map((e) => ({ ...e }));
      for (const e of final.slice(0, earlier.length)) {
        if (!(e.type === 'opened' || e.type === 'clicked') || random() < 0.5) continue;
        const next = { ...e, verdict: VERDICTS[Math.floor(random() * VERDICTS.length)]!, reasons: ['burst:cross-recipient'] };
        eventCounters(e, delta, -1);
        eventCounters(next, delta);
        if (!removeHitVerdict(state, e)) exact = false;
        addHit(state, next, [next.verdict]);
        Object.assign(e, next);
      }
      const truth = stateOf(final);
      if (!exact) {
        reread++;
        continue;
      }
      expect(serializeState(state)).toBe(serializeState(truth));
      counterDelta(stateBefore, stateTally(state, 'other').counters, delta);
      const expected = counterDelta(before, tallyMessage(final, 'other').counters);
      const nonZero = (m: Map<string, number>) => new Map([...m].filter(([, v]) => v !== 0));
      expect(nonZero(delta)).toEqual(nonZero(expected));
    }
    // The fallback is for the rare case, not the rule.
    expect(reread).toBeGreaterThan(0);
    expect(reread).toBeLessThan(200);
  });
});
