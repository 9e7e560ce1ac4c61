/**
 * A local SMTP server that accepts every message and hands it over parsed: the demo's stand-in for
 * the recipients' mail servers, and the tests' way to see exactly what was sent.
 */
import { SMTPServer } from 'smtp-server';
import { simpleParser, type ParsedMail } from 'mailparser';
import type { AddressInfo } from 'node:net';

export interface SmtpSink {
  port: number;
  close(): Promise<void>;
}

export interface SinkOptions {
  /** Refuse recipients for which this returns an SMTP error (code and text), to play rejections. */
  rejectRecipient?: (address: string) => { code: number; message: string } | null;
}

export async function startSmtpSink(onMessage: (mail: ParsedMail, envelopeTo: string[]) => void, options: SinkOptions = {}): Promise<SmtpSink> {
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onRcptTo(address, _session, callback) {
      const refusal = options.rejectRecipient?.(address.address);
      if (refusal) {
        callback(Object.assign(new Error(refusal.message), { responseCode: refusal.code }));
        return;
      }
      callback();
    },
    onData(stream, session, callback) {
      simpleParser(stream)
        .then((mail) => {
          onMessage(mail, session.envelope.rcptTo.map((r) => r.address));
          callback();
        })
        .catch((error: Error) => callback(error));
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.server.address() as AddressInfo).port;
  return { port, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}
