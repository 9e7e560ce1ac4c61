/**
 * A recipients' mail server for end-to-end tests behind the Postfix relay (test/support/postfix.ts):
 * it refuses the addresses it is told to, with the reply given, at RCPT TO, and keeps every message
 * it accepts raw, as it came over the wire. It does not offer DSN, so Postfix reports a delivery
 * itself (Action: relayed) when the sender asked for NOTIFY=SUCCESS.
 */
import { SMTPServer } from 'smtp-server';
import type { AddressInfo } from 'node:net';

/** An SMTP reply: the code and the text after it (enhanced status first, as servers write it). */
export interface SmtpRefusal {
  code: number;
  message: string;
}

export interface ReceivedMessage {
  /** MAIL FROM, '' for the null return path. */
  mailFrom: string;
  rcptTo: string[];
  /** The message as received (CRLF line ends). */
  raw: string;
}

export interface SmtpReceiver {
  port: number;
  messages: ReceivedMessage[];
  close(): Promise<void>;
}

/** Starts a receiver on 127.0.0.1 that refuses each address of `refusals` with its reply and accepts any other. */
export async function startSmtpReceiver(refusals: Readonly<Record<string, SmtpRefusal>> = {}): Promise<SmtpReceiver> {
  const messages: ReceivedMessage[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    logger: false,
    hideDSN: true,
    onRcptTo(address, _session, callback) {
      const refusal = refusals[address.address.toLowerCase()];
      callback(refusal ? Object.assign(new Error(refusal.message), { responseCode: refusal.code }) : undefined);
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const mailFrom = session.envelope.mailFrom === false ? '' : session.envelope.mailFrom.address;
        messages.push({ mailFrom, rcptTo: session.envelope.rcptTo.map((r) => r.address), raw: Buffer.concat(chunks).toString('utf8') });
        callback();
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return {
    port: (server.server.address() as AddressInfo).port,
    messages,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
