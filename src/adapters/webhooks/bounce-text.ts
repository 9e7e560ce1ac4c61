/**
 * What a provider's bounce text says, for the providers that pass the remote server's reply through
 * as free text (Postmark's Details, Mailjet's comment, Brevo's reason): the SMTP reply code and the
 * enhanced status code when the text quotes them ("550 5.1.1 <a@b>: user unknown"), and a reason of
 * the taxonomy, by the same classifier as bounce mail (core/bounces).
 */
import { classifyBounce } from '../../core/bounces/bounce-classifier.js';
import { findSmtpReply } from '../../core/bounces/smtp-reply.js';
import { isHardBounce, type BounceReason } from '../../core/outcomes/reasons.js';
import type { BounceFacts } from '../../core/outcomes/reported-outcome.js';

export function smtpCodes(text: string | null): { status: string | null; replyCode: number | null } {
  return text === null ? { status: null, replyCode: null } : findSmtpReply(text);
}

/** The reason the text gives by the one bounce classifier (core/bounces), or null when it says none. */
export function reasonInText(text: string | null): BounceReason | null {
  if (text === null) return null;
  const classified = classifyBounce({ ...smtpCodes(text), diagnostic: text });
  return classified.basis === 'none' || classified.reason === 'onhold' || classified.reason === 'undefined' ? null : classified.reason;
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
