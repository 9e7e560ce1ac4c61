/**
 * What the relay's answer to one hand-over means for the message: sent, try again later, or a bounce
 * with its reason. A small local phrase table gives the reason; the full classifier
 * (src/core/bounces, being written) will replace it.
 */
import { isHardBounce, type BounceReason } from '../core/outcomes/reasons.js';
import type { SendOutcome } from './ports.js';

export interface RelayRefusal {
  /** SMTP reply code; null when the relay did not answer. */
  code: number | null;
  /** Enhanced status code (RFC 3463) found in the text, e.g. 5.1.1. */
  status: string | null;
  text: string;
  reason: BounceReason;
}

export type RelayVerdict =
  | { kind: 'sent' }
  /** A temporary refusal (4xx) or no answer at all: the message is tried again later. */
  | ({ kind: 'retry' } & RelayRefusal)
  /** A permanent refusal (5xx): a bounce, hard or soft by its reason. */
  | ({ kind: 'bounce'; hard: boolean } & RelayRefusal);

/**
 * Phrases and enhanced codes that name a reason, first match wins (after sisimai's names,
 * ../reference/delivery.md). Only what a relay's own answer commonly says; anything else is `undefined`.
 */
const PHRASES: readonly [RegExp, BounceReason][] = [
  [/\b[45]\.1\.10\b|null mx|does not accept mail/i, 'notaccept'],
  [/\b[45]\.1\.1\b|user unknown|unknown user|no such user|mailbox (?:not found|unavailable|does not exist)|recipient (?:address )?(?:rejected|unknown|not found)|does not exist/i, 'userunknown'],
  [/\b[45]\.1\.2\b|host unknown|unknown host|domain not found|no such domain|unrouteable/i, 'hostunknown'],
  [/\b[45]\.1\.6\b|has moved|moved permanently/i, 'hasmoved'],
  [/\b[45]\.2\.2\b|mailbox (?:is )?full|over quota|quota exceeded/i, 'mailboxfull'],
  [/\b[45]\.2\.1\b|account (?:is )?disabled|suspended|inactive/i, 'suspend'],
  [/\b[45]\.3\.4\b|message (?:is )?too (?:big|large)|size limit/i, 'mesgtoobig'],
  [/\b[45]\.7\.28\b|rate limit|too many messages|sending rate/i, 'speeding'],
  [/too many connections|\b[45]\.4\.5\b/i, 'toomanyconn'],
  [/relay(?:ing)? (?:access )?denied|not permitted to relay|relay not permitted/i, 'norelaying'],
  [/authentication required|\b530\b|must authenticate/i, 'securityerror'],
  [/\bspam\b|\b[45]\.7\.1\b.*content/i, 'spamdetected'],
  [/blocked|blacklist|block ?list|listed at|\bpolicy\b/i, 'blocked'],
  [/\b[45]\.4\.7\b|expired/i, 'expired'],
  [/\b[45]\.3\.\d+\b|system (?:error|not accepting)|service (?:not available|unavailable)|try again later/i, 'systemerror'],
];

/** The reason a relay's refusal text gives, by the phrase table; 'undefined' when it names none. */
export function refusalReason(text: string): BounceReason {
  for (const [pattern, reason] of PHRASES) if (pattern.test(text)) return reason;
  return 'undefined';
}

const ENHANCED_STATUS = /\b([245]\.\d{1,3}\.\d{1,3})\b/;

export function enhancedStatus(text: string): string | null {
  return ENHANCED_STATUS.exec(text)?.[1] ?? null;
}

/** A refusal, permanent or temporary, as facts: code, status, text and reason. */
export function refusal(code: number | null, text: string): RelayRefusal {
  // No answer: the relay's side of the network failed us, whatever the error says.
  const reason = code === null ? 'networkerror' : refusalReason(text);
  return { code, status: enhancedStatus(text), text, reason };
}

export function relayVerdict(outcome: SendOutcome): RelayVerdict {
  if (outcome.accepted) return { kind: 'sent' };
  const facts = refusal(outcome.code, outcome.response);
  // TODO(src/core/bounces): classify with the full bounce classifier (code, status, text) once it lands.
  if (outcome.code !== null && outcome.code >= 500) return { kind: 'bounce', hard: isHardBounce(facts.reason, facts.code, facts.status), ...facts };
  return { kind: 'retry', ...facts };
}
