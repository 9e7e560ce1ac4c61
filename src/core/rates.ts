/**
 * Every rate the product shows, each defined once with its denominator (docs/glossary.md, Rates;
 * Mailjet's definitions). A rate over an empty denominator is null ("no data"), never 0 or NaN.
 *
 * No rate can exceed 1: each numerator counts a subset of the messages its denominator counts, by
 * the definitions in message-status.ts (delivered, bounced and blocked are outcomes of sent or
 * attempted messages; opens and clicks prove delivery; a click is an open; the unsubscribe rate
 * counts only opened messages that unsubscribed).
 */

export interface RateInputs {
  sent: number;
  delivered: number;
  bounced: number;
  blocked: number;
  complained: number;
  uniqueOpens: number;
  uniqueClicks: number;
  /** Unique opens whose message was also unsubscribed (not every unsubscribe: one-click needs no open). */
  unsubscribedOpens: number;
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
    unsubscribeRate: ratio(c.unsubscribedOpens, c.uniqueOpens),
  };
}
