/**
 * The Postfix relay of end-to-end tests (test/support/postfix.ts) on its own, no mailsight code:
 * one message through a real Postfix to four recipients whose server accepts one and refuses three
 * (550 5.1.1, 452 4.2.2 until the queue lifetime runs out, 554 5.7.1); the DSNs Postfix returns to
 * the bounce domain (relayed, failed, delayed, failed after retries) are checked field by field. With MAILSIGHT_WRITE_POSTFIX_FIXTURES=1 it also saves one DSN of each kind under
 * test/fixtures/postfix/.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import nodemailer from 'nodemailer';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { postfixAvailable, startPostfix, type PostfixInstance } from './support/postfix.js';
import { startSmtpReceiver, type ReceivedMessage as Received, type SmtpReceiver as Receiver } from './support/smtp-receiver.js';

const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'postfix');
const RETURN_PATH = 'bounce+abc123@bounce.test';
const ENVID = 'env-42';
/** full@ is retried this long (a delayed DSN after DELAY_WARNING), then returned (a failed DSN). */
const QUEUE_LIFETIME = '3s';
const DELAY_WARNING = '1s';
/** How long the DSNs may take: QUEUE_LIFETIME of retries, then the bounce's delivery, with a wide margin. */
const DSN_DEADLINE_MS = 30_000;

const REFUSALS: Record<string, { code: number; message: string }> = {
  'nobody@accept.test': { code: 550, message: '5.1.1 <nobody@accept.test>: Recipient address rejected: User unknown' },
  'full@accept.test': { code: 452, message: '4.2.2 <full@accept.test>: Mailbox full, try again later' },
  'spam@accept.test': { code: 554, message: '5.7.1 <spam@accept.test>: Message refused as spam' },
};

