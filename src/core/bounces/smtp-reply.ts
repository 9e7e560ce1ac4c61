/**
 * The SMTP facts quoted in a bounce's text: the reply code (RFC 5321 4.2) and the enhanced status
 * code (RFC 3463), wherever the text puts them ("550 5.1.1 <a@b>... User unknown",
 * "Remote host said: 550-5.7.1 ...", "(reason: 552 ...)", "<<< 450 4.2.0 ...").
 */

export interface SmtpReplyFacts {
  replyCode: number | null;
  status: string | null;
}

/** "550 5.1.1" / "550-5.1.1" / "550 #5.1.1": a reply code followed by its enhanced status. */
const CODE_WITH_STATUS = /(?<![\d.])([245]\d\d)[ -]#?([245]\.\d{1,3}\.\d{1,3})(?![\d])/;
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

/** The enhanced status a text quotes, only when it is a failure or success class (X.Y.Z with X in 2, 4, 5). */
export function findStatus(text: string): string | null {
  return STATUS.exec(text)?.[1] ?? null;
}
