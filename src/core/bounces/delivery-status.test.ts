import { describe, expect, it } from 'vitest';
import { cleanAddress, parseDeliveryStatus } from './delivery-status.js';

describe('parseDeliveryStatus', () => {
  it('reads the per-message block and one block per recipient', () => {
    const fields = parseDeliveryStatus(
      [
        'Reporting-MTA: dns; mx.example.org',
        'Original-Envelope-Id: env-42',
        'Arrival-Date: Thu, 29 Apr 2021 23:34:45 +0900',
        '',
        'Final-Recipient: rfc822; <A@Example.COM>',
        'Original-Recipient: rfc822; a+orig@example.com',
        'Action: failed',
        'Status: 5.1.1',
        'Remote-MTA: dns; mx.example.com',
        'Diagnostic-Code: smtp; 550 5.1.1 <a@example.com>: Recipient address',
        '    rejected: User unknown',
        'Last-Attempt-Date: Thu, 29 Apr 2021 23:35:00 +0900',
        '',
        'Final-Recipient: rfc822; b@example.com',
        'Action: delayed (retrying)',
        'Status: 4.4.1 (connection timed out)',
      ].join('\n'),
    );
    expect(fields).toMatchObject({ reportingMta: 'mx.example.org', envelopeId: 'env-42', arrivalDate: 'Thu, 29 Apr 2021 23:34:45 +0900' });
    expect(fields.recipients).toHaveLength(2);
    expect(fields.recipients[0]).toMatchObject({
      finalRecipient: 'a@example.com',
      originalRecipient: 'a+orig@example.com',
      action: 'failed',
      status: '5.1.1',
      remoteMta: 'mx.example.com',
      diagnosticCode: '550 5.1.1 <a@example.com>: Recipient address rejected: User unknown',
    });
    expect(fields.recipients[1]).toMatchObject({ finalRecipient: 'b@example.com', action: 'delayed', status: '4.4.1', statusComment: 'connection timed out' });
  });

  it('cuts recipients written without blank lines between them', () => {
    const fields = parseDeliveryStatus('Reporting-MTA: dns; x\nFinal-Recipient: rfc822; a@x.example\nAction: failed\nStatus: 5.0.0\nFinal-Recipient: rfc822; b@x.example\nAction: failed\n');
    expect(fields.recipients.map((recipient) => recipient.finalRecipient)).toEqual(['a@x.example', 'b@x.example']);
  });

  it('keeps an Original-Recipient written after its Final-Recipient with the same recipient', () => {
    const fields = parseDeliveryStatus('Action: failed\nFinal-Recipient: rfc822; a@x.example\nOriginal-Recipient: rfc822; a@x.example\nDiagnostic-Code: smtp; 550 5.1.1 no\nStatus: 5.1.1\n');
    expect(fields.recipients).toHaveLength(1);
    expect(fields.recipients[0]).toMatchObject({ status: '5.1.1', diagnosticCode: '550 5.1.1 no' });
  });
});

describe('cleanAddress', () => {
  it('drops the type, brackets and case', () => {
    expect(cleanAddress('rfc822; <Kiji@Example.JP>')).toBe('kiji@example.jp');
    expect(cleanAddress("RFC822; 'kiji@example.jp'")).toBe('kiji@example.jp');
    expect(cleanAddress('rfc822; no address')).toBeNull();
  });
});

describe('parseDeliveryStatus: Status comments', () => {
  it('drops a Status comment that only titles the code (RFC 3463), keeps one that says more', () => {
    const fields = parseDeliveryStatus('Final-Recipient: rfc822; a@b.example\nAction: delayed\nStatus: 4.4.0 (other or undefined network or routing status)\n\nFinal-Recipient: rfc822; c@b.example\nAction: failed\nStatus: 5.0.0 (host name lookup failure)\n');
    expect(fields.recipients.map((recipient) => recipient.statusComment)).toEqual([null, 'host name lookup failure']);
  });
});
