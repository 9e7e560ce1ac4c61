import { describe, expect, it } from 'vitest';
import { parseBounceMail, type BounceMailResult } from './parse-bounce-mail.js';
import type { ReportedOutcome } from '../outcomes/reported-outcome.js';

function outcomes(result: BounceMailResult): ReportedOutcome[] {
  if (result.kind !== 'report' && result.kind !== 'auto-reply') throw new Error(`${result.kind}: ${result.reason}`);
  return result.outcomes;
}

const DSN = [
  'From: MAILER-DAEMON@mx.example.org (Mail Delivery System)',
  'To: bounce+tok123@mail.sender.example',
  'Date: Thu, 29 Apr 2021 23:35:00 +0000',
  'Message-ID: <dsn-1@mx.example.org>',
  'Subject: Undelivered Mail Returned to Sender',
  'Content-Type: multipart/report; report-type=delivery-status; boundary="B"',
  '',
  '--B',
  'Content-Type: text/plain',
  '',
  '<a@example.com>: host mx.example.com said: 550 5.1.1 <a@example.com>: Recipient',
  '    address rejected: User unknown (in reply to RCPT TO command)',
  '<b@example.net>: host mx.example.net said: 452 4.2.2 Mailbox full (in reply to',
  '    RCPT TO command)',
  '--B',
  'Content-Type: message/delivery-status',
  '',
  'Reporting-MTA: dns; mx.example.org',
  'Original-Envelope-Id: env-7',
  'Arrival-Date: Thu, 29 Apr 2021 23:34:45 +0000',
  '',
  'Final-Recipient: rfc822; a@example.com',
  'Action: failed',
  'Status: 5.1.1',
  'Diagnostic-Code: smtp; 550 5.1.1 <a@example.com>: Recipient address rejected: User unknown',
  'Last-Attempt-Date: Thu, 29 Apr 2021 23:34:50 +0000',
  '',
  'Final-Recipient: rfc822; b@example.net',
  'Action: delayed',
  'Status: 4.2.2',
  'Diagnostic-Code: smtp; 452 4.2.2 Mailbox full',
  '',
  '--B',
  'Content-Type: text/rfc822-headers',
  '',
  'From: news@sender.example',
  'To: a@example.com',
  'Message-ID: <orig-1@sender.example>',
  '--B--',
  '',
].join('\n');

describe('parseBounceMail: RFC 3464 delivery-status reports', () => {
  it('gives one outcome per recipient with its facts and references', () => {
    const result = parseBounceMail(DSN);
    expect(result).toMatchObject({ kind: 'report', format: 'rfc3464' });
    const [first, second] = outcomes(result);
    expect(first).toMatchObject({
      kind: 'bounced',
      recipient: 'a@example.com',
      at: Date.UTC(2021, 3, 29, 23, 34, 50),
      reporter: 'dsn',
      reference: { token: 'tok123', envelopeId: 'env-7', messageIdHeader: 'orig-1@sender.example', providerMessageId: null },
      bounce: { hard: true, reason: 'userunknown', status: '5.1.1', replyCode: 550 },
    });
    expect(second).toMatchObject({ kind: 'deferred', recipient: 'b@example.net', bounce: { hard: false, reason: 'mailboxfull', status: '4.2.2', replyCode: 452 } });
  });

  it('derives the same ids from the same mail, and different ids per recipient', () => {
    const once = outcomes(parseBounceMail(DSN)).map((outcome) => outcome.id);
    const again = outcomes(parseBounceMail(Buffer.from(DSN))).map((outcome) => outcome.id);
    expect(again).toEqual(once);
    expect(new Set(once).size).toBe(2);
    expect(once[0]).toMatch(/^[0-9a-f]{32}$/);
  });

  it('takes the VERP token from the envelope recipients first', () => {
    const result = parseBounceMail(DSN, { envelopeRecipients: ['bounce+fromenvelope@mail.sender.example'] });
    expect(outcomes(result)[0]!.reference.token).toBe('fromenvelope');
  });

  it('reads delivered actions as deliveries', () => {
    const delivered = DSN.replace('Action: failed\nStatus: 5.1.1', 'Action: delivered\nStatus: 2.0.0');
    expect(outcomes(parseBounceMail(delivered))[0]).toMatchObject({ kind: 'delivered', bounce: { reason: 'delivered', hard: false } });
  });
});

