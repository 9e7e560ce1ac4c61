/**
 * The SMTP facts quoted in a bounce's text: the reply code (RFC 5321 4.2) and the enhanced status
 * code (RFC 3463), wherever the text puts them ("550 5.1.1 <a@b>... User unknown",
 * "Remote host said: 550-5.7.1 ...", "(reason: 552 ...)", "<<< 450 4.2.0 ...").
 */

export interface SmtpReplyFacts {
  replyCode: number | null;
  status: string | null;
}

/** "550 5.1.1" / "550-5.1.1" / "550 #5.1.1" / SES's "550-'5.1.1": a reply code followed by its enhanced status. */
const CODE_WITH_STATUS = /(?<![\d.])([245]\d\d)[ -]'?#?([245]\.\d{1,3}\.\d{1,3})(?![\d])/;
/** An enhanced status code not part of an IP address or a version number. */
const STATUS = /(?<![\w.])([245]\.\d{1,3}\.\d{1,3})(?!\.?\d)/;
/**
 * A reply code where a reply starts: at the start of a line or after "<<<", ":", "(", "said",
 * "reply", "error" (case-insensitive), followed by a blank or a hyphen. Three-digit numbers elsewhere
 * (ports, sizes, dates) are not taken.
 */
const REPLY_CODE = /(?:^|<<<\s*|[:(>]\s*|\b(?:said|reply|replied|error|response|code|status)\b[^\d\n]{0,4})([245][0-5]\d)(?=[ -]|$)/im;

/** The reply code and the enhanced status the text quotes first; 2xx replies are kept (a success DSN quotes 250). */
export function findSmtpReply(text: string): SmtpReplyFacts {
  const pair = CODE_WITH_STATUS.exec(text);
  if (pair) return { replyCode: Number(pair[1]), status: pair[2]! };
  const status = STATUS.exec(text)?.[1] ?? null;
  const code = REPLY_CODE.exec(text)?.[1];
  return { replyCode: code ? Number(code) : null, status };
}

/** The SMTP command a reply answered, as far as a report says. */
export type SmtpCommand = 'CONN' | 'HELO' | 'MAIL' | 'RCPT' | 'DATA';

/**
 * How MTAs say which command failed: Postfix "(in reply to RCPT TO command)", Exim "SMTP error from
 * remote mail server after end of data:", sendmail's ">>> DATA" transcript lines, qmail "does not like
 * recipient" / "failed after I sent the message", DragonFly "did not like our final DATA", GMX "after
 * RCPT command", "SMTP:RCPT host ..." reports, Yahoo's phase tag after the quoted reply ("[RCPT_TO]",
 * "[MAIL_FROM]", "[BODY]"), Sun/Oracle Messaging Server's Status comment "Remote SMTP server has
 * rejected address" (a refusal at RCPT TO; after the message it says "SMTP transmission failure has
 * occurred"), Gmail's "(state N)" after the remote reply (14 is RCPT TO, 15 to 18 the DATA phase; its
 * "Address not found" heading is no stage: Gmail writes it over any "user unknown" reply).
 */
const COMMAND_PATTERNS: ReadonlyArray<readonly [SmtpCommand, RegExp]> = [
  ['DATA', /in reply to (?:end of )?data command|smtp(?: command)?:? ?data\b|after (?:end of )?data\b|>>> data\b|failed after i sent the message|did not like our (?:final )?data|(?:after|during|at) (?:the )?(?:end of )?data (?:phase|stage|command)|\(state 1[5-8]\)|\[(?:data|body)\]/i],
  ['RCPT', /in reply to rcpt to command|smtp(?: command)?:? ?rcpt\b|after rcpt\b|>>> rcpt to|does not like recipient|did not like our rcpt|\[rcpt_to\]|server has rejected (?:the )?address|\(state 14\)/i],
  ['MAIL', /in reply to mail from command|\[mail_from\]|smtp command:? mail\b|after mail from|>>> mail from|did not like our mail from|does not like (?:the )?sender/i],
  ['HELO', /in reply to (?:helo|ehlo) command|after (?:helo|ehlo)|>>> (?:helo|ehlo)/i],
  ['CONN', /after (?:initial )?connection|while connected to|greeting|connection (?:refused|timed out)|during result wait/i],
];

/** The command a text says its reply answered, or null. The first named wins when a text names several. */
export function findSmtpCommand(raw: string): SmtpCommand | null {
  // Replies wrap anywhere: "(in reply to end of DATA\n    command)".
  const text = raw.replace(/\s+/g, ' ');
  let best: SmtpCommand | null = null;
  let bestIndex = Infinity;
  for (const [command, pattern] of COMMAND_PATTERNS) {
    const match = pattern.exec(text);
    if (match && match.index < bestIndex) {
      best = command;
      bestIndex = match.index;
    }
  }
  return best;
}
