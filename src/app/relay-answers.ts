/**
 * What the relay's answer to one hand-over means for the message: sent, try again later, or a bounce
 * with its reason, by the one bounce classifier (core/bounces) that reads bounce mail too.
 */
import { classifyBounce } from '../core/bounces/bounce-classifier.js';
import { findSmtpReply } from '../core/bounces/smtp-reply.js';
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

/** A refusal, permanent or temporary, as facts: code, status, text and reason. */
export function refusal(code: number | null, text: string): RelayRefusal {
  // No answer: the relay's side of the network failed us, whatever the error says.
  const status = findSmtpReply(text).status;
  if (code === null) return { code, status, text, reason: 'networkerror' };
  const classified = classifyBounce({ status, replyCode: code, diagnostic: text });
  // 'onhold' is the classifier's "a code but no reason": for a relay's answer, nothing known.
  if (classified.basis === 'none' || classified.reason === 'onhold') return { code, status, text, reason: 'undefined' };
  // A failed connection reported as final is 'expired' (retries ran out); answered now, with retries
  // to come, nothing has expired: the relay could not get through this time.
  const temporary = code >= 400 && code < 500;
  return { code, status, text, reason: temporary && classified.reason === 'expired' ? 'networkerror' : classified.reason };
}

export function relayVerdict(outcome: SendOutcome): RelayVerdict {
  if (outcome.accepted) return { kind: 'sent' };
  const facts = refusal(outcome.code, outcome.response);
  if (outcome.code !== null && outcome.code >= 500) return { kind: 'bounce', hard: isHardBounce(facts.reason, facts.code, facts.status), ...facts };
  return { kind: 'retry', ...facts };
}
