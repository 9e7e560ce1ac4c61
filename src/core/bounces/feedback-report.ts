/**
 * The fields of a message/feedback-report body (ARF, RFC 5965 3.1 and 3.2; RFC 6591 for
 * authentication-failure reports), and what a feedback type means for the recipient.
 */
import type { ReportedKind } from '../outcomes/reported-outcome.js';
import { cleanAddress } from './delivery-status.js';
import { headerValue, headerValues, parseHeaderBlocks, type HeaderBlock } from './header-block.js';

export interface FeedbackReportFields {
  /** Lower-cased Feedback-Type: abuse, fraud, other, virus, not-spam, auth-failure, opt-out... */
  feedbackType: string;
  userAgent: string | null;
  originalMailFrom: string | null;
  /**
   * Original-Rcpt-To, lower-cased, in order: the complaining recipients when the reporter does not
   * redact them. Opt-out reports of the ARF drafts name the address in Removal-Recipient instead.
   */
  originalRcptTo: string[];
  arrivalDate: string | null;
  sourceIp: string | null;
  reportedDomain: string | null;
}

export function parseFeedbackReport(text: string): FeedbackReportFields {
  const fields: HeaderBlock = { fields: parseHeaderBlocks(text).flatMap((block) => block.fields) };
  const value = (name: string): string | null => headerValue(fields, name)?.trim() || null;
  return {
    feedbackType: (value('feedback-type') ?? 'other').toLowerCase(),
    userAgent: value('user-agent'),
    originalMailFrom: value('original-mail-from'),
    originalRcptTo: [...headerValues(fields, 'original-rcpt-to'), ...headerValues(fields, 'removal-recipient')].flatMap((raw) => cleanAddress(raw) ?? []),
    arrivalDate: value('arrival-date') ?? value('received-date'),
    sourceIp: value('source-ip'),
    reportedDomain: value('reported-domain'),
  };
}

/**
 * The kind of outcome a feedback type reports. abuse, fraud, virus and other (and unknown types) are
 * complaints; opt-out (seen in the wild, not registered) is an unsubscribe; auth-failure (RFC 6591)
 * is an authentication report about the sender's domain, not a recipient's complaint; not-spam is a
 * recipient saying the message was wanted, which suppresses nothing, so it is kept as feedback too.
 */
export function feedbackKind(feedbackType: string): ReportedKind {
  switch (feedbackType) {
    case 'opt-out':
    case 'optout':
    case 'unsubscribe':
      return 'unsubscribed';
    case 'auth-failure':
    case 'dkim':
    case 'spf':
      return 'auth-failure';
    case 'not-spam':
      return 'not-spam';
    default:
      return 'complained';
  }
}
