/**
 * Auto-replies (RFC 3834): vacation notices, out-of-office messages, "thank you for your mail"
 * robots. They are not bounces: the message reached a mailbox. Mail-system reports also mark
 * themselves auto-submitted (Exim sets Auto-Submitted: auto-replied on its bounces), so this is
 * asked only of mail that is not a delivery or feedback report.
 */
import { headerValue, type HeaderBlock } from './header-block.js';
import { decodeHeaderValue } from './text-decoding.js';

/** Subjects that vacation programs and mail clients write (English and the common European wordings). */
const AUTO_REPLY_SUBJECT =
  /^(?:auto(?:matic)?[ -]?(?:reply|response|answer|antwort|réponse|reponse|respuesta|risposta|svar|odpověď)|auto:|autoreply|out of (?:the )?office|ooo\b|away(?: from| until| on)|on vacation|vacation|abwesenheit|absence|absent|abwesend|congés|fuera de la oficina|respuesta automática|réponse automatique|risposta automatica|automatisch antwoord|afwezig|i am (?:away|out)|i'm (?:away|out)|thank you for (?:your|contacting)|we (?:have )?received your)/i;

/** Mail-system senders: their mail is a report, never an auto-reply. */
const MAIL_SYSTEM_SENDER = /mailer-daemon|postmaster|mail delivery (?:subsystem|system)|mail administrator/i;

/** Why a message is an auto-reply (the header or subject that says so), or null. */
export function autoReplySignal(header: HeaderBlock): string | null {
  const from = headerValue(header, 'from') ?? '';
  if (MAIL_SYSTEM_SENDER.test(from)) return null;
  const autoSubmitted = headerValue(header, 'auto-submitted')?.toLowerCase() ?? '';
  if (autoSubmitted.startsWith('auto-replied')) return 'Auto-Submitted: auto-replied';
  if (headerValue(header, 'x-autoreply') !== null) return 'X-Autoreply';
  if (headerValue(header, 'x-autorespond') !== null) return 'X-Autorespond';
  if (headerValue(header, 'x-ms-exchange-inbox-rules-loop') !== null && autoSubmitted !== '') return 'Exchange inbox rule';
  const precedence = headerValue(header, 'precedence')?.toLowerCase() ?? '';
  if (precedence.includes('auto_reply') || precedence.includes('auto-reply')) return `Precedence: ${precedence}`;
  const subject = decodeHeaderValue(headerValue(header, 'subject') ?? '').trim();
  if (AUTO_REPLY_SUBJECT.test(subject)) return `subject: ${subject.slice(0, 80)}`;
  return null;
}
