/**
 * Every rate the product shows, each defined once with its denominator (docs/glossary.md).
 * A rate over an empty denominator is null ("no data"), never 0 or NaN.
 */

export interface RateInputs {
  sent: number;
  delivered: number;
  bounced: number;
  blocked: number;
  complained: number;
  uniqueOpens: number;
  uniqueClicks: number;
  unsubscribed: number;
}

export interface Rates {
  deliveryRate: number | null;
  bounceRate: number | null;
  blockedRate: number | null;
  complaintRate: number | null;
  openRate: number | null;
  clickRate: number | null;
  clickToOpenRate: number | null;
  unsubscribeRate: number | null;
}

export function ratio(numerator: number, denominator: number): number | null {
  return denominator > 0 ? numerator / denominator : null;
}

export function deriveRates(c: RateInputs): Rates {
  return {
    deliveryRate: ratio(c.delivered, c.sent),
    bounceRate: ratio(c.bounced, c.sent),
    // Blocked messages were never sent, so they are counted against all attempts.
    blockedRate: ratio(c.blocked, c.sent + c.blocked),
    complaintRate: ratio(c.complained, c.sent),
    openRate: ratio(c.uniqueOpens, c.delivered),
    clickRate: ratio(c.uniqueClicks, c.delivered),
    clickToOpenRate: ratio(c.uniqueClicks, c.uniqueOpens),
    unsubscribeRate: ratio(c.unsubscribed, c.uniqueOpens),
  };
}
