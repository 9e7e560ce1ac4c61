/**
 * Why a message did not reach (or came back from) a mailbox: the reason taxonomy of
 * ../reference/delivery.md (sisimai's names, which the labelled corpus uses), and the one rule that
 * says which reasons are hard bounces. Grouped as the glossary explains them.
 */

/** The recipient's side: the address or mailbox itself. */
export const RECIPIENT_REASONS = ['userunknown', 'hostunknown', 'hasmoved', 'mailboxfull', 'suspend', 'filtered', 'exceedlimit', 'mesgtoobig'] as const;
/** The receiving system's side. */
export const RECEIVER_REASONS = [
  'notaccept',
  'systemerror',
  'systemfull',
  'networkerror',
  'expired',
  'toomanyconn',
  'mailererror',
  'failedstarttls',
  'syntaxerror',
] as const;
/** The sender's side: reputation, content, authentication, policy. */
export const SENDER_REASONS = [
  'blocked',
  'badreputation',
  'spamdetected',
  'virusdetected',
  'policyviolation',
  'authfailure',
  'requireptr',
  'rejected',
  'norelaying',
  'notcompliantrfc',
  'contenterror',
  'securityerror',
  'speeding',
  'suppressed',
] as const;
/** Reports that are not failures: a complaint (ARF), an auto-reply, a success DSN, a delay, or nothing known. */
export const OTHER_REASONS = ['feedback', 'vacation', 'delivered', 'onhold', 'undefined'] as const;

export const BOUNCE_REASONS = [...RECIPIENT_REASONS, ...RECEIVER_REASONS, ...SENDER_REASONS, ...OTHER_REASONS] as const;
export type BounceReason = (typeof BOUNCE_REASONS)[number];

const BOUNCE_REASON_SET: ReadonlySet<string> = new Set(BOUNCE_REASONS);
export function isBounceReason(value: string): value is BounceReason {
  return BOUNCE_REASON_SET.has(value);
}

/** The reasons that make a bounce hard: the address will never work, so sending again only hurts. */
const HARD_REASONS: ReadonlySet<BounceReason> = new Set(['userunknown', 'hostunknown', 'hasmoved', 'notaccept']);

/**
 * Whether a bounce is hard. The reason decides, not the code's class (4xx for unknown users and
 * 5.7.1 for anything are common): an unknown user is hard even behind a 450. The one exception,
 * after delivery.md: `notaccept` (a domain that accepts no mail, null MX) is hard only when the
 * answer was permanent; a temporary one may be a server briefly refusing.
 */
export function isHardBounce(reason: BounceReason, replyCode: number | null, status: string | null): boolean {
  if (!HARD_REASONS.has(reason)) return false;
  if (reason !== 'notaccept') return true;
  const temporary = (replyCode !== null && replyCode >= 400 && replyCode < 500) || (status !== null && status.startsWith('4.'));
  return !temporary;
}