describe('parseBounceMail: non-standard bounces', () => {
  it('reads a qmail bounce from its text', () => {
    const qmail = [
      'From: MAILER-DAEMON@mx.example.org',
      'To: sender@example.jp',
      'Subject: failure notice',
      '',
      "Hi. This is the qmail-send program at mx.example.org.",
      "I'm afraid I wasn't able to deliver your message to the following addresses.",
      '',
      '<gone@example.com>:',
      '192.0.2.1 does not like recipient.',
      'Remote host said: 550 5.1.1 <gone@example.com>... User Unknown',
      '',
      '<full@example.com>:',
      'Remote host said: 552 5.2.2 Mailbox quota exceeded',
      '',
      '--- Below this line is a copy of the message.',
      '',
      'Message-ID: <orig@example.jp>',
      'To: gone@example.com, full@example.com',
      'From: sender@example.jp',
      '',
      'hello',
    ].join('\n');
    const result = parseBounceMail(qmail);
    expect(result).toMatchObject({ kind: 'report', format: 'text' });
    expect(outcomes(result).map((outcome) => [outcome.recipient, outcome.bounce?.reason, outcome.bounce?.hard])).toEqual([
      ['gone@example.com', 'userunknown', true],
      ['full@example.com', 'mailboxfull', false],
    ]);
    expect(outcomes(result)[0]!.reference.messageIdHeader).toBe('orig@example.jp');
  });

  it('reads a delay warning as deferred, not bounced', () => {
    const warning = [
      'From: Mail Delivery Subsystem <MAILER-DAEMON@mx.example.org>',
      'To: sender@example.jp',
      'Subject: Warning: could not send message for past 4 hours',
      '',
      '    **********************************************',
      '    **      THIS IS A WARNING MESSAGE ONLY      **',
      '    **  YOU DO NOT NEED TO RESEND YOUR MESSAGE  **',
      '    **********************************************',
      '',
      '<slow@example.com>... Deferred: Connection timed out with mx.example.com.',
    ].join('\n');
    expect(outcomes(parseBounceMail(warning))[0]).toMatchObject({ kind: 'deferred', recipient: 'slow@example.com', bounce: { hard: false } });
  });

  it('does not take an ordinary mail for a bounce', () => {
    const mail = 'From: friend@example.com\nTo: me@example.org\nSubject: lunch\n\nSee you at noon, ask bob@example.net too.\n';
    expect(parseBounceMail(mail)).toMatchObject({ kind: 'not-a-report' });
  });
});

const ARF = (feedbackType: string): string =>
  [
    'From: fbl@isp.example',
    'To: fbl+reports@sender.example',
    'Message-ID: <arf-1@isp.example>',
    'Content-Type: multipart/report; report-type=feedback-report; boundary="F"',
    '',
    '--F',
    'Content-Type: text/plain',
    '',
    'This is an email abuse report.',
    '--F',
    'Content-Type: message/feedback-report',
    '',
    `Feedback-Type: ${feedbackType}`,
    'User-Agent: ExampleFBL/1.0',
    'Version: 1',
    'Original-Rcpt-To: <Victim@ISP.example>',
    'Arrival-Date: Thu, 29 Apr 2021 10:00:00 +0000',
    'Source-IP: 192.0.2.9',
    '--F',
    'Content-Type: message/rfc822',
    '',
    'From: news@sender.example',
    'To: victim@isp.example',
    'Return-Path: <bounce+tok9@sender.example>',
    'Message-ID: <orig-9@sender.example>',
    '',
    'body',
    '--F--',
  ].join('\n');

describe('parseBounceMail: ARF feedback reports', () => {
  it('reads an abuse report as a complaint from the Original-Rcpt-To', () => {
    const result = parseBounceMail(ARF('abuse'));
    expect(result).toMatchObject({ kind: 'report', format: 'arf' });
    expect(outcomes(result)[0]).toMatchObject({
      kind: 'complained',
      recipient: 'victim@isp.example',
      reporter: 'arf',
      feedbackType: 'abuse',
      at: Date.UTC(2021, 3, 29, 10),
      reference: { messageIdHeader: 'orig-9@sender.example', token: 'tok9' },
    });
  });

  it('keeps opt-out as an unsubscribe and auth-failure apart', () => {
    expect(outcomes(parseBounceMail(ARF('opt-out')))[0]!.kind).toBe('unsubscribed');
    expect(outcomes(parseBounceMail(ARF('auth-failure')))[0]!.kind).toBe('auth-failure');
  });

  it('takes the returned message recipient when the report redacts Original-Rcpt-To', () => {
    const redacted = ARF('abuse').replace('Original-Rcpt-To: <Victim@ISP.example>\n', '');
    expect(outcomes(parseBounceMail(redacted))[0]!.recipient).toBe('victim@isp.example');
  });

  it("reads an opt-out report's Removal-Recipient (ARF drafts) as the recipient", () => {
    const draft = ARF('opt-out').replace('Original-Rcpt-To: <Victim@ISP.example>\n', 'Removal-Recipient: gone@isp.example\n');
    expect(outcomes(parseBounceMail(draft))[0]).toMatchObject({ kind: 'unsubscribed', recipient: 'gone@isp.example' });
  });
});

