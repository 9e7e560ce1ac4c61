import { describe, expect, it } from 'vitest';
import { classifyBounce, reasonFromStatus, reasonFromText, normalizeDiagnostic } from './bounce-classifier.js';

const byText = (text: string): string | null => reasonFromText(normalizeDiagnostic(text));

describe('the phrase tables', () => {
  it.each([
    ['550 5.1.1 <a@b.example>: Recipient address rejected: User unknown in virtual mailbox table', 'userunknown'],
    ["550-5.1.1 The email account that you tried to reach does not exist.", 'userunknown'],
    ['550 No such user here', 'userunknown'],
    ['Host or domain name not found. Name service error for name=b.example type=A: Host not found', 'hostunknown'],
    ['552 5.2.2 Mailbox full', 'mailboxfull'],
    ['452 4.2.2 The email account is over quota', 'mailboxfull'],
    ['554 5.7.1 Service unavailable; Client host [192.0.2.1] blocked using zen.spamhaus.org', 'blocked'],
    ['550 5.7.1 Message rejected as spam by Content Filtering', 'spamdetected'],
    ['554 5.7.1 Relay access denied', 'norelaying'],
    ['552 5.3.4 Message size exceeds fixed limit', 'mesgtoobig'],
    ['550 5.7.26 Unauthenticated email from example.jp is not accepted due to domain\'s DMARC policy', 'authfailure'],
    ['550 5.7.1 SPF check failed', 'authfailure'],
    ['550 5.7.25 The IP address sending this message does not have a PTR record', 'requireptr'],
    ['450 4.7.1 Client host rejected: cannot find your reverse hostname', 'requireptr'],
    ['550 5.2.1 The email account that you tried to reach is disabled', 'suspend'],
    ['553 5.1.8 Sender address rejected: Domain not found', 'rejected'],
    ['421 4.7.0 Too many concurrent SMTP connections from this IP address', 'toomanyconn'],
    ['554 5.7.1 Message contains a virus', 'virusdetected'],
    ['Message could not be delivered for 5 days', 'expired'],
    ['Connection timed out while talking to mx.example.com', 'expired'],
    ['Too many hops: mail loop detected', 'networkerror'],
    ['host not found, try again', 'networkerror'],
    ['550 5.7.1 Rejected for policy reasons', 'policyviolation'],
    ['550 5.7.1 Messages with multiple addresses in From: header are not accepted', 'notcompliantrfc'],
    ['500 remote server does not support TLS', 'failedstarttls'],
    ['550-5.7.26 This mail has been blocked because the sender is unauthenticated. Gmail requires all senders to authenticate with either SPF or DKIM.', 'authfailure'],
    ['550 5.7.708 Service unavailable. Access denied, traffic not accepted from this IP', 'blocked'],
    ['550 5.7.1 Unfortunately, messages from [192.0.2.1] weren\'t sent. Please contact your Internet service provider since part of their network is on our block list (S3150)', 'blocked'],
    ['554 5.4.14 Hop count exceeded - possible mail loop', 'networkerror'],
    ['all relevant MX records point to non-existent hosts', 'hostunknown'],
    ['Sorry, no mailbox here by that name. (#5.1.1)', 'userunknown'],
    ["Sorry, I couldn't find any host named example.invalid. (#5.1.2)", 'hostunknown'],
    ['550 5.4.1 Recipient address rejected: Access denied. AS(201806281)', 'userunknown'],
    ['550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup', 'userunknown'],
    ['554 delivery error: dd Sorry your message to a@b.example cannot be delivered. This mailbox is disabled (554.30)', 'suspend'],
    ['421 4.7.0 [TSS04] Messages from 192.0.2.1 temporarily deferred due to unexpected volume or user complaints', 'badreputation'],
    ['552 Requested mail action aborted: exceeded mailsize limit', 'mesgtoobig'],
    ['mailbox is full: retry timeout exceeded', 'mailboxfull'],
    ['retry timeout exceeded', 'expired'],
    ['550 Adresse destinataire invalide', 'userunknown'],
    ['Das Postfach ist voll', 'mailboxfull'],
    ['connect to mx.example.com[192.0.2.2]:25: No route to host', 'networkerror'],
    ['lost connection with mx.example.com[192.0.2.2] while performing the HELO handshake', 'networkerror'],
    ['550-REJECTED - Blacklisted URL in message. 550-See http://lookup.uribl.com.', 'spamdetected'],
    ['550 domain [example.com] mismatches client ip 192.0.2.225.', 'requireptr'],
    ['451 Could not load DRD for domain (example.com)', 'systemerror'],
    ["Sorry, I couldn't find a mail exchanger or IP address. (#5.4.4)", 'notaccept'],
    ['Sorry, you are sending to/from an address that has been blacklisted', 'rejected'],
    ['Delivery to the following recipients was aborted after 5.0 hour(s)', 'expired'],
    ['550 5.7.1 <a@b.example>... Access denied', 'securityerror'],
    ['550 5.7.1 Access denied', 'rejected'],
    ['550 5.1.0 <b@sender.example> sender rejected. Refer to Error Codes section at https://www.cox.com/residential/support/email-error-codes.html for more information. AUP#CDRBL', 'blocked'],
  ])('%s -> %s', (text, reason) => {
    expect(byText(text)).toBe(reason);
  });

  it('says nothing about text without a known phrase', () => {
    expect(byText('550 rejected')).toBeNull();
    expect(byText('')).toBeNull();
  });
});

