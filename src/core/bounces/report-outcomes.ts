/**
 * From the parts of a report to ReportedOutcome values: one per recipient of a delivery-status
 * report, of a feedback report, of an SES notification, or of a bounce read from its text.
 */
import type { ReportedKind, ReportedOutcome } from '../outcomes/reported-outcome.js';
import { classifyBounce, normalizeDiagnostic, reasonFromText } from './bounce-classifier.js';
import { makeReference, outcomeId, parseReportDate, verpToken } from './correlation.js';
import { parseDeliveryStatus, type DeliveryStatusFields, type RecipientStatusFields } from './delivery-status.js';
import { feedbackKind, parseFeedbackReport } from './feedback-report.js';
import type { SesNotification } from './ses-notification.js';
import { findSmtpCommand, findSmtpReply, type SmtpReplyFacts } from './smtp-reply.js';
import { findTextRecipients, type TextRecipient } from './text-recipients.js';

/** What every outcome of one report shares. */
export interface ReportContext {
  /** Identifies the report mail (correlation.reportKey). */
  key: string;
  /** The report's Date header, epoch ms. */
  date: number | null;
  /** The report's sender: the auto-replying or unsubscribing recipient, for those kinds. */
  from: string | null;
  /** The sender or the subject is a mail system's (MAILER-DAEMON, "Undelivered Mail Returned to Sender"). */
  fromMailSystem: boolean;
  /** The report's decoded Subject. */
  subject: string;
  /** Addresses that are not failed recipients: the report's own To and From, the original sender. */
  notRecipients: ReadonlySet<string>;
  /** Exim's X-Failed-Recipients header. */
  failedRecipients: readonly string[];
  /** To and Cc of the returned message. */
  returnedRecipients: readonly string[];
  token: string | null;
  /** The VERP local part, to read a token from addresses found later (an ARF Original-Mail-From). */
  verpLocalPart: string;
  returnedMessageId: string | null;
}

/** The longest diagnostic kept on an outcome, in characters: a reply with its continuation lines fits. */
const MAX_DIAGNOSTIC_LENGTH = 1000;

interface Finding {
  recipient: string | null;
  status: string | null;
  replyCode: number | null;
  diagnostic: string | null;
  context: string | null;
  /** The text that says which SMTP command failed for this recipient: its own lines, never another recipient's. */
  commandText: string;
  action: string | null;
  at: number | null;
  /** The host that wrote the report when its report says (Reporting-MTA); else the report's sender's domain is used. */
  reporter?: string | null;
}

function kindOfAction(action: string | null, status: string | null): ReportedKind {
  switch (action) {
    case 'delayed':
      return 'deferred';
    case 'delivered':
    case 'relayed':
    case 'expanded':
      return 'delivered';
    case 'failed':
      return 'bounced';
    default:
      return status?.startsWith('2.') ? 'delivered' : 'bounced';
  }
}

function toOutcome(finding: Finding, index: number, context: ReportContext, reporter: string, envelopeId: string | null): ReportedOutcome {
  const reportingHost = finding.reporter ?? context.from?.slice(context.from.lastIndexOf('@') + 1) ?? null;
  const classification = classifyBounce({ ...finding, command: findSmtpCommand(finding.commandText), reporter: reportingHost });
  const kind = classification.reason === 'delivered' ? 'delivered' : kindOfAction(finding.action, finding.status);
  const diagnostic = finding.diagnostic?.replace(/\s+/g, ' ').trim().slice(0, MAX_DIAGNOSTIC_LENGTH) || null;
  return {
    kind,
    recipient: finding.recipient,
    at: finding.at ?? context.date,
    reporter,
    id: outcomeId(context.key, index, finding.recipient),
    reference: makeReference({ token: context.token, messageIdHeader: context.returnedMessageId, envelopeId }),
    bounce: { hard: kind === 'bounced' && classification.hard, reason: classification.reason, status: finding.status, replyCode: finding.replyCode, diagnostic },
  };
}

/** A status that says more than the field's: "5.0.0" in Status but "5.1.1" in the reply. */
function bestStatus(fieldStatus: string | null, quoted: string | null): string | null {
  if (!fieldStatus) return quoted;
  if (quoted && fieldStatus.endsWith('.0.0') && quoted[0] === fieldStatus[0]) return quoted;
  return fieldStatus;
}

export function outcomesFromDeliveryStatus(statusText: string, humanText: string, context: ReportContext): ReportedOutcome[] {
  const fields: DeliveryStatusFields = parseDeliveryStatus(statusText);
  const textRecipients = findTextRecipients(humanText, { exclude: context.notRecipients });
  return fields.recipients.map((recipient, index) => {
    const address = recipient.finalRecipient ?? recipient.originalRecipient;
    const own = textAbout(address, textRecipients) ?? textAbout(recipient.originalRecipient, textRecipients);
    return toOutcome(dsnFinding(recipient, address, own, humanText, fields), index, context, 'dsn', fields.envelopeId);
  });
}

