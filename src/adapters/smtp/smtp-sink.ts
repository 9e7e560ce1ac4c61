/**
 * A local SMTP server that accepts every message and hands it over parsed: the demo's stand-in for
 * the recipients' mail servers, and the tests' way to see exactly what was sent, with its envelope
 * (MAIL FROM and RCPT TO with their DSN parameters). It offers DSN, as a relay does.
 */
import { SMTPServer, type SMTPServerAddress, type SMTPServerEnvelope } from 'smtp-server';
import { simpleParser, type ParsedMail } from 'mailparser';
import type { AddressInfo } from 'node:net';

export interface SmtpSink {
  port: number;
  /** Connections open now, and the most open at once since the sink started. */
  connections: { open: number; most: number };
  close(): Promise<void>;
}

/** The envelope of a message received: MAIL FROM and RCPT TO with their parameters (keys upper case). */
export interface ReceivedEnvelope {
  mailFrom: SMTPServerAddress | false;
  rcptTo: SMTPServerAddress[];
  dsn: SMTPServerEnvelope['dsn'];
}

export interface SinkOptions {
  /**
   * Refuse recipients for which this returns an SMTP error (code and text), to play rejections.
   * `attempt` counts the RCPT TO commands for this address so far, from 1: 451 first, then 250.
   */
  rejectRecipient?: (address: string, attempt: number) => { code: number; message: string } | null;
  /** Hold each message this long before answering its data: senders overlap, to count their connections. */
  answerDelayMs?: number;
}

export async function startSmtpSink(
  onMessage: (mail: ParsedMail, envelopeTo: string[], envelope: ReceivedEnvelope) => void,
  options: SinkOptions = {},
): Promise<SmtpSink> {
  const attempts = new Map<string, number>();
  const connections = { open: 0, most: 0 };
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    // Offered, as relays do: the sender then asks for DSNs (RET, ENVID, NOTIFY), and the tests see it.
    hideDSN: false,
    logger: false,
    onConnect(_session, callback) {
      connections.open++;
      connections.most = Math.max(connections.most, connections.open);
      callback();
    },
    onClose() {
      connections.open--;
    },
    onRcptTo(address, _session, callback) {
      const attempt = (attempts.get(address.address) ?? 0) + 1;
      attempts.set(address.address, attempt);
      const refusal = options.rejectRecipient?.(address.address, attempt);
      if (refusal) {
        callback(Object.assign(new Error(refusal.message), { responseCode: refusal.code }));
        return;
      }
      callback();
    },
    onData(stream, session, callback) {
      const { mailFrom, rcptTo, dsn } = session.envelope;
      simpleParser(stream)
        .then(async (mail) => {
          if (options.answerDelayMs) await new Promise((resolve) => setTimeout(resolve, options.answerDelayMs));
          onMessage(mail, rcptTo.map((r) => r.address), { mailFrom, rcptTo, dsn });
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
  return { port, connections, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}
