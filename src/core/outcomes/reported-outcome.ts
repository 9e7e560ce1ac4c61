/**
 * A delivery outcome as a source reported it, before it is matched to a message: what a bounce
 * email, an ARF report, a provider webhook or our own relay says happened to one recipient of one
 * message. Every source (src/core/bounces for mail, src/adapters/webhooks/<provider>.ts for
 * webhooks) produces these; one ingestion use case (src/app/ingestion.ts) matches them to messages,
 * makes them events, idempotently, and keeps what it cannot match for review.
 */
import type { BounceReason } from './reasons.js';

/** What happened, in the normalized event model's words (core/events.ts), plus the facts that are not events. */
export const REPORTED_KINDS = [
  /** Accepted by the sender's relay or provider for delivery. */
  'sent',
  /** Accepted by the recipient's server. */
  'delivered',
  /** A temporary failure; the sender retries. */
  'deferred',
  /** Failed: hard or soft, with a reason. */
  'bounced',
  /** Never sent: the provider refused it (a suppressed address, its own policy). */
  'blocked',
  /** The recipient reported the message as spam (ARF abuse, a provider's spam report). */
  'complained',
  /** The recipient unsubscribed (ARF opt-out, a provider's unsubscribe). */
  'unsubscribed',
  /** A provider's own tracking saw an open or a click: stored with its source, never added to ours. */
  'opened',
  'clicked',
  /** Not about delivery: an authentication-failure report (ARF auth-failure, RFC 6591), kept apart. */
  'auth-failure',
  /** An auto-reply (RFC 3834, vacation): not a bounce, kept so that it is not mistaken for one. */
  'auto-reply',
  /** A recipient saying a message is wanted (ARF not-spam): suppresses nothing, kept apart. */
  'not-spam',
] as const;
export type ReportedKind = (typeof REPORTED_KINDS)[number];

export interface BounceFacts {
  hard: boolean;
  reason: BounceReason;
  /** Enhanced status code (RFC 3463) such as "5.1.1", when the report gives one. */
  status: string | null;
  /** SMTP reply code such as 550, when the report gives one. */
  replyCode: number | null;
  /** The diagnostic text as reported (the remote server's reply, or the provider's description). */
  diagnostic: string | null;
}

/** How the report points at the message it is about; the ingestion tries them in this order. */
export interface MessageReference {
  /** A mailsight message token, from a VERP return path (bounce+TOKEN@...) or a provider's custom argument. Unverified here. */
  token?: string | null;
  /** The provider's own id for the message (SES mail.messageId, SendGrid sg_message_id, Mailjet MessageID...). */
  providerMessageId?: string | null;
  /** The RFC 5322 Message-ID of the message, as returned in a bounce's headers or reported by a provider, without <>. */
  messageIdHeader?: string | null;
  /** The DSN's Original-Envelope-Id (the ENVID we asked the relay to return). */
  envelopeId?: string | null;
}

export interface ReportedOutcome {
  kind: ReportedKind;
  /** The recipient the fact is about, lower-cased; null when the report does not say. */
  recipient: string | null;
  /** When it happened, epoch ms; null when the report does not say (the ingestion uses the time it arrived). */
  at: number | null;
  /** Who reported it: 'dsn', 'arf', 'ses', 'sendgrid', 'mailgun', 'postmark', 'mailjet', 'brevo', 'smtp'. */
  reporter: string;
  /**
   * The reporter's id for this fact, stable across its retries (sg_event_id, Mailgun's event id...),
   * or one derived from the fact's content when the reporter gives none. The ingestion stores a fact
   * once per (reporter, id); a bounce seen both by mail and by webhook is also matched across
   * reporters by message, recipient and kind (see app/ingestion.ts).
   */
  id: string;
  reference: MessageReference;
  /** For bounced and deferred (and blocked, when the provider says why). */
  bounce?: BounceFacts | null;
  /** For complaints and auth-failure reports: the ARF Feedback-Type or the provider's word. */
  feedbackType?: string | null;
  /** For provider-reported opens and clicks: the provider's own machine-open flag, when it has one. */
  machine?: boolean | null;
  /**
   * For provider-reported opens and clicks the provider flagged as a machine or a bot: the reason it
   * gives (core/outcomes/provider-flags.ts, `provider:sendgrid-machine-open`...). Recorded as the
   * event's reason, and compared in the report with mailsight's verdict on the same open or click.
   */
  flag?: string | null;
  /** For provider-reported clicks. */
  url?: string | null;
  userAgent?: string | null;
  ip?: string | null;
  /** Anything else worth keeping from the report (provider's event name, campaign tags...), as JSON. */
  detail?: Record<string, unknown> | null;
}