describe('reasonFromStatus', () => {
  it('maps the subject and detail, not the class', () => {
    expect(reasonFromStatus('5.1.1')).toBe('userunknown');
    expect(reasonFromStatus('4.1.1')).toBe('userunknown');
    expect(reasonFromStatus('5.2.2')).toBe('mailboxfull');
    expect(reasonFromStatus('5.4.7')).toBe('expired');
    expect(reasonFromStatus('5.7.1')).toBeNull();
    expect(reasonFromStatus('5.0.0')).toBeNull();
  });
});

describe('classifyBounce', () => {
  it('believes the words before the status', () => {
    expect(classifyBounce({ status: '5.7.1', replyCode: 550, diagnostic: '550 5.7.1 mailbox full' })).toEqual({ reason: 'mailboxfull', hard: false, basis: 'text' });
  });
  it('falls back on the status, then on the reply code', () => {
    expect(classifyBounce({ status: '5.1.1', replyCode: 550, diagnostic: '550 5.1.1 go away' })).toMatchObject({ reason: 'userunknown', hard: true, basis: 'status' });
    expect(classifyBounce({ status: null, replyCode: 551, diagnostic: '551 not here' })).toMatchObject({ reason: 'hasmoved', hard: true });
    expect(classifyBounce({ status: '5.0.0', replyCode: 550, diagnostic: '550 no' })).toMatchObject({ reason: 'onhold', hard: false });
    expect(classifyBounce({ status: null, replyCode: null, diagnostic: null })).toMatchObject({ reason: 'undefined', basis: 'none' });
  });
  it('keeps an unknown user hard behind a temporary code', () => {
    expect(classifyBounce({ status: '4.1.1', replyCode: 450, diagnostic: '450 4.1.1 user unknown' })).toMatchObject({ reason: 'userunknown', hard: true });
  });
  it('calls a refusal after DATA filtered, unless the status names a bad mailbox', () => {
    expect(classifyBounce({ status: '5.0.0', replyCode: 550, diagnostic: '550 user unknown', command: 'DATA' })).toMatchObject({ reason: 'filtered', hard: false });
    expect(classifyBounce({ status: '5.1.1', replyCode: 550, diagnostic: '550 user unknown', command: 'DATA' })).toMatchObject({ reason: 'userunknown' });
  });
  it('believes "user unknown" only where the address was judged: at RCPT TO, with X.1.x, or by the mailbox\'s own system', () => {
    expect(classifyBounce({ status: '5.0.0', replyCode: 550, diagnostic: '550 user unknown' })).toMatchObject({ reason: 'filtered', hard: false });
    expect(classifyBounce({ status: null, replyCode: 550, diagnostic: '550 user unknown', command: 'RCPT' })).toMatchObject({ reason: 'userunknown', hard: true });
    expect(classifyBounce({ status: '5.1.1', replyCode: 550, diagnostic: '550 user unknown' })).toMatchObject({ reason: 'userunknown' });
    expect(classifyBounce({ status: null, replyCode: null, diagnostic: 'a@b.example on 4/29/01 The recipient name is not recognized' })).toMatchObject({ reason: 'userunknown' });
    expect(classifyBounce({ status: null, replyCode: null, diagnostic: 'a@b.example User a@b.example not listed in Domino Directory' })).toMatchObject({ reason: 'userunknown' });
    expect(classifyBounce({ status: '5.0.0', replyCode: 554, diagnostic: "554 delivery error: dd This user doesn't have a yahoo.com account (a@yahoo.com) [0]", command: 'DATA' })).toMatchObject({ reason: 'userunknown' });
  });
  it('tells au\'s unknown address from its receive-setting refusal', () => {
    expect(classifyBounce({ status: '5.0.0', replyCode: 550, diagnostic: '550 <a@ezweb.ne.jp>: User unknown' })).toMatchObject({ reason: 'userunknown' });
    expect(classifyBounce({ status: '5.0.0', replyCode: 550, diagnostic: '550 : User unknown' })).toMatchObject({ reason: 'filtered' });
  });
  it('reads Outlook.com\'s "mailbox unavailable" as its verdict on the address, from that family only', () => {
    const input = { status: '5.5.0', replyCode: 550, diagnostic: '550 Requested action not taken: mailbox unavailable' };
    expect(classifyBounce({ ...input, reporter: 'bay004-mc1f2.hotmail.com' })).toMatchObject({ reason: 'userunknown' });
    expect(classifyBounce({ ...input, reporter: 'mx.zoho.example' })).toMatchObject({ reason: 'filtered' });
  });
  it('calls a refusal after EHLO a block of the client', () => {
    expect(classifyBounce({ status: '5.0.0', replyCode: 550, diagnostic: '550 Rejected', command: 'HELO' })).toMatchObject({ reason: 'blocked' });
  });
  it('calls a refusal after DATA that names no reason filtered', () => {
    expect(classifyBounce({ status: '5.7.0', replyCode: 554, diagnostic: '554 5.7.0 Header error', command: 'DATA' })).toMatchObject({ reason: 'filtered' });
    expect(classifyBounce({ status: '5.7.0', replyCode: 554, diagnostic: '554 5.7.0 Header error' })).toMatchObject({ reason: 'securityerror' });
  });
  it('reads a generic X.Y.0 status after the other words and a delay', () => {
    expect(classifyBounce({ status: '4.4.0', replyCode: null, diagnostic: null, action: 'delayed' })).toMatchObject({ reason: 'expired' });
    expect(classifyBounce({ status: '4.4.0', replyCode: null, diagnostic: null, action: 'failed' })).toMatchObject({ reason: 'networkerror' });
    expect(classifyBounce({ status: '5.7.0', replyCode: 550, diagnostic: '550 no', context: 'mailbox is full' })).toMatchObject({ reason: 'mailboxfull' });
  });
  it('holds a report whose words name nothing known', () => {
    expect(classifyBounce({ status: null, replyCode: null, diagnostic: 'a@b.example', context: 'see the attachment' })).toMatchObject({ reason: 'onhold', basis: 'none' });
  });
  it('calls an unknown address refused at MAIL FROM rejected', () => {
    expect(classifyBounce({ status: '5.1.0', replyCode: 553, diagnostic: '553 unknown user', command: 'MAIL' })).toMatchObject({ reason: 'rejected', hard: false });
  });
  it('calls a temporary host-not-found a network error', () => {
    expect(classifyBounce({ status: '4.4.3', replyCode: null, diagnostic: 'domain not found' })).toMatchObject({ reason: 'networkerror', hard: false });
  });
  it('reads success and delay from the action', () => {
    expect(classifyBounce({ status: '2.0.0', replyCode: 250, diagnostic: '250 ok', action: 'delivered' }).reason).toBe('delivered');
    expect(classifyBounce({ status: '4.0.0', replyCode: null, diagnostic: null, action: 'delayed' }).reason).toBe('expired');
  });
  it('uses the context when the diagnostic and status say nothing', () => {
    expect(classifyBounce({ status: '5.0.0', replyCode: null, diagnostic: '550 no', context: 'the mailbox is full' }).reason).toBe('mailboxfull');
  });
});
