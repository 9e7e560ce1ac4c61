import { describe, expect, it } from 'vitest';
import { deriveRates } from './rates.js';

describe('deriveRates', () => {
  it('uses the documented denominators', () => {
    const rates = deriveRates({ sent: 200, delivered: 160, bounced: 40, blocked: 50, complained: 2, uniqueOpens: 80, uniqueClicks: 20, unsubscribed: 4 });
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
    const rates = deriveRates({ sent: 0, delivered: 0, bounced: 0, blocked: 0, complained: 0, uniqueOpens: 0, uniqueClicks: 0, unsubscribed: 0 });
    expect(Object.values(rates).every((r) => r === null)).toBe(true);
  });
});
