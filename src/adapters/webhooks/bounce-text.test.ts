import { describe, expect, test } from 'vitest';
import { bounceFacts, reasonInText, smtpCodes } from './bounce-text.js';

describe('smtpCodes', () => {
  test.each([
    ['smtp;550 5.1.1 The email account that you tried to reach does not exist.', '5.1.1', 550],
    ['550-5.1.1 The email account does not exist', '5.1.1', 550],
    ['452 4.2.2 over quota', '4.2.2', 452],
    ['Diagnostic-Code: smtp; 554 5.7.1 Service unavailable; Client host [192.0.2.250] blocked', '5.7.1', 554],
    ['host mx.example.com[203.0.113.4] said: 421 try later', null, 421],
    ['Connection timed out after 250 seconds', null, null],
    ['queue id 5501 10.1.1.1', null, null],
    ['', null, null],
  ])('%s', (text, status, replyCode) => {
    expect(smtpCodes(text)).toEqual({ status, replyCode });
  });
});

describe('reasonInText', () => {
  test.each([
    ['550 5.1.1 <a@b>: Recipient address rejected: User unknown in local recipient table', 'userunknown'],
    ['Host or domain name not found. Name service error for name=x.example type=A', 'hostunknown'],
    ['452 4.2.2 Mailbox full', 'mailboxfull'],
    ['550 5.2.1 The account is disabled', 'suspend'],
    ['552 5.3.4 Message size exceeds fixed maximum message size', 'mesgtoobig'],
    ['554 5.7.1 Message rejected: virus found', 'virusdetected'],
    ['550 5.7.26 Unauthenticated email from example.com is not accepted due to domain DMARC policy', 'authfailure'],
    ['550 5.7.1 Message rejected as spam', 'spamdetected'],
    ['554 5.7.1 Service unavailable; Client host blocked using zen.spamhaus.org', 'blocked'],
    ['554 Your IP is on our block list', 'blocked'],
    ['421 4.7.0 Too many connections from your IP', 'toomanyconn'],
    ['Connection timed out', 'expired'],
    ['550 5.1.10 RESOLVER.ADR.RecipientNotFound', 'notaccept'],
    ['550 5.1.6 recipient moved', 'hasmoved'],
    ['something else entirely', null],
  ])('%s -> %s', (text, reason) => {
    expect(reasonInText(text)).toBe(reason);
  });
});

describe('bounceFacts', () => {
  test('a known reason wins over the text; a fallback only when the text says nothing', () => {
    expect(bounceFacts('550 5.1.1 user unknown', { known: 'suppressed' })).toEqual({ hard: false, reason: 'suppressed', status: '5.1.1', replyCode: 550, diagnostic: '550 5.1.1 user unknown' });
    expect(bounceFacts('550 5.1.1 user unknown', { fallback: 'undefined' })).toMatchObject({ hard: true, reason: 'userunknown' });
    expect(bounceFacts(null, { fallback: 'userunknown' })).toEqual({ hard: true, reason: 'userunknown', status: null, replyCode: null, diagnostic: null });
  });

  test('hard follows the project rule: a temporary no-mail-host answer is soft', () => {
    expect(bounceFacts('451 4.1.10 no mail host', { known: 'notaccept' }).hard).toBe(false);
    expect(bounceFacts('550 5.1.10 null MX', { known: 'notaccept' }).hard).toBe(true);
  });
});
