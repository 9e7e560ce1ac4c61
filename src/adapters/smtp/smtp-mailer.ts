/**
 * Sends mail through an SMTP relay with nodemailer, behind the application's Mailer port: a pool of
 * connections (at most SEND_CONCURRENCY), the VERP return path as MAIL FROM, and a DSN request
 * (NOTIFY=SUCCESS,FAILURE,DELAY on each RCPT, RET=HDRS and ENVID on MAIL FROM) when the relay offers DSN.
 */
import nodemailer from 'nodemailer';
import type SMTPPool from 'nodemailer/lib/smtp-pool/index.js';
import type { Mailer, OutgoingMail, RefusedRecipient, SendOutcome } from '../../app/ports.js';

export interface SmtpRelay {
  /** smtp://user:password@host:port (STARTTLS when offered) or smtps:// (TLS from the start). */
  url: string;
  /** Refuse to send in clear: the relay must offer STARTTLS. */
  requireTls: boolean;
  /** Connecting, the greeting and each answer wait at most this long. */
  timeoutMs: number;
  /** Connections kept open to the relay at most. */
  maxConnections: number;
}

/** What the DSNs asked for say: every outcome, with the original's headers only (not its body). */
const DSN_NOTIFY = ['SUCCESS', 'FAILURE', 'DELAY'] as const;

/** The pool's options from the relay's URL and settings: host, port, implicit TLS, credentials. */
export function poolOptions(relay: SmtpRelay): SMTPPool.Options {
  const url = new URL(relay.url);
  const secure = url.protocol === 'smtps:';
  return {
    pool: true,
    host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: url.port ? Number(url.port) : secure ? 465 : 587,
    secure,
    requireTLS: relay.requireTls,
    ...(url.username ? { auth: { user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) } } : {}),
    maxConnections: relay.maxConnections,
    connectionTimeout: relay.timeoutMs,
    greetingTimeout: relay.timeoutMs,
    socketTimeout: relay.timeoutMs,
  };
}

export function smtpMailer(relay: SmtpRelay | string): Mailer & { close(): void } {
  const transport = nodemailer.createTransport(
    poolOptions(typeof relay === 'string' ? { url: relay, requireTls: false, timeoutMs: 60_000, maxConnections: 1 } : relay),
  );
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
          messageId: mail.messageId,
          ...(mail.returnPath ? { envelope: { from: mail.returnPath, to: [...mail.to, ...mail.cc] } } : {}),
          dsn: { envid: mail.envelopeId, ret: 'HDRS', notify: [...DSN_NOTIFY] },
        });
        const refused = refusedRecipients((info as { rejectedErrors?: unknown[] }).rejectedErrors);
        return { accepted: true, response: String(info.response ?? ''), messageId: info.messageId ?? null, ...(refused.length > 0 ? { refused } : {}) };
      } catch (error) {
        const e = error as { responseCode?: number; response?: string; message?: string };
        if (typeof e.responseCode === 'number') return { accepted: false, code: e.responseCode, response: e.response ?? e.message ?? String(error) };
        // No reply code: no connection, a timeout, the connection lost. Never taken for a refusal.
        return { accepted: false, code: null, response: `the relay did not answer: ${e.message ?? String(error)}` };
      }
    },
    close: () => transport.close(),
  };
}

function refusedRecipients(errors: unknown[] | undefined): RefusedRecipient[] {
  return (errors ?? []).map((error) => {
    const e = error as { recipient?: string; responseCode?: number; response?: string; message?: string };
    return { recipient: String(e.recipient ?? ''), code: typeof e.responseCode === 'number' ? e.responseCode : null, response: e.response ?? e.message ?? '' };
  });
}
