/**
 * Every rate the product shows, each defined once with its denominator (docs/glossary.md, Rates;
 * Mailjet's definitions). A rate over an empty denominator is null ("no data"), never 0 or NaN.
 *
 * No rate can exceed 1: each numerator counts a subset of the messages its denominator counts, by
 * the definitions in message-status.ts (delivered, bounced and blocked are outcomes of sent or
 * attempted messages; opens and clicks prove delivery; a click is an open; the unsubscribe rate
 * counts only opened messages that unsubscribed).
 *
 * Mailjet divides blocked by its "sent", which counts every message it processed, blocked ones
 * included. Ours is what the relay accepted, which a blocked message never is: blocked over it
 * could exceed 1 (a campaign of blocked messages has 0 sent). The blocked rate divides by
 * `attempted` instead (every message a send was tried for: sent, with the relay, or blocked),
 * which is the quantity Mailjet's "sent" stands for there.
 */

export interface RateInputs {
  sent: number;
  /** Every message a send was tried for: sent, with the relay (sending), or blocked. */
  attempted: number;
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
    blockedRate: ratio(c.blocked, c.attempted),
    complaintRate: ratio(c.complained, c.sent),
    openRate: ratio(c.uniqueOpens, c.delivered),
    clickRate: ratio(c.uniqueClicks, c.delivered),
    clickToOpenRate: ratio(c.uniqueClicks, c.uniqueOpens),
    unsubscribeRate: ratio(c.unsubscribedOpens, c.uniqueOpens),
  };
}

/** The counts behind the funnel's rates that deriveRates does not give. */
export interface FunnelRateInputs {
  /** Every message created: the base of the funnel. */
  messages: number;
  sent: number;
  delivered: number;
  hardBounced: number;
  softBounced: number;
  /** Every unsubscribed message, one-click ones (which need no open) included. */
  unsubscribed: number;
}

export interface FunnelRates {
  /** Sent over every message created: how much of the campaign went out. */
  sentRate: number | null;
  /** Hard and soft bounces over sent, like bounceRate (their sum). */
  hardBounceRate: number | null;
  softBounceRate: number | null;
  /** Every unsubscribe over delivered; unsubscribeRate is the narrower one, opened messages only. */
  unsubscribedOfDeliveredRate: number | null;
}

/** The funnel's rates besides deriveRates', for the dashboard (which shows them) and whoever else needs them. */
export function deriveFunnelRates(c: FunnelRateInputs): FunnelRates {
  return {
    sentRate: ratio(c.sent, c.messages),
    hardBounceRate: ratio(c.hardBounced, c.sent),
    softBounceRate: ratio(c.softBounced, c.sent),
    unsubscribedOfDeliveredRate: ratio(c.unsubscribed, c.delivered),
  };
}
