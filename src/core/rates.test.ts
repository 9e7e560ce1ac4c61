import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { reportFacts, SCOPES, type ReportFacts, type Scope, type StatusEvent } from './message-status.js';
import { VERDICTS } from './nhi/verdict.js';
import { deriveFunnelRates, deriveRates, type FunnelRateInputs, type RateInputs } from './rates.js';

describe('deriveRates', () => {
  it('uses the documented denominators', () => {
    // 200 sent and 50 blocked: 250 attempted.
    const rates = deriveRates({ sent: 200, attempted: 250, delivered: 160, bounced: 40, blocked: 50, complained: 2, uniqueOpens: 80, uniqueClicks: 20, unsubscribedOpens: 4 });
    expect(rates).toEqual({
      deliveryRate: 0.8,
      bounceRate: 0.2,
      blockedRate: 0.2,
      complaintRate: 0.01,
      openRate: 0.5,
      clickRate: 0.125,
      clickToOpenRate: 0.25,
      unsubscribeRate: 0.05,
    });
  });

  it('returns null, not 0 or NaN, over an empty denominator', () => {
    const rates = deriveRates({ sent: 0, attempted: 0, delivered: 0, bounced: 0, blocked: 0, complained: 0, uniqueOpens: 0, uniqueClicks: 0, unsubscribedOpens: 0 });
    expect(Object.values(rates).every((r) => r === null)).toBe(true);
  });
});

describe('deriveRates over the facts of any campaign', () => {
  const KINDS: readonly Omit<StatusEvent, 'at' | 'verdict'>[] = [
    { type: 'queued' },
    { type: 'sending' },
    { type: 'sent' },
    { type: 'delivered' },
    { type: 'deferred' },
    { type: 'bounced', bounceType: 'hard' },
    { type: 'bounced', bounceType: 'soft' },
    { type: 'blocked' },
    { type: 'complained' },
    { type: 'unsubscribed', method: 'POST' },
    { type: 'opened', method: 'GET' },
    { type: 'opened', method: 'HEAD' },
    { type: 'clicked', method: 'GET', linkOrdinal: 1 },
    { type: 'clicked', method: 'GET', linkOrdinal: 0 },
    { type: 'clicked', method: 'HEAD', linkOrdinal: 2 },
    { type: 'unsubscribe_page', method: 'GET' },
  ];
  const event = fc
    .record({ kind: fc.constantFrom(...KINDS), at: fc.integer({ min: 0, max: 1_000 }), verdict: fc.constantFrom(null, ...VERDICTS) })
    .map(({ kind, at, verdict }): StatusEvent => ({ ...kind, at, verdict: kind.method ? verdict : null }));
  const campaign = fc.array(fc.array(event, { maxLength: 6 }), { minLength: 1, maxLength: 12 });

  /** Sums the messages' facts the way the report does (outcomes over all hits, engagement per scope). */
  function inputs(facts: readonly ReportFacts[], scope: Scope): RateInputs {
    const count = (has: (f: ReportFacts) => boolean) => facts.filter(has).length;
    return {
      sent: count((f) => f.sent),
      attempted: count((f) => f.attempted),
      delivered: count((f) => f.delivered),
      bounced: count((f) => f.hardBounced || f.softBounced),
      blocked: count((f) => f.blocked),
      complained: count((f) => f.complained),
      uniqueOpens: count((f) => f.byScope[scope].opened),
      uniqueClicks: count((f) => f.byScope[scope].clicked),
      unsubscribedOpens: count((f) => f.byScope[scope].unsubscribedOpen),
    };
  }

  it('never gives a rate above 1 (nor below 0), for all hits and for each verdict', () => {
    fc.assert(
      fc.property(campaign, (messages) => {
        const facts = messages.map(reportFacts);
        for (const scope of SCOPES) {
          for (const [name, rate] of Object.entries(deriveRates(inputs(facts, scope)))) {
            if (rate !== null) expect(rate, `${scope} ${name}`).toBeGreaterThanOrEqual(0);
            if (rate !== null) expect(rate, `${scope} ${name}`).toBeLessThanOrEqual(1);
          }
        }
      }),
      { numRuns: 200 },
    );
  });

  it('divides blocked messages by the attempted ones: a campaign of blocked messages has a blocked rate of 1, not null', () => {
    const messages: StatusEvent[][] = [[{ type: 'blocked', at: 1, reason: 'unsubscribed' }], [{ type: 'blocked', at: 1 }], [{ type: 'sending', at: 1 }], [{ type: 'queued', at: 1 }]];
    const rates = deriveRates(inputs(messages.map(reportFacts), 'all'));
    expect(rates.blockedRate).toBeCloseTo(2 / 3);
    // Nothing accepted by the relay yet: no delivery, bounce or complaint rate.
    expect(rates.deliveryRate).toBeNull();
  });

  it('counts an opened message as delivered: one delivery report and two opened messages is an open rate of 1', () => {
    const messages: StatusEvent[][] = [
      [{ type: 'delivered', at: 1 }, { type: 'opened', method: 'GET', at: 2 }],
      [{ type: 'opened', method: 'GET', at: 3 }],
    ];
    expect(deriveRates(inputs(messages.map(reportFacts), 'all')).openRate).toBe(1);
  });
});

