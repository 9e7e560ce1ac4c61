/**
 * parseBounceMail: a raw mail received at the bounce address, to the outcomes it reports. Tries, in
 * order: an ARF feedback report, an RFC 3464 delivery-status report, an Apple Mail unsubscribe, an
 * Amazon SES notification, an auto-reply (RFC 3834), a mailing-list notice (fml), and a non-standard
 * bounce read from its text. An mbox file is read message by message. Pure and synchronous; never throws. Reporters: 'arf' for feedback (ARF, Apple's unsubscribe), 'ses'
 * for SES notifications, 'dsn' for every other report read from mail (auto-replies included).
 */
import type { ReportedOutcome } from '../outcomes/reported-outcome.js';
import { autoReplySignal } from './auto-reply.js';
import { addressesIn, bareMessageId, DEFAULT_VERP_LOCAL_PART, makeReference, outcomeId, parseReportDate, reportKey, verpToken } from './correlation.js';
import { headerValue, headerValues, parseHeaderLines } from './header-block.js';
import { decodedHeader, readMime, walkEntities, type MimeEntity } from './mime-reader.js';
import { outcomesFromDeliveryStatus, outcomesFromFeedbackReport, outcomesFromListNotice, outcomesFromSes, outcomesFromText, type ReportContext } from './report-outcomes.js';
import { reportText, returnedHeaderLines } from './report-text.js';
import { readSesNotification } from './ses-notification.js';

export type BounceMailFormat = 'rfc3464' | 'arf' | 'text' | 'ses' | 'unsubscribe';

export type BounceMailResult =
  | { kind: 'report'; format: BounceMailFormat; outcomes: ReportedOutcome[] }
  | { kind: 'auto-reply'; signal: string; outcomes: ReportedOutcome[] }
  | { kind: 'not-a-report'; reason: string }
  | { kind: 'unparseable'; reason: string };

export interface ParseBounceOptions {
  /** The SMTP envelope recipients (RCPT TO) the mail was received for: where a VERP token is looked for first. */
  envelopeRecipients?: readonly string[];
  /** The local part of VERP addresses, `bounce` for `bounce+<token>@domain`. */
  verpLocalPart?: string;
}

/** Media types of the machine-readable parts. */
const DELIVERY_STATUS_TYPES = new Set(['message/delivery-status', 'message/global-delivery-status']);
const FEEDBACK_REPORT_TYPE = 'message/feedback-report';

export function parseBounceMail(raw: Buffer | string, options: ParseBounceOptions = {}): BounceMailResult {
  try {
    const messages = mboxMessages(raw);
    return messages.length === 1 ? parseReadable(raw, options) : combined(messages.map((message) => parseReadable(message, options)));
  } catch (error) {
    return { kind: 'unparseable', reason: `unexpected failure: ${(error as Error).message}` };
  }
}

/**
 * An mbox postmark line, "From <sender> <asctime date>" ("From MAILER-DAEMON  Thu Jul  2 12:05:05
 * 2020"): where the next message of a mailbox file starts (RFC 4155; a body line starting with "From "
 * is written ">From "; some writers leave out the blank line before it). A mail saved from a mailbox
 * may hold several bounces this way.
 */
const MBOX_POSTMARK = /\nFrom \S+ +(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) [A-Z][a-z]{2} +\d{1,2} \d\d:\d\d:\d\d (?:[A-Z]{3,4} )?\d{4}\r?\n/g;

/** Messages of an mbox file that starts with a postmark; any other mail is one message. */
function mboxMessages(raw: Buffer | string): Array<Buffer | string> {
  if (!raw.slice(0, 5).toString().startsWith('From ')) return [raw];
  // latin1 maps each byte to one character, so string offsets are byte offsets.
  const text = typeof raw === 'string' ? raw : raw.toString('latin1');
  const starts = [0];
  MBOX_POSTMARK.lastIndex = 0;
  for (let match = MBOX_POSTMARK.exec(text); match; match = MBOX_POSTMARK.exec(text)) starts.push(match.index + 1);
  return starts.map((start, i) => raw.slice(start, starts[i + 1] ?? raw.length));
}

