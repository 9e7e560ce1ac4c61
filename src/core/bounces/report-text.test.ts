import { describe, expect, it } from 'vitest';
import { cutReturnedMessage, htmlToText, returnedHeaderLines } from './report-text.js';

describe('cutReturnedMessage', () => {
  it.each([
    '--- Below this line is a copy of the message.',
    '------ This is a copy of the message, including all the headers. ------',
    '----- Original message -----',
    '   ----- Unsent message follows -----',
    '------- Returned Message --------',
    'Original message follows.',
  ])('cuts at "%s"', (marker) => {
    expect(cutReturnedMessage(`<a@b.example>: user unknown\n\n${marker}\n\nReceived: from x\nTo: a@b.example\n`)).toBe('<a@b.example>: user unknown\n');
  });

  it('keeps decorated lines that announce the report itself', () => {
    const text = '** Message not delivered **\n\nYour message was not delivered.\n   ----- The following addresses had permanent fatal errors -----\n<a@b.example>';
    expect(cutReturnedMessage(text)).toBe(text);
  });

  it('cuts at a quoted header block, not at prose quoting To and Subject', () => {
    expect(cutReturnedMessage('failed: a@b.example\n\nReturn-Path: <s@x.example>\nReceived: by x\nMessage-ID: <1@x>\n')).toBe('failed: a@b.example\n');
    const prose = 'Your message\n\n  To: a@b.example\n  Subject: hi\n  Sent: today\n\ndid not reach the following recipient(s):';
    expect(cutReturnedMessage(prose)).toBe(prose);
  });
});

describe('returnedHeaderLines', () => {
  it('reads the copied header after its marker', () => {
    expect(returnedHeaderLines('oops\n--- Below this line is a copy of the message.\n\nMessage-ID: <1@x>\nTo: a@b.example\n\nbody')).toEqual(['Message-ID: <1@x>', 'To: a@b.example']);
    expect(returnedHeaderLines('no copy here')).toBeNull();
  });
});

describe('htmlToText', () => {
  it('keeps the words and line breaks of a formatted bounce', () => {
    expect(htmlToText('<style>p{}</style><p>Address&nbsp;not found</p><br>&lt;a@b.example&gt;')).toBe(' Address not found\n\n<a@b.example>');
  });
});
