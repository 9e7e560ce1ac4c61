/**
 * What a provider's bounce text says, for every provider (SES's diagnosticCode, SendGrid's reason,
 * Mailgun's delivery-status, Postmark's Details, Mailjet's comment, Brevo's reason): the SMTP reply
 * code and the enhanced status code when the text quotes them ("550 5.1.1 <a@b>: user unknown"), and
 * a reason of the taxonomy, by the same classifier as bounce mail (core/bounces).
 */
import { classifyBounce } from '../../core/bounces/bounce-classifier.js';
import { findSmtpReply } from '../../core/bounces/smtp-reply.js';
import { isHardBounce, type BounceReason } from '../../core/outcomes/reasons.js';
import type { BounceFacts } from '../../core/outcomes/reported-outcome.js';

export function smtpCodes(text: string | null): { status: string | null; replyCode: number | null } {
  return text === null ? { status: null, replyCode: null } : findSmtpReply(text);
}

/**
 * The reason a provider's diagnostic gives, by the one bounce classifier (core/bounces): the text
 * first, then the enhanced status code (`status` when the provider gives it apart); 'undefined' when
 * neither says.
 */
export function diagnosticReason(status: string | null, diagnostic: string | null): BounceReason {
  const quoted = smtpCodes(diagnostic);
  const classified = classifyBounce({ status: status ?? quoted.status, replyCode: quoted.replyCode, diagnostic });
  return classified.basis === 'none' || classified.reason === 'onhold' ? 'undefined' : classified.reason;
}

/** The reason the text gives, or null when it says none. */
export function reasonInText(text: string | null): BounceReason | null {
  if (text === null) return null;
  const reason = diagnosticReason(null, text);
  return reason === 'undefined' ? null : reason;
}

/** A Message-ID without its angle brackets. */
export function stripAngles(messageId: string): string {
  return messageId.trim().replace(/^<(.*)>$/, '$1');
}

/**
 * A bounce of a provider that says permanent or temporary (SES, SendGrid, Mailgun): hard only when
 * the provider calls it permanent AND the reason does not say the address may work later. The
 * provider's "temporary" is never overridden (a Transient 5.4.4 is soft); its "permanent" is, when
 * the reason is about the sender or a full mailbox (a 5.7.1 block must not suppress a good address).
 * With no reason known, the provider's word stands. The codes are read from the diagnostic unless the
 * provider gives them apart.
 */
export function providerBounceFacts(
  permanent: boolean,
  reason: BounceReason | null,
  status: string | null,
  diagnostic: string | null,
  reportedReplyCode: number | null = null,
): BounceFacts {
  const quoted = smtpCodes(diagnostic);
  const replyCode = reportedReplyCode ?? quoted.replyCode;
  const enhanced = status ?? quoted.status;
  const chosen = reason ?? diagnosticReason(enhanced, diagnostic);
  const hard = permanent && (chosen === 'undefined' || isHardBounce(chosen, replyCode, enhanced));
  return { hard, reason: chosen, status: enhanced, replyCode, diagnostic };
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