/** The outcomes of every report among the messages of one file, in order; the first result when none is one. */
function combined(results: BounceMailResult[]): BounceMailResult {
  const reports = results.filter((result): result is Extract<BounceMailResult, { kind: 'report' }> => result.kind === 'report');
  if (reports.length === 0) return results[0]!;
  return { kind: 'report', format: reports[0]!.format, outcomes: reports.flatMap((report) => report.outcomes) };
}

function parseReadable(raw: Buffer | string, options: ParseBounceOptions): BounceMailResult {
  const read = readMime(raw);
  if (!read.ok) return { kind: 'unparseable', reason: read.reason };
  const root = read.entity;
  const parts = findParts(root);
  const context = makeContext(raw, root, parts.returned ?? returnedInText(root), options);

  if (parts.feedbackReport) {
    return { kind: 'report', format: 'arf', outcomes: outcomesFromFeedbackReport(parts.feedbackReport.text, context) };
  }
  const text = reportText(root);
  if (parts.deliveryStatus) {
    const outcomes = outcomesFromDeliveryStatus(parts.deliveryStatus.text, text, context);
    if (outcomes.length > 0) return { kind: 'report', format: 'rfc3464', outcomes };
  }
  // Apple Mail's unsubscribe: a mail from the recipient marked X-Apple-Unsubscribe, feedback like ARF's opt-out.
  if (headerValue(root.header, 'x-apple-unsubscribe')?.trim().toLowerCase() === 'true') {
    return { kind: 'report', format: 'unsubscribe', outcomes: [singleOutcome(context, 'unsubscribed', 'arf', { feedbackType: 'opt-out' })] };
  }
  const ses = readSesNotification(text);
  if (ses && ses.recipients.length > 0) return { kind: 'report', format: 'ses', outcomes: outcomesFromSes(ses, context) };
  const signal = autoReplySignal(root.header);
  if (signal) return { kind: 'auto-reply', signal, outcomes: [singleOutcome(context, 'auto-reply', 'dsn', {})] };
  // fml, the mailing-list server, marks its notices (a post refused from a non-member, a loop) with X-MLServer.
  if (headerValue(root.header, 'x-mlserver') !== null) {
    const notice = outcomesFromListNotice(text, context);
    if (notice.length > 0) return { kind: 'report', format: 'text', outcomes: notice };
  }
  const outcomes = outcomesFromText(text, context);
  if (outcomes.length > 0) return { kind: 'report', format: 'text', outcomes };
  return { kind: 'not-a-report', reason: 'no delivery-status or feedback part, no auto-reply marks, and no failed recipient in the text' };
}

interface ReportParts {
  deliveryStatus: MimeEntity | null;
  feedbackReport: MimeEntity | null;
  /** The returned original (message/rfc822) or its header (text/rfc822-headers). */
  returned: MimeEntity | null;
}

/**
 * The machine-readable parts and the returned message. Parts inside a returned message are not
 * looked at (a bounce of a bounce reads its outer report) unless the mail has no report of its own:
 * then it is a forwarded report, read from inside.
 */
function findParts(root: MimeEntity): ReportParts {
  const found: ReportParts = { deliveryStatus: null, feedbackReport: null, returned: null };
  const visit = (entity: MimeEntity, intoMessages: boolean): void => {
    if (DELIVERY_STATUS_TYPES.has(entity.contentType)) found.deliveryStatus ??= entity;
    else if (entity.contentType === FEEDBACK_REPORT_TYPE) found.feedbackReport ??= entity;
    else if (entity.message) {
      if (intoMessages) visit(entity.message, true);
      else found.returned ??= entity.message;
    }
    for (const part of entity.parts) visit(part, intoMessages);
  };
  visit(root, false);
  if (!found.deliveryStatus && !found.feedbackReport) {
    visit(root, true);
    found.deliveryStatus ??= textDeliveryStatus(root);
  }
  return found;
}

/** Delivery-status fields written as plain text (a text/plain part, or a report that lost its MIME structure). */
const TEXT_STATUS_START = /^(?:reporting-mta|final-recipient|original-recipient)[ \t]*:/im;