/** A reply line that another line continues: "552-5.7.0 This message was blocked because ..." (RFC 5321 4.2.1). */
const CONTINUED_REPLY = /^([245]\d\d)-/;

/**
 * sendmail copies only the first line of a multi-line reply into Diagnostic-Code; its transcript in
 * the human text ("<<< 552-5.7.0 ...") has the rest. The diagnostic with the lines that continue it.
 */
export function completeMultilineReply(diagnostic: string, humanText: string): string {
  const code = CONTINUED_REPLY.exec(diagnostic)?.[1];
  if (!code) return diagnostic;
  const lines = humanText.split('\n');
  const continuation = new RegExp(`^\\s*(?:<<<\\s*)?${code}[- ]`);
  // The reply may be quoted twice ("(reason: 552-...)" above the transcript): the mention that the next lines continue.
  for (let first = 0; first < lines.length - 1; first++) {
    if (!lines[first]!.includes(diagnostic) || !continuation.test(lines[first + 1]!)) continue;
    const continued = [diagnostic];
    for (let i = first + 1; i < lines.length && continuation.test(lines[i]!); i++) continued.push(lines[i]!.replace(/^\s*(?:<<<\s*)?/, ''));
    return continued.join('\n');
  }
  return diagnostic;
}

/**
 * Amazon SES's DSNs put a category of their own before the remote server's reply ("5.1.0 - Unknown
 * address error 550-'5.2.2 <a@b>... Mailbox Full' (delivery attempts: 0)"): SES's guess from the
 * code, where the reply that follows says what happened.
 */
const SES_CATEGORY = /^\d\.\d\.\d{1,3} - [a-z ]+ error (?=[245]\d\d[ -])/i;

