/**
 * The built-in SMTP receiver for the bounce domain: the MX (or the relay's bounce transport) of
 * BOUNCE_DOMAIN hands bounce and complaint mail here. A message is acknowledged (250) only once it
 * is recorded, as events or kept for review: when recording fails, the answer is a temporary 451 and
 * the sending server tries again later, so no report is lost.
 */
import { SMTPServer, type SMTPServerAddress } from 'smtp-server';
import type { AddressInfo } from 'node:net';
import { errorMessage } from '../../core/errors.js';

/** Largest message taken: a bounce returns headers (RET=HDRS) or, from some servers, the whole message. */
export const MAX_BOUNCE_MAIL_BYTES = 10 * 1024 * 1024;
/**
 * Connections served at once: each may buffer a message up to MAX_BOUNCE_MAIL_BYTES, so this bounds
 * the memory senders can take (500 MB); bounce traffic is a trickle, and a refused sender retries.
 */
export const MAX_BOUNCE_CLIENTS = 50;
/** A connection idle this long is closed (ms): a sender dribbling bytes cannot hold a slot for ever. */
export const BOUNCE_SOCKET_TIMEOUT_MS = 60_000;

export interface ReceivedEnvelope {
  mailFrom: string | null;
  rcptTo: string[];
}

export interface BounceReceiverOptions {
  host: string;
  port: number;
  /** Domains whose recipients are accepted; any other recipient is refused with 550 5.1.1. Empty: all. */
  domains: readonly string[];
  handle(raw: Buffer, envelope: ReceivedEnvelope): Promise<void>;
  onError?(error: unknown): void;
}

export interface BounceReceiver {
  port: number;
  close(): Promise<void>;
}

function smtpError(code: number, message: string): Error {
  return Object.assign(new Error(message), { responseCode: code });
}

export async function startBounceReceiver(options: BounceReceiverOptions): Promise<BounceReceiver> {
  const domains = options.domains.map((d) => d.toLowerCase());
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    logger: false,
    size: MAX_BOUNCE_MAIL_BYTES,
    maxClients: MAX_BOUNCE_CLIENTS,
    socketTimeout: BOUNCE_SOCKET_TIMEOUT_MS,
    onRcptTo(address: SMTPServerAddress, _session, callback) {
      const domain = address.address.slice(address.address.lastIndexOf('@') + 1).toLowerCase();
      if (domains.length > 0 && !domains.includes(domain)) {
        callback(smtpError(550, `5.1.1 <${address.address}>: this server takes bounce mail for ${domains.join(', ')} only`));
        return;
      }
      callback();
    },
    onData(stream, session, callback) {
      const parts: Buffer[] = [];
      let size = 0;
      stream.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size <= MAX_BOUNCE_MAIL_BYTES) parts.push(chunk);
      });
      stream.on('end', () => {
        if ((stream as unknown as { sizeExceeded?: boolean }).sizeExceeded || size > MAX_BOUNCE_MAIL_BYTES) {
          callback(smtpError(552, `5.3.4 message larger than ${MAX_BOUNCE_MAIL_BYTES} bytes`));
          return;
        }
        const envelope: ReceivedEnvelope = {
          mailFrom: session.envelope.mailFrom ? session.envelope.mailFrom.address : null,
          rcptTo: session.envelope.rcptTo.map((r) => r.address),
        };
        options.handle(Buffer.concat(parts), envelope).then(
          () => callback(),
          (error: unknown) => {
            options.onError?.(error);
            callback(smtpError(451, `4.3.0 the report could not be recorded now (${errorMessage(error)}); try again later`));
          },
        );
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  server.on('error', (error) => options.onError?.(error));
  const port = (server.server.address() as AddressInfo).port;
  return { port, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}