function textDeliveryStatus(root: MimeEntity): MimeEntity | null {
  for (const entity of walkEntities(root)) {
    if (entity.contentType !== 'text/plain' && !(entity.contentType.startsWith('multipart/') && entity.parts.length === 0)) continue;
    const start = TEXT_STATUS_START.exec(entity.text);
    if (!start || !/^final-recipient[ \t]*:/im.test(entity.text) || !/^(?:action|status)[ \t]*:/im.test(entity.text)) continue;
    return { ...entity, text: entity.text.slice(start.index) };
  }
  return null;
}

/** The header of a returned message that a non-MIME bounce copies into its text. */
function returnedInText(root: MimeEntity): MimeEntity | null {
  if (root.parts.length > 0 || root.message) return null;
  const lines = returnedHeaderLines(root.text);
  if (!lines) return null;
  return { header: parseHeaderLines(lines), contentType: 'text/plain', params: {}, text: '', parts: [], message: null };
}

function makeContext(raw: Buffer | string, root: MimeEntity, returned: MimeEntity | null, options: ParseBounceOptions): ReportContext {
  const header = root.header;
  const addressedTo = [
    ...(options.envelopeRecipients ?? []),
    ...headerValues(header, 'x-original-to'),
    ...headerValues(header, 'delivered-to'),
    ...headerValues(header, 'envelope-to'),
    ...headerValues(header, 'to'),
  ];
  const returnedFrom = returned ? [...addressesIn(headerValue(returned.header, 'from')), ...addressesIn(headerValue(returned.header, 'return-path'))] : [];
  // Delivered-To and X-Original-To are left out: some MTAs write the failed recipient there.
  const sentTo = [...(options.envelopeRecipients ?? []), ...headerValues(header, 'to')];
  const notRecipients = new Set([...sentTo.flatMap(addressesIn), ...addressesIn(headerValue(header, 'from')), ...returnedFrom]);
  const messageId = bareMessageId(headerValue(header, 'message-id'));
  const verpLocalPart = options.verpLocalPart ?? DEFAULT_VERP_LOCAL_PART;
  return {
    key: reportKey(messageId, raw),
    date: parseReportDate(headerValue(header, 'date')),
    from: addressesIn(decodedHeader(root, 'from'))[0] ?? null,
    fromMailSystem: isMailSystem(decodedHeader(root, 'from') ?? '', decodedHeader(root, 'subject') ?? ''),
    subject: decodedHeader(root, 'subject') ?? '',
    notRecipients,
    failedRecipients: headerValues(header, 'x-failed-recipients').flatMap(addressesIn),
    returnedRecipients: returned ? ['to', 'cc'].flatMap((name) => headerValues(returned.header, name).flatMap(addressesIn)) : [],
    // The returned original's Return-Path is our own VERP address too: what ARF reports keep.
    token: verpToken(addressedTo, verpLocalPart) ?? verpToken(returned ? headerValues(returned.header, 'return-path') : [], verpLocalPart),
    verpLocalPart,
    returnedMessageId: returned ? bareMessageId(headerValue(returned.header, 'message-id')) : null,
  };
}

/** A sender or subject that only mail systems use for failure reports. */
const MAIL_SYSTEM_FROM = /mailer-daemon|postmaster|mail delivery|mail administrator|mailadmin|mail ?system|delivery (?:status|subsystem)/i;
const FAILURE_SUBJECT = /undeliver|returned mail|delivery (?:status notification|failure|failed|report|problem|notification)|failure notice|mail delivery failed|non[- ]?delivery|nondeliverable|could not (?:be )?deliver|not delivered|bounced?|rejected|mail system error|warning: could not send|delayed mail/i;

function isMailSystem(from: string, subject: string): boolean {
  return MAIL_SYSTEM_FROM.test(from) || FAILURE_SUBJECT.test(subject);
}

function singleOutcome(context: ReportContext, kind: ReportedOutcome['kind'], reporter: string, extra: Partial<ReportedOutcome>): ReportedOutcome {
  return {
    kind,
    recipient: context.from,
    at: context.date,
    reporter,
    id: outcomeId(context.key, 0, context.from),
    reference: makeReference({ token: context.token, messageIdHeader: context.returnedMessageId }),
    ...extra,
  };
}
