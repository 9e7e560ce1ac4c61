/** Sends mail through an SMTP relay with nodemailer, behind the application's Mailer port. */
import nodemailer from 'nodemailer';
import type { Mailer, OutgoingMail, SendOutcome } from '../../app/ports.js';

export function smtpMailer(url: string): Mailer & { close(): void } {
  const transport = nodemailer.createTransport(url);
  return {
    async send(mail: OutgoingMail): Promise<SendOutcome> {
      try {
        const info = await transport.sendMail({
          from: mail.from,
          to: mail.to,
          cc: mail.cc.length > 0 ? mail.cc : undefined,
          subject: mail.subject,
          html: mail.html ?? undefined,
          text: mail.text ?? undefined,
          headers: mail.headers,
        });
        return { accepted: true, response: String(info.response ?? ''), messageId: info.messageId ?? null };
      } catch (error) {
        const e = error as { responseCode?: number; response?: string; message?: string };
        return { accepted: false, code: typeof e.responseCode === 'number' ? e.responseCode : null, response: e.response ?? e.message ?? String(error) };
      }
    },
    close: () => transport.close(),
  };
}
