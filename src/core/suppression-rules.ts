/**
 * The suppression rules: which delivery facts stop further sends to an address, for how long, and
 * how a new suppression combines with the one an address already has. Pure: the storage adapter
 * reads an address's history and its current entry, and writes what these functions decide.
 *
 * - a hard bounce suppresses for `hardBounceMs` (90 days, Mailjet's figure: long enough that a dead
 *   mailbox stops costing reputation, short enough that a recycled address comes back);
 * - a complaint and an unsubscribe suppress for good;
 * - soft bounces suppress for `softBounceMs` once `softBounceLimit` of the address's last
 *   `softBounceWindow` sends ended in one since its last delivery (Keila's 3 of 5); a delivery resets
 *   the count.
 */

export const SUPPRESSION_REASONS = ['hard-bounce', 'soft-bounces', 'complaint', 'unsubscribe', 'manual'] as const;
export type SuppressionReason = (typeof SUPPRESSION_REASONS)[number];

const REASON_SET: ReadonlySet<string> = new Set(SUPPRESSION_REASONS);
export function isSuppressionReason(value: string): value is SuppressionReason {
  return REASON_SET.has(value);
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** How long a hard-bounced address stays suppressed: 90 days (Mailjet), in milliseconds. */
export const HARD_BOUNCE_SUPPRESSION_MS = 90 * DAY_MS;
/** Soft bounces among the last SOFT_BOUNCE_WINDOW sends that suppress an address (Keila: 3 of 5). */
export const SOFT_BOUNCE_LIMIT = 3;
/** Sends to an address looked at by the soft-bounce rule. */
export const SOFT_BOUNCE_WINDOW = 5;
/**
 * How long repeated soft bounces suppress an address: 7 days. Soft reasons (a full mailbox, a server
 * refusing for a while, throttling) are temporary by definition, and a week outlasts most of them.
 * When it ends the next send probes the address: the bounces that suppressed it are still among its
 * last sends, so one more soft bounce suppresses it again at once, and a delivery clears it. Postal's
 * 30 days would hold back four weekly newsletters from a mailbox that was full for a day.
 */
export const SOFT_BOUNCE_SUPPRESSION_MS = 7 * DAY_MS;

export interface SuppressionSettings {
  hardBounceMs: number;
  softBounceLimit: number;
  softBounceWindow: number;
  softBounceMs: number;
}

export const DEFAULT_SUPPRESSION_SETTINGS: Readonly<SuppressionSettings> = Object.freeze({
  hardBounceMs: HARD_BOUNCE_SUPPRESSION_MS,
  softBounceLimit: SOFT_BOUNCE_LIMIT,
  softBounceWindow: SOFT_BOUNCE_WINDOW,
  softBounceMs: SOFT_BOUNCE_SUPPRESSION_MS,
});

/** A fact about one address that may change its suppression (other event types change nothing). */
export type SuppressionFact =
  | { type: 'bounced'; bounce: 'hard' | 'soft'; email: string; at: number; reason?: string | null }
  | { type: 'complained' | 'unsubscribed' | 'delivered'; email: string; at: number };

/**
 * How one send to an address ended, as far as the soft-bounce rule cares: a bounce (of either kind)
 * or a delivery; `none` when nothing is known yet (sent, no report).
 */
export type SendOutcome = 'delivered' | 'soft-bounce' | 'hard-bounce' | 'none';

/** A suppression to write: permanent when `expiresAt` is null. `why` is kept as the audit note. */
export interface ProposedSuppression {
  email: string;
  reason: SuppressionReason;
  expiresAt: number | null;
  why: string;
}

/** The address as stored and compared: lower-cased, trimmed. */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

/**
 * Soft bounces that count against an address: those among its last `window` sends (newest first,
 * the send at hand included) after its last delivery.
 */
export function softBouncesSinceDelivery(recentSends: readonly SendOutcome[], window: number): number {
  let count = 0;
  for (const outcome of recentSends.slice(0, window)) {
    if (outcome === 'delivered') break;
    if (outcome === 'soft-bounce') count++;
  }
  return count;
}

/**
 * The suppression a fact calls for, or null. `recentSends` (newest first, this send included) is
 * read only for a soft bounce.
 */
export function decideSuppression(fact: SuppressionFact, recentSends: readonly SendOutcome[], settings: SuppressionSettings): ProposedSuppression | null {
  const email = normalizeEmail(fact.email);
  switch (fact.type) {
    case 'complained':
      return { email, reason: 'complaint', expiresAt: null, why: 'complaint' };
    case 'unsubscribed':
      return { email, reason: 'unsubscribe', expiresAt: null, why: 'unsubscribe' };
    case 'delivered':
      // A delivery resets the soft-bounce count (read from the history); it lifts no suppression.
      return null;
    case 'bounced': {
      if (fact.bounce === 'hard') {
        return { email, reason: 'hard-bounce', expiresAt: fact.at + settings.hardBounceMs, why: fact.reason ? `hard bounce (${fact.reason})` : 'hard bounce' };
      }
      const count = softBouncesSinceDelivery(recentSends, settings.softBounceWindow);
      if (count < settings.softBounceLimit) return null;
      return {
        email,
        reason: 'soft-bounces',
        expiresAt: fact.at + settings.softBounceMs,
        why: `${count} soft bounces in the last ${Math.min(recentSends.length, settings.softBounceWindow)} sends since the last delivery`,
      };
    }
  }
}

/** An address's entry as it stands. */
export interface CurrentSuppression {
  reason: string;
  expiresAt: number | null;
}

export type SuppressionMerge = 'added' | 'extended' | 'unchanged';

/**
 * Whether a proposed suppression changes the address's entry at `now`: `added` when it has none in
 * force (none at all, or expired), `extended` when the proposal lasts longer than the entry in force
 * (permanent outlasts everything), `unchanged` otherwise. A stronger, longer suppression is never
 * replaced by a weaker, shorter one: a complaint's permanent entry outlives a later hard bounce. A
 * proposal that would already have ended changes nothing.
 */
export function mergeSuppression(current: CurrentSuppression | null, proposed: Pick<ProposedSuppression, 'expiresAt'>, now: number): SuppressionMerge {
  if (proposed.expiresAt !== null && proposed.expiresAt <= now) return 'unchanged';
  if (!current || !isActive(current, now)) return 'added';
  if (current.expiresAt === null) return 'unchanged';
  if (proposed.expiresAt === null || proposed.expiresAt > current.expiresAt) return 'extended';
  return 'unchanged';
}

/** Whether an entry blocks sends at `now`: permanent, or expiring later. No job ends it: time does. */
export function isActive(entry: { expiresAt: number | null }, now: number): boolean {
  return entry.expiresAt === null || entry.expiresAt > now;
}
