import { describe, expect, it } from 'vitest';
import { findSmtpCommand, findSmtpReply } from './smtp-reply.js';

describe('findSmtpReply', () => {
  it('reads a reply code with its status, or either alone', () => {
    expect(findSmtpReply('Remote host said: 550-5.7.1 go away')).toEqual({ replyCode: 550, status: '5.7.1' });
    expect(findSmtpReply('(reason: 554 IP refused)')).toEqual({ replyCode: 554, status: null });
    expect(findSmtpReply('Status: 5.2.2 over quota')).toEqual({ replyCode: null, status: '5.2.2' });
    expect(findSmtpReply("Unknown address error 550-'5.2.2 <a@b.example>... Mailbox Full'")).toEqual({ replyCode: 550, status: '5.2.2' });
  });
});

describe('findSmtpCommand', () => {
  it.each([
    ['host mx.example said: 550 5.1.1 unknown (in reply to RCPT TO command)', 'RCPT'],
    ['SMTP error from remote mail server after end of data:', 'DATA'],
    ['SMTP error from remote server after RCPT command:', 'RCPT'],
    ['SMTP:RCPT host 192.0.2.8: 553 5.3.0 <a@b.example>... No such user here', 'RCPT'],
    ['Remote host said: 550 5.2.1 <a@b.example>... User Unknown [RCPT_TO]', 'RCPT'],
    ['Remote SMTP server has rejected address', 'RCPT'],
    ['Remote host said: 501 5.1.8 Sender address rejected [MAIL_FROM]', 'MAIL'],
    ['The error that the other server returned was: 554 554 5.7.0 Header error (state 18).', 'DATA'],
    ['The error that the other server returned was: 550 550 5.1.1 user unknown (state 14).', 'RCPT'],
    ['SMTP error from remote mail server after EHLO neko.example.com:', 'HELO'],
    ['550 user unknown', null],
  ])('%s -> %s', (text, command) => {
    expect(findSmtpCommand(text)).toBe(command);
  });
});
