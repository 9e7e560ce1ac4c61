/**
 * What a provider's bounce text says, for the providers that pass the remote server's reply through
 * as free text (Postmark's Details, Mailjet's comment, Brevo's reason): the SMTP reply code and the
 * enhanced status code when the text quotes them ("550 5.1.1 <a@b>: user unknown"), and a reason of
 * the taxonomy for the common phrasings. A small table for webhooks only; the full classifier of
 * bounce mail lives in core/bounces.
 */
import { isHardBounce, type BounceReason } from '../../core/outcomes/reasons.js';
import type { BounceFacts } from '../../core/outcomes/reported-outcome.js';

/** An enhanced status code, class.subject.detail (RFC 3463). */
const STATUS_CODE = /(?:^|[^0-9.])([245]\.[0-9]{1,3}\.[0-9]{1,3})(?![0-9.])/;
/**
 * Where a three-digit number is an SMTP reply code rather than a count or a queue id: before an
 * enhanced status code ("550 5.1.1", "550-5.1.1"), at the start of the text ("smtp;550 ..."), or
 * after a word introducing the server's answer ("said: 421 ...").
 */
const REPLY_CODE_PLACES = [
  /(?:^|[^0-9.])([245][0-9]{2})[ -][245]\.[0-9]{1,3}\.[0-9]{1,3}(?![0-9.])/,
  /^\s*(?:smtp\s*;\s*)?([245][0-9]{2})(?=[ -]|$)/i,
  /\b(?:said|replied|reply|response|answer)\s*:?\s*([245][0-9]{2})(?=[ -]|$)/i,
];

export function smtpCodes(text: string | null): { status: string | null; replyCode: number | null } {
  if (text === null) return { status: null, replyCode: null };
  let replyCode: number | null = null;
  for (const place of REPLY_CODE_PLACES) {
    const found = place.exec(text)?.[1];
    if (found !== undefined) {
      replyCode = Number(found);
      break;
    }
  }
  return { status: STATUS_CODE.exec(text)?.[1] ?? null, replyCode };
}

/**
 * Phrases of the common cases, tried in order: the first match decides. Recipient facts come first,
 * because a rejection often quotes a policy URL or a spam filter's name after saying the user is unknown.
 */
const PHRASES: readonly (readonly [RegExp, BounceReason])[] = [
  [/user unknown|unknown user|no such (user|mailbox|recipient)|user (not found|doesn't exist|does not exist)|(mailbox|recipient|address|account) (not found|does not exist|doesn't exist|unavailable)|invalid (recipient|mailbox)|unknown (recipient|mailbox)|recipient address rejected|mailbox not exist/i, 'userunknown'],
  [/host (or domain name )?not found|domain (name )?not found|no such domain|name service error|nxdomain|unrouteable (mail )?domain/i, 'hostunknown'],
  [/(mailbox|inbox) (is )?full|over ?quota|quota exceeded|exceeded (the |its )?(storage|quota)|insufficient (storage|space)/i, 'mailboxfull'],
  [/(account|mailbox|user) (is )?(disabled|inactive|suspended|deactivated)/i, 'suspend'],
  [/(message|mail) (size )?(is )?too (large|big)|exceeds (the )?(maximum )?(message )?size/i, 'mesgtoobig'],
  [/virus|malware/i, 'virusdetected'],
  [/dmarc|spf|dkim|unauthenticated|authentication (failed|required)/i, 'authfailure'],
  [/reverse dns|\bptr\b/i, 'requireptr'],
  [/relay(ing)? (access )?(denied|not permitted)/i, 'norelaying'],
  [/spam|junk/i, 'spamdetected'],
  [/blacklist|blocklist|block ?list|black ?list|\bblocked\b|\brbl\b|spamhaus/i, 'blocked'],
  [/too many (connections|messages)|rate limit|throttl/i, 'speeding'],
  [/timed? ?out|connection (refused|reset|lost)|network|dns (error|failure)|lookup failed/i, 'networkerror'],
  [/policy/i, 'policyviolation'],
];

/** Enhanced status codes that name a reason on their own, used when no phrase matched. */
const STATUS_REASONS: ReadonlyMap<string, BounceReason> = new Map([
  ['1.1', 'userunknown'],
  ['1.2', 'hostunknown'],
  ['1.6', 'hasmoved'],
  ['1.10', 'notaccept'],
  ['2.1', 'suspend'],
  ['2.2', 'mailboxfull'],
  ['3.4', 'mesgtoobig'],
  ['4.7', 'expired'],
]);

/** The reason the text gives, or null when neither a phrase nor the status code says. */
export function reasonInText(text: string | null): BounceReason | null {
  if (text === null) return null;
  for (const [phrase, reason] of PHRASES) if (phrase.test(text)) return reason;
  const status = smtpCodes(text).status;
  return status === null ? null : (STATUS_REASONS.get(status.slice(status.indexOf('.') + 1)) ?? null);
}

/**
 * The bounce facts of a provider's report: `reason` as the provider's type says it, unless the
 * provider's type is too vague and the text says better (`fallback`); hard by the project's one rule.
 */
export function bounceFacts(diagnostic: string | null, reason: { known: BounceReason } | { fallback: BounceReason }): BounceFacts {
  const { status, replyCode } = smtpCodes(diagnostic);
  const decided = 'known' in reason ? reason.known : (reasonInText(diagnostic) ?? reason.fallback);
  return { hard: isHardBounce(decided, replyCode, status), reason: decided, status, replyCode, diagnostic };
}