async function waitFor(what: string, done: () => boolean, logs: () => string): Promise<void> {
  const deadline = Date.now() + DSN_DEADLINE_MS;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; Postfix log:\n${logs()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const runs = postfixAvailable();

describe.skipIf(!runs)('a private Postfix relay', () => {
  let accept: Receiver;
  let bounce: Receiver;
  let postfix: PostfixInstance;

  beforeAll(async () => {
    accept = await startSmtpReceiver(REFUSALS);
    bounce = await startSmtpReceiver();
    postfix = await startPostfix({ routes: { 'accept.test': accept.port, 'bounce.test': bounce.port }, queueLifetime: QUEUE_LIFETIME, delayWarning: DELAY_WARNING });
  });
  afterAll(async () => {
    // Postfix first: its connections to the receivers end with it.
    await postfix?.stop();
    await Promise.all([accept?.close(), bounce?.close()]);
  });

  it('relays to the routes and returns genuine Postfix DSNs to the bounce domain', { timeout: 60_000 }, async () => {
    const transport = nodemailer.createTransport({ host: '127.0.0.1', port: postfix.port, secure: false, ignoreTLS: true });
    const info = await transport.sendMail({
      envelope: { from: RETURN_PATH, to: ['ok@accept.test', 'nobody@accept.test', 'full@accept.test', 'spam@accept.test'] },
      from: 'News <news@sender.test>',
      to: 'ok@accept.test',
      subject: 'Postfix relay smoke test',
      text: 'Hello through Postfix.',
      dsn: { notify: ['SUCCESS', 'FAILURE', 'DELAY'], ret: 'HDRS', envid: ENVID },
    });
    transport.close();
    expect(info.accepted).toHaveLength(4);

    const dsns: Dsn[] = [];
    const reported = (recipient: string, action: string) =>
      dsns.some((dsn) => dsn.recipients.some((r) => r['final-recipient'] === `rfc822; ${recipient}` && r['action'] === action));
    const expected: [string, string][] = [
      ['ok@accept.test', 'relayed'],
      ['nobody@accept.test', 'failed'],
      ['spam@accept.test', 'failed'],
      ['full@accept.test', 'delayed'],
      ['full@accept.test', 'failed'],
    ];
    await waitFor(
      'the delivery to ok@accept.test and a DSN for each other recipient',
      () => {
        while (dsns.length < bounce.messages.length) dsns.push(parseDsn(bounce.messages[dsns.length]!.raw));
        return accept.messages.length === 1 && expected.every(([recipient, action]) => reported(recipient, action));
      },
      postfix.logs,
    );

    expect(accept.messages[0]).toMatchObject({ mailFrom: RETURN_PATH, rcptTo: ['ok@accept.test'] });
    expect(accept.messages[0]!.raw).toContain('Subject: Postfix relay smoke test');

    for (const [index, dsn] of dsns.entries()) {
      const received = bounce.messages[index]!;
      // A DSN has the null return path and goes to the message's return path (RFC 3464 section 2).
      expect(received).toMatchObject({ mailFrom: '', rcptTo: [RETURN_PATH] });
      expect(dsn.to).toBe(RETURN_PATH);
      expect(dsn.contentType).toMatch(/^multipart\/report;\s*report-type=delivery-status;/);
      expect(dsn.message).toMatchObject({ 'reporting-mta': 'dns; relay.mailsight.test', 'original-envelope-id': ENVID });
      // RET=HDRS: the headers of the message come back, so its Message-ID correlates the DSN.
      expect(dsn.returnedHeaders).toContain(`Message-ID: ${info.messageId}`);
      expect(dsn.returnedHeaders).not.toContain('Hello through Postfix.');
    }

    const block = (recipient: string, action: string) =>
      dsns.flatMap((dsn) => dsn.recipients).find((r) => r['final-recipient'] === `rfc822; ${recipient}` && r['action'] === action)!;
    expect(block('ok@accept.test', 'relayed')).toMatchObject({ status: '2.0.0', 'remote-mta': 'dns; 127.0.0.1' });
    expect(block('nobody@accept.test', 'failed')).toMatchObject({ status: '5.1.1', 'remote-mta': 'dns; 127.0.0.1' });
    expect(block('nobody@accept.test', 'failed')['diagnostic-code']).toMatch(/^smtp; 550 5\.1\.1 <nobody@accept\.test>: Recipient address rejected/);
    expect(block('spam@accept.test', 'failed')).toMatchObject({ status: '5.7.1' });
    expect(block('spam@accept.test', 'failed')['diagnostic-code']).toMatch(/^smtp; 554 5\.7\.1 /);
    for (const action of ['delayed', 'failed']) {
      expect(block('full@accept.test', action)).toMatchObject({ status: '4.2.2' });
      expect(block('full@accept.test', action)['diagnostic-code']).toMatch(/^smtp; 452 4\.2\.2 /);
    }
    expect(block('full@accept.test', 'delayed')['will-retry-until']).toBeDefined();

    if (process.env['MAILSIGHT_WRITE_POSTFIX_FIXTURES']) saveFixtures(dsns, bounce.messages);
  });
});

interface Dsn {
  to: string;
  contentType: string;
  /** The per-message block of the message/delivery-status part, field names lowercased. */
  message: Record<string, string>;
  /** One block per recipient. */
  recipients: Record<string, string>[];
  returnedHeaders: string;
}

/**
 * Splits a DSN into its parts by hand (Postfix writes them 7bit, one level deep), so the test sees
 * exactly what Postfix sent rather than a parser's reading of it.
 */
function parseDsn(raw: string): Dsn {
  const text = raw.replace(/\r\n/g, '\n');
  const { headers, body } = splitEntity(text);
  const boundary = /boundary="([^"]+)"/.exec(headers['content-type'] ?? '')?.[1];
  if (!boundary) throw new Error(`not a multipart message:\n${raw}`);
  const parts = body
    .split(`--${boundary}`)
    .slice(1, -1)
    .map((part) => splitEntity(part.replace(/^\n/, '')));
  const partOf = (type: string) => parts.find((part) => part.headers['content-type']?.startsWith(type));
  const status = partOf('message/delivery-status');
  const returned = partOf('text/rfc822-headers');
  if (!status || !returned) throw new Error(`not a DSN with returned headers:\n${raw}`);
  const [message = {}, ...recipients] = fieldBlocks(status.body);
  return { to: headers['to'] ?? '', contentType: headers['content-type'] ?? '', message, recipients, returnedHeaders: returned.body };
}

/** An entity's header fields (names lowercased, folds unfolded) and its body. */
function splitEntity(text: string): { headers: Record<string, string>; body: string } {
  const end = text.indexOf('\n\n');
  const [headers = {}] = fieldBlocks(end < 0 ? text : text.slice(0, end));
  return { headers, body: end < 0 ? '' : text.slice(end + 2) };
}

/** Header blocks separated by blank lines (RFC 3464's delivery-status body), folded lines unfolded. */
function fieldBlocks(text: string): Record<string, string>[] {
  return text
    .replace(/\r\n/g, '\n')
    .replace(/\n[ \t]+/g, ' ')
    .split(/\n{2,}/)
    .filter((block) => block.trim() !== '')
    .map((block) =>
      Object.fromEntries(
        block
          .split('\n')
          .filter((line) => line.includes(':'))
          .map((line) => [line.slice(0, line.indexOf(':')).trim().toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]),
      ),
    );
}

/** One file per DSN, named after what it reports: its recipients' action and statuses. */
function saveFixtures(dsns: Dsn[], messages: Received[]): void {
  mkdirSync(FIXTURES, { recursive: true });
  for (const [index, dsn] of dsns.entries()) {
    const action = dsn.recipients[0]?.['action'] ?? 'unknown';
    const statuses = [...new Set(dsn.recipients.map((r) => r['status']))].sort().join('-');
    writeFileSync(path.join(FIXTURES, `${action}-${statuses}.eml`), messages[index]!.raw);
  }
}