describe('parseBounceMail: Amazon SES DSNs', () => {
  it("reads the remote reply behind SES's own category", () => {
    const ses = DSN.replace(
      'Diagnostic-Code: smtp; 550 5.1.1 <a@example.com>: Recipient address rejected: User unknown',
      "Diagnostic-Code: smtp; 5.1.0 - Unknown address error 550-'5.2.2 <a@example.com>... Mailbox Full' (delivery attempts: 0)",
    ).replace('Status: 5.1.1', 'Status: 5.0.0');
    expect(outcomes(parseBounceMail(ses))[0]).toMatchObject({ recipient: 'a@example.com', bounce: { reason: 'mailboxfull', status: '5.2.2', hard: false } });
  });
});

describe('parseBounceMail: mailbox files', () => {
  it('reads every message of an mbox file, in order', () => {
    const second = DSN.replace(/a@example\.com/g, 'c@example.com').replace('<dsn-1@mx.example.org>', '<dsn-2@mx.example.org>');
    const mbox = `From MAILER-DAEMON  Thu Apr 29 23:35:00 2021\n${DSN}\nFrom MAILER-DAEMON  Thu Apr 29 23:36:00 2021\n${second}`;
    const found = outcomes(parseBounceMail(mbox));
    expect(found.map((outcome) => outcome.recipient)).toEqual(['a@example.com', 'b@example.net', 'c@example.com', 'b@example.net']);
    expect(new Set(found.map((outcome) => outcome.id)).size).toBe(4);
  });

  it('reads one message that starts with a postmark as one', () => {
    expect(outcomes(parseBounceMail(`From MAILER-DAEMON  Thu Apr 29 23:35:00 2021\n${DSN}`))).toHaveLength(2);
  });
});

describe('parseBounceMail: auto-replies', () => {
  it('reads RFC 3834 auto-replies and vacation subjects as auto-replies, not bounces', () => {
    const marked = 'From: Kiji <kiji@example.net>\nTo: bounce+t1@sender.example\nAuto-Submitted: auto-replied\nSubject: Re: news\n\nI am away.';
    const bySubject = 'From: kiji@example.net\nTo: news@sender.example\nSubject: Out of Office: news\n\nBack on Monday.';
    for (const mail of [marked, bySubject]) {
      const result = parseBounceMail(mail);
      expect(result.kind).toBe('auto-reply');
      expect(outcomes(result)[0]).toMatchObject({ kind: 'auto-reply', recipient: 'kiji@example.net' });
    }
  });

  it('does not take an Exim bounce marked auto-replied for an auto-reply', () => {
    const exim = [
      'From: Mail Delivery System <Mailer-Daemon@mx.example.org>',
      'To: sender@example.jp',
      'Auto-Submitted: auto-replied',
      'X-Failed-Recipients: gone@example.com',
      'Subject: Mail delivery failed: returning message to sender',
      '',
      'This message was created automatically by mail delivery software.',
      '',
      '  gone@example.com',
      '    SMTP error from remote mail server after RCPT TO:<gone@example.com>:',
      '    host mx.example.com [192.0.2.1]: 550 5.1.1 No such user here',
    ].join('\n');
    expect(outcomes(parseBounceMail(exim))[0]).toMatchObject({ kind: 'bounced', recipient: 'gone@example.com', bounce: { reason: 'userunknown' } });
  });
});

describe('parseBounceMail: hostile input', () => {
  it('reads at most a thousand recipients from a text that names many more', () => {
    const lines = Array.from({ length: 5000 }, (_, i) => `u${i}@y.example: user unknown`);
    const result = parseBounceMail(`From: MAILER-DAEMON@x.example\nSubject: Undelivered Mail\n\n${lines.join('\n')}`);
    expect(outcomes(result)).toHaveLength(1000);
  });
});

describe('parseBounceMail: unreadable input', () => {
  it('says why instead of throwing', () => {
    expect(parseBounceMail('')).toMatchObject({ kind: 'unparseable' });
    expect(parseBounceMail(Buffer.from([0xff, 0xfe, 0x00]))).toMatchObject({ kind: 'unparseable' });
  });
});

describe('parseBounceMail: mailing-list notices', () => {
  const notice = (subject: string, body: string): string =>
    ['From: list-admin@lists.example', 'To: poster@sender.example', `Subject: ${subject}`, 'X-MLServer: fml [fml 4.0.3 release]', 'Message-Id: <n1@lists.example>', '', body, ''].join('\n');

  it("reads fml's refusal of a non-member's post as a sender rejection for the list", () => {
    const found = outcomes(parseBounceMail(notice('You poster@sender.example are not member (cats ML)', 'You are not a member of this mailing list <cats@lists.example>.\n\nIf you know the general guide of this list, send "guide" to cats-ctl@lists.example')));
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ kind: 'bounced', recipient: 'cats@lists.example', bounce: { reason: 'rejected', hard: false } });
  });

  it("reads fml's loop alert as the list system's refusal", () => {
    const found = outcomes(parseBounceMail(notice('Loop Alert: Duplicated Message-ID (cats ML)', 'Duplicated Message-ID in <cats@lists.example>.\n\nOriginal mail as follows:\n')));
    expect(found[0]).toMatchObject({ recipient: 'cats@lists.example', bounce: { reason: 'systemerror' } });
  });
});