function dsnFinding(recipient: RecipientStatusFields, address: string | null, own: string | null, humanText: string, fields: DeliveryStatusFields): Finding {
  const single = fields.recipients.length === 1;
  const diagnosticCode = recipient.diagnosticCode?.replace(SES_CATEGORY, '');
  const diagnostic = diagnosticCode ? completeMultilineReply(diagnosticCode, humanText) : (recipient.statusComment ?? own);
  const quoted = findSmtpReply(diagnostic ?? humanText);
  return {
    recipient: address,
    status: bestStatus(recipient.status, quoted.status),
    replyCode: quoted.replyCode,
    diagnostic,
    context: own && recipient.diagnosticCode ? own + '\n' + humanText : humanText,
    commandText: (recipient.diagnosticCode ?? '') + '\n' + (recipient.statusComment ?? '') + '\n' + (own ?? (single ? humanText : '')),
    action: recipient.action,
    reporter: fields.reportingMta?.split(/[\s(]/)[0]?.toLowerCase() || null,
    at: parseReportDate(recipient.lastAttemptDate) ?? parseReportDate(fields.arrivalDate),
  };
}

/** The lines of the human text about an address, or null when it does not name it. */
function textAbout(address: string | null, recipients: readonly TextRecipient[]): string | null {
  if (!address) return null;
  return recipients.find((candidate) => candidate.address === address)?.text ?? null;
}

export function outcomesFromFeedbackReport(reportFields: string, context: ReportContext): ReportedOutcome[] {
  const report = parseFeedbackReport(reportFields);
  const kind = feedbackKind(report.feedbackType);
  const recipients = report.originalRcptTo.length > 0 ? report.originalRcptTo : context.returnedRecipients.slice(0, 1);
  const at = parseReportDate(report.arrivalDate) ?? context.date;
  const list = recipients.length > 0 ? recipients : [null];
  const token = context.token ?? verpToken([report.originalMailFrom ?? ''], context.verpLocalPart);
  return list.map((recipient, index) => ({
    kind,
    recipient,
    at,
    reporter: 'arf',
    id: outcomeId(context.key, index, recipient),
    reference: makeReference({ token, messageIdHeader: context.returnedMessageId }),
    feedbackType: report.feedbackType,
    detail: { userAgent: report.userAgent, sourceIp: report.sourceIp, reportedDomain: report.reportedDomain },
  }));
}

export function outcomesFromSes(notification: SesNotification, context: ReportContext): ReportedOutcome[] {
  const at = parseReportDate(notification.timestamp) ?? context.date;
  return notification.recipients.map((recipient, index) => {
    const reference = makeReference({ token: context.token, providerMessageId: notification.messageId, messageIdHeader: context.returnedMessageId });
    if (notification.type === 'complaint') {
      const feedbackType = notification.subtype ?? 'abuse';
      return { kind: feedbackKind(feedbackType), recipient: recipient.address, at, reporter: 'ses', id: outcomeId(context.key, index, recipient.address), reference, feedbackType };
    }
    const quoted = findSmtpReply(recipient.diagnostic ?? '');
    const finding: Finding = {
      recipient: recipient.address,
      status: recipient.status ?? quoted.status,
      replyCode: quoted.replyCode,
      diagnostic: recipient.diagnostic,
      context: null,
      commandText: recipient.diagnostic ?? '',
      action: recipient.action ?? (notification.type === 'delivery' ? 'delivered' : 'failed'),
      at,
    };
    return { ...toOutcome(finding, index, context, 'ses', null), reference };
  });
}

/** A bounce with no delivery-status part: its recipients and their diagnostics are read from the text. */
export function outcomesFromText(text: string, context: ReportContext): ReportedOutcome[] {
  let recipients = findTextRecipients(text, { exclude: context.notRecipients });
  if (context.failedRecipients.length > 0) {
    recipients = context.failedRecipients.map((address) => recipients.find((found) => found.address === address) ?? { address, text });
  }
  const isReport = context.fromMailSystem || context.failedRecipients.length > 0 || FAILURE_WORDS.test(text) || reasonFromText(normalizeDiagnostic(text)) !== null;
  if (!isReport) return [];
  // A report that names no address (a bare "User unknown"): the returned message's recipient is the one.
  if (recipients.length === 0 && context.returnedRecipients.length > 0) recipients = [{ address: context.returnedRecipients[0]!, text }];
  if (recipients.length === 0) return [];
  let wholeReply: SmtpReplyFacts | null = null;
  const action = isDelayWarning(context.subject, text) ? 'delayed' : null;
  return recipients.map((recipient, index) => {
    const own = findSmtpReply(recipient.text);
    const whole = own.status || own.replyCode !== null ? own : (wholeReply ??= findSmtpReply(text));
    const finding: Finding = {
      recipient: recipient.address,
      status: own.status ?? whole.status,
      replyCode: own.replyCode ?? whole.replyCode,
      diagnostic: recipient.text,
      context: text,
      commandText: recipient.text,
      action,
      at: null,
    };
    return toOutcome(finding, index, context, 'dsn', null);
  });
}

/**
 * Words every failure report carries in some form; mail that names an address without them
 * (a newsletter, a person's reply) is not a report.
 */
const FAILURE_WORDS =
  /undeliver|not (?:be )?deliver|could(?:n't| not) deliver|unable to deliver|delivery (?:to the following|has failed|failed|failure|problem|status|notification)|failed (?:permanently|recipient|address)|permanent(?:ly)? (?:error|fatal|failure)|returned mail|mail delivery failed|did not reach|wasn't delivered|was not delivered|rejected|bounced?|error|\b[45]\d\d[ -]|\b[45]\.\d{1,3}\.\d{1,3}\b|temporar(?:y|ily) (?:failure|error|unavailable)|delayed|not been delivered|giving up|gave up/i;

/**
 * Words of a delay warning, a report sent while the MTA still retries (sendmail's "Warning: could
 * not send message for past 4 hours", Exim's "has not yet been delivered", Gmail's "THIS IS A
 * WARNING MESSAGE ONLY"): its recipients are deferred, not bounced.
 */
const DELAY_SUBJECT = /\b(?:delay(?:ed)?|warning|still being retried)\b/i;
const DELAY_TEXT =
  /warning message only|you do not need to re-?send|will (?:continue to |keep )?(?:retry|be retried|try again|keep trying)|has not (?:yet )?been delivered|not yet been delivered|delay reason|only a temporary failure report|message is delayed|still (?:trying|being retried)|is kept in the queue/i;

function isDelayWarning(subject: string, text: string): boolean {
  return DELAY_SUBJECT.test(subject) || DELAY_TEXT.test(text);
}

/** The lines of a list notice that say what happened, before the copy of the refused post. */
const LIST_NOTICE_LINES = 4;

/**
 * A notice from mailing-list software (fml's X-MLServer) that refused a post: "You are not a member
 * of this mailing list <list@...>", "Loop Alert: Duplicated Message-ID". It is written by the list,
 * not by a mail system, and names the list as the address the post did not reach; the subject and
 * the first lines say why.
 */
export function outcomesFromListNotice(text: string, context: ReportContext): ReportedOutcome[] {
  const list = findTextRecipients(text, { exclude: context.notRecipients })[0];
  if (!list) return [];
  const said = [context.subject, ...text.split('\n').filter((line) => line.trim() !== '').slice(0, LIST_NOTICE_LINES)].join('\n');
  const finding: Finding = { recipient: list.address, status: null, replyCode: null, diagnostic: said, context: null, commandText: '', action: 'failed', at: null };
  return [toOutcome(finding, 0, context, 'dsn', null)];
}