describe('deriveFunnelRates', () => {
  it('uses the documented denominators', () => {
    expect(deriveFunnelRates({ messages: 250, sent: 200, delivered: 160, hardBounced: 30, softBounced: 10, unsubscribed: 8 })).toEqual({
      sentRate: 0.8,
      hardBounceRate: 0.15,
      softBounceRate: 0.05,
      unsubscribedOfDeliveredRate: 0.05,
    });
  });

  it('returns null, not 0 or NaN, over an empty denominator', () => {
    const rates = deriveFunnelRates({ messages: 0, sent: 0, delivered: 0, hardBounced: 0, softBounced: 0, unsubscribed: 0 });
    expect(Object.values(rates).every((r) => r === null)).toBe(true);
  });

  it('splits the bounce rate: hard and soft add up to deriveRates\' bounceRate', () => {
    const counts = { sent: 200, attempted: 200, delivered: 150, bounced: 50, blocked: 0, complained: 0, uniqueOpens: 0, uniqueClicks: 0, unsubscribedOpens: 0 };
    const funnel = deriveFunnelRates({ messages: 200, sent: 200, delivered: 150, hardBounced: 35, softBounced: 15, unsubscribed: 0 });
    expect(funnel.hardBounceRate! + funnel.softBounceRate!).toBeCloseTo(deriveRates(counts).bounceRate!);
  });

  it('never gives a sent or bounce rate above 1 over the facts of any campaign', () => {
    const KINDS: readonly StatusEvent[] = [
      { type: 'queued', at: 1, verdict: null },
      { type: 'sending', at: 1, verdict: null },
      { type: 'sent', at: 2, verdict: null },
      { type: 'delivered', at: 3, verdict: null },
      { type: 'bounced', bounceType: 'hard', at: 3, verdict: null },
      { type: 'bounced', bounceType: 'soft', at: 3, verdict: null },
      { type: 'blocked', at: 1, verdict: null },
    ];
    fc.assert(
      fc.property(fc.array(fc.array(fc.constantFrom(...KINDS), { maxLength: 4 }), { minLength: 1, maxLength: 12 }), (messages) => {
        const facts = messages.map(reportFacts);
        const count = (has: (f: ReportFacts) => boolean) => facts.filter(has).length;
        const inputs: FunnelRateInputs = {
          messages: facts.length,
          sent: count((f) => f.sent),
          delivered: count((f) => f.delivered),
          hardBounced: count((f) => f.hardBounced),
          softBounced: count((f) => f.softBounced),
          unsubscribed: count((f) => f.unsubscribed),
        };
        const rates = deriveFunnelRates(inputs);
        for (const rate of [rates.sentRate, rates.hardBounceRate, rates.softBounceRate]) if (rate !== null) expect(rate).toBeLessThanOrEqual(1);
      }),
      { numRuns: 200 },
    );
  });
});
