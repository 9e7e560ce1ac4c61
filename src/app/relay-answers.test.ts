import { describe, expect, it } from 'vitest';
import { refusal, relayVerdict } from './relay-answers.js';

const refusalReason = (text: string) => refusal(Number(text.slice(0, 3)), text).reason;
const enhancedStatus = (text: string) => refusal(Number(text.slice(0, 3)), text).status;

describe("the relay's answer", () => {
  it('is sent on acceptance, a retry on a 4xx or no answer, a bounce on a 5xx', () => {
    expect(relayVerdict({ accepted: true, response: '250 2.0.0 ok', messageId: null })).toEqual({ kind: 'sent' });
    expect(relayVerdict({ accepted: false, code: 451, response: '451 4.3.0 try again later' })).toEqual({ kind: 'retry', code: 451, status: '4.3.0', text: '451 4.3.0 try again later', reason: 'systemerror' });
    expect(relayVerdict({ accepted: false, code: null, response: 'the relay did not answer: connect ECONNREFUSED' })).toMatchObject({ kind: 'retry', code: null, reason: 'networkerror' });
    expect(relayVerdict({ accepted: false, code: 550, response: '550 5.1.1 <x@y>: Recipient address rejected: User unknown' })).toMatchObject({ kind: 'bounce', hard: true, reason: 'userunknown', status: '5.1.1' });
    expect(relayVerdict({ accepted: false, code: 552, response: '552 5.2.2 Mailbox full' })).toMatchObject({ kind: 'bounce', hard: false, reason: 'mailboxfull' });
    // A null MX is hard only when the answer is permanent (isHardBounce).
    expect(relayVerdict({ accepted: false, code: 556, response: '556 5.1.10 null MX' })).toMatchObject({ kind: 'bounce', hard: true, reason: 'notaccept' });
    expect(relayVerdict({ accepted: false, code: 554, response: '554 something nobody knows' })).toMatchObject({ kind: 'bounce', hard: false, reason: 'undefined', status: null });
  });

  it('names the reason a phrase or an enhanced code gives', () => {
    expect(refusalReason('554 5.7.1 Relay access denied')).toBe('norelaying');
    expect(refusalReason('530 5.7.0 Authentication required')).toBe('securityerror');
    expect(refusalReason('421 4.7.0 Too many connections from your IP')).toBe('toomanyconn');
    expect(refusalReason('550 5.7.1 Message rejected as spam')).toBe('spamdetected');
    expect(refusalReason('554 5.7.1 Service unavailable; client host blocked using zen.spamhaus.org')).toBe('blocked');
    expect(refusalReason('552 5.3.4 Message size exceeds fixed limit')).toBe('mesgtoobig');
    expect(enhancedStatus('550-5.1.1 The email account does not exist')).toBe('5.1.1');
    expect(enhancedStatus('250 ok')).toBeNull();
  });
});
