import { describe, expect, it } from 'vitest';
import { deriveRates, type RateInputs } from './rates.js';
import {
  BOUNCE_RATE_WARNING,
  COMPLAINT_RATE_CRITICAL,
  COMPLAINT_RATE_WARNING,
  deliverabilityWarnings,
  MIN_SENT_FOR_WARNINGS,
  percent,
} from './warnings.js';

const NOTHING: RateInputs = { sent: 0, attempted: 0, delivered: 0, bounced: 0, blocked: 0, complained: 0, uniqueOpens: 0, uniqueClicks: 0, unsubscribedOpens: 0 };

/** The warnings of a campaign with these counts, the rates computed as the report computes them. */
function warningsFor(sent: number, counts: Partial<RateInputs>) {
  const inputs = { ...NOTHING, sent, attempted: sent, ...counts };
  return deliverabilityWarnings(deriveRates(inputs), inputs);
}
const levels = (sent: number, counts: Partial<RateInputs>) => warningsFor(sent, counts).map((w) => `${w.code}:${w.level}`);

describe('deliverabilityWarnings', () => {
  it('uses the thresholds users are taught, as fractions', () => {
    expect([BOUNCE_RATE_WARNING, COMPLAINT_RATE_WARNING, COMPLAINT_RATE_CRITICAL, MIN_SENT_FOR_WARNINGS]).toEqual([0.08, 0.001, 0.003, 100]);
  });

  it('warns of a bounce rate above 8% of sent, not at 8% exactly', () => {
    expect(levels(10_000, { bounced: 800 })).toEqual([]);
    expect(levels(100, { bounced: 8 })).toEqual([]);
    expect(levels(10_000, { bounced: 801 })).toEqual(['bounce-rate:warning']);
    expect(levels(100, { bounced: 9 })).toEqual(['bounce-rate:warning']);
    expect(warningsFor(10_000, { bounced: 801 })[0]).toMatchObject({ rate: 0.0801, threshold: 0.08, message: expect.stringMatching(/^bounce rate 8\.01% of sent is above 8%/) });
  });

  it('warns of a complaint rate above 0.1%, not at 0.1% exactly', () => {
    expect(levels(100_000, { complained: 100 })).toEqual([]);
    expect(levels(1_000, { complained: 1 })).toEqual([]);
    expect(levels(100_000, { complained: 101 })).toEqual(['complaint-rate:warning']);
    expect(levels(999, { complained: 1 })).toEqual(['complaint-rate:warning']);
    expect(warningsFor(100_000, { complained: 101 })[0]).toMatchObject({ level: 'warning', rate: 0.00101, threshold: 0.001, message: expect.stringMatching(/^complaint rate 0\.101% of sent is above 0\.1%/) });
  });

  it('is critical from 0.3% on, the 0.3% itself included, and then gives the critical warning alone', () => {
    expect(levels(100_000, { complained: 299 })).toEqual(['complaint-rate:warning']);
    expect(levels(100_000, { complained: 300 })).toEqual(['complaint-rate:critical']);
    expect(levels(1_000, { complained: 3 })).toEqual(['complaint-rate:critical']);
    expect(levels(1_000, { complained: 2 })).toEqual(['complaint-rate:warning']);
    const [critical] = warningsFor(1_000, { complained: 3 });
    expect(critical).toMatchObject({ code: 'complaint-rate', level: 'critical', rate: 0.003, threshold: 0.003, message: expect.stringMatching(/Gmail says never reach 0\.3%/) });
  });

  it('gives both rates their warning when both pass', () => {
    expect(levels(1_000, { bounced: 100, complained: 5 })).toEqual(['bounce-rate:warning', 'complaint-rate:critical']);
  });

  it(`gives none under ${MIN_SENT_FOR_WARNINGS} sent, however high the rates, and from ${MIN_SENT_FOR_WARNINGS} on`, () => {
    expect(levels(MIN_SENT_FOR_WARNINGS - 1, { bounced: 50, complained: 10 })).toEqual([]);
    expect(levels(MIN_SENT_FOR_WARNINGS, { bounced: 50, complained: 10 })).toEqual(['bounce-rate:warning', 'complaint-rate:critical']);
    // Blocked messages were not sent: they neither count towards the minimum nor are they bounces.
    expect(levels(10, { attempted: 1_000, blocked: 990, bounced: 5 })).toEqual([]);
  });

  it('gives none without data (null rates)', () => {
    expect(deliverabilityWarnings({ bounceRate: null, complaintRate: null }, { sent: 1_000 })).toEqual([]);
  });
});

describe('percent', () => {
  it('writes a fraction with two decimals (three under 1%) and no trailing zeros', () => {
    expect([0.08, 0.0801, 0.001, 0.00101, 0.003, 0.1, 1, 0].map(percent)).toEqual(['8%', '8.01%', '0.1%', '0.101%', '0.3%', '10%', '100%', '0%']);
  });
});
