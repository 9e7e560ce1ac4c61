/**
 * The report mail the demo's bounce receiver gets, written as the real senders write it: delivery
 * status notifications as Postfix writes them (the layout of test/fixtures/postfix, made by a real
 * Postfix 3.7), ARF complaint reports as mailbox providers' feedback loops send them (RFC 5965), and
 * an out-of-office reply. Each names the message it is about only as real ones do: by the VERP
 * address it goes to, the DSN's ENVID, and the original's headers it returns.
 */

/** What the recipient's side knows of the message a report is about. */
export interface Original {
  /** The envelope sender (MAIL FROM) the message arrived with: its VERP return path. */
  returnPath: string;
  /** The ENVID the sender asked DSNs to carry; null when it asked for none. */
  envelopeId: string | null;
  recipient: string;
  /** The original's header lines as they were received (folded lines kept). */
  headerLines: readonly string[];
  /** When the relay took the message (epoch ms). */
  arrivedAt: number;
}

export interface DsnFacts {
  /** The host writing the DSN: the relay, or the recipient's own server after it accepted the message. */
  reportingMta: string;
  /** The server that answered, and its address. */
  remoteMta: string;
  remoteIp: string;
  action: 'failed' | 'delayed';
  /** The enhanced status code, e.g. 5.1.1. */
  status: string;
  /** The remote server's reply as it gave it, code first: `550 5.1.1 <a@b>: User unknown`. */
  reply: string;
  /** When the DSN is written (epoch ms). */
  at: number;
  /** For a delay: until when the relay goes on trying (epoch ms). */
  retryUntil?: number;
}

const CRLF = '\r\n';

/** RFC 5322 date as Postfix writes it: `Thu,  3 Dec 2026 23:18:41 +0000 (UTC)`. */
export function mailDate(ms: number): string {
  const d = new Date(ms);
  const day = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'][d.getUTCDay()]!;
  const month = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'][d.getUTCMonth()]!;
  const time = [d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds()].map((n) => String(n).padStart(2, '0')).join(':');
  return `${day}, ${String(d.getUTCDate()).padStart(2, ' ')} ${month} ${d.getUTCFullYear()} ${time} +0000 (UTC)`;
}

/** A Postfix queue id: 11 upper-case hex digits, from the time and the recipient so that reruns agree. */
function queueId(at: number, recipient: string): string {
  let hash = at;
  for (const c of recipient) hash = (hash * 31 + c.charCodeAt(0)) % 0xfffffffffff;
  return hash.toString(16).toUpperCase().padStart(11, '0').slice(-11);
}

/** Postfix's notification text for a failure or a delay (bounce.cf defaults). */
const NOTIFICATION = {
  failed: {
    subject: 'Undelivered Mail Returned to Sender',
    intro: ["I'm sorry to have to inform you that your message could not", "be delivered to one or more recipients. It's attached below."],
    headersPart: 'Undelivered Message Headers',
  },
  delayed: {
    subject: 'Delayed Mail (still being retried)',
    intro: [
      '####################################################################',
      '# THIS IS A WARNING ONLY.  YOU DO NOT NEED TO RESEND YOUR MESSAGE. #',
      '####################################################################',
      '',
      'Your message could not be delivered for more than 4 hour(s).',
      'It will be retried until it is 5 day(s) old.',
    ],
    headersPart: 'Undelivered Message Headers',
  },
} as const;

/** A Postfix DSN about one recipient, sent to the message's VERP return path, returning its headers (RET=HDRS). */
export function postfixDsn(original: Original, facts: DsnFacts): string {
  const { reportingMta: mta } = facts;
  const id = queueId(facts.at, original.recipient);
  const boundary = `${id}.${Math.floor(facts.at / 1000)}/${mta}`;
  const text = NOTIFICATION[facts.action];
  const stamp = new Date(facts.at).toISOString().replace(/\D/g, '').slice(0, 14);
  return [
    `Received: by ${mta} (Postfix)`,
    `\tid ${id}; ${mailDate(facts.at)}`,
    `Date: ${mailDate(facts.at)}`,
    `From: Mail Delivery System <MAILER-DAEMON@${mta}>`,
    `Subject: ${text.subject}`,
    `To: ${original.returnPath}`,
    'Auto-Submitted: auto-replied',
    'MIME-Version: 1.0',
    'Content-Type: multipart/report; report-type=delivery-status;',
    `\tboundary="${boundary}"`,
    `Message-Id: <${stamp}.${id}@${mta}>`,
    '',
    'This is a MIME-encapsulated message.',
    '',
    `--${boundary}`,
    'Content-Description: Notification',
    'Content-Type: text/plain; charset=us-ascii',
    '',
    `This is the mail system at host ${mta}.`,
    '',
    ...text.intro,
    '',
    'For further assistance, please send mail to postmaster.',
    '',
    'If you do so, please include this problem report. You can',
    'delete your own text from the attached returned message.',
    '',
    '                   The mail system',
    '',
    `<${original.recipient}>: host ${facts.remoteMta}[${facts.remoteIp}] said: ${facts.reply} (in reply to RCPT TO command)`,
    '',
    `--${boundary}`,
    'Content-Description: Delivery report',
    'Content-Type: message/delivery-status',
    '',
    `Reporting-MTA: dns; ${mta}`,
    ...(original.envelopeId ? [`Original-Envelope-Id: ${original.envelopeId}`] : []),
    `X-Postfix-Queue-ID: ${id}`,
    `X-Postfix-Sender: rfc822; ${original.returnPath}`,
    `Arrival-Date: ${mailDate(original.arrivedAt)}`,
    '',
    `Final-Recipient: rfc822; ${original.recipient}`,
    `Original-Recipient: rfc822;${original.recipient}`,
    `Action: ${facts.action}`,
    `Status: ${facts.status}`,
    `Remote-MTA: dns; ${facts.remoteMta}`,
    `Diagnostic-Code: smtp; ${facts.reply}`,
    ...(facts.retryUntil === undefined ? [] : [`Will-Retry-Until: ${mailDate(facts.retryUntil)}`]),
    '',
    ...returnedHeaders(boundary, original, text.headersPart),
  ].join(CRLF);
}

/**
 * The last part of a report, the original's headers as the receiving server saw them (with the
 * Return-Path it added), and the closing boundary: the same in a DSN and in an ARF report.
 */
function returnedHeaders(boundary: string, original: Original, description?: string): string[] {
  return [
    `--${boundary}`,
    ...(description === undefined ? [] : [`Content-Description: ${description}`]),
    'Content-Type: text/rfc822-headers',
    '',
    `Return-Path: <${original.returnPath}>`,
    ...original.headerLines,
    '',
    `--${boundary}--`,
    '',
  ];
}

/**
 * An ARF abuse report (RFC 5965) from a mailbox provider's feedback loop: the recipient pressed
 * "report spam". It returns the original's headers, with the Return-Path the receiving server added.
 */
export function arfComplaint(original: Original, reporter: { domain: string; at: number; sourceIp: string }): string {
  const boundary = `----=_arf_${Math.floor(reporter.at / 1000)}`;
  const arrived = mailDate(original.arrivedAt);
  return [
    `From: ${reporter.domain} Feedback Loop <fbl@${reporter.domain}>`,
    `Date: ${mailDate(reporter.at)}`,
    `Subject: complaint about message from ${reporter.sourceIp}`,
    `Message-ID: <fbl-${queueId(reporter.at, original.recipient).toLowerCase()}@${reporter.domain}>`,
    'MIME-Version: 1.0',
    `Content-Type: multipart/report; report-type=feedback-report; boundary="${boundary}"`,
    '',
    `--${boundary}`,
    'Content-Type: text/plain; charset=us-ascii',
    '',
    `This is an email abuse report for an email message received from IP ${reporter.sourceIp} on ${arrived}.`,
    'A user of this mail service reported it as spam.',
    '',
    `--${boundary}`,
    'Content-Type: message/feedback-report',
    '',
    'Feedback-Type: abuse',
    `User-Agent: ${reporter.domain}-FBL/1.0`,
    'Version: 1',
    `Original-Mail-From: <${original.returnPath}>`,
    `Original-Rcpt-To: <${original.recipient}>`,
    `Arrival-Date: ${arrived}`,
    `Source-IP: ${reporter.sourceIp}`,
    `Reported-Domain: ${original.returnPath.slice(original.returnPath.lastIndexOf('@') + 1)}`,
    '',
    ...returnedHeaders(boundary, original),
  ].join(CRLF);
}

/** An out-of-office reply (RFC 3834) to the return path: not a bounce, kept apart for review. */
export function outOfOffice(original: Original, at: number): string {
  const subject = /^subject:\s*(.*)$/im.exec(original.headerLines.join(CRLF))?.[1] ?? '';
  const messageId = /^message-id:\s*(.*)$/im.exec(original.headerLines.join(CRLF))?.[1];
  return [
    `From: <${original.recipient}>`,
    `To: <${original.returnPath}>`,
    `Date: ${mailDate(at)}`,
    `Subject: Out of office: ${subject}`,
    `Message-ID: <ooo-${queueId(at, original.recipient).toLowerCase()}@${original.recipient.slice(original.recipient.indexOf('@') + 1)}>`,
    ...(messageId ? [`In-Reply-To: ${messageId}`] : []),
    'Auto-Submitted: auto-replied',
    'Content-Type: text/plain; charset=us-ascii',
    '',
    'I am away until Monday with no access to email. For anything urgent, call the office.',
    '',
  ].join(CRLF);
}
