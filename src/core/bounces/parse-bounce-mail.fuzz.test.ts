/**
 * parseBounceMail never throws: random bytes, random text shaped like mail, and every corpus file cut
 * at random places all give a result of one of the four kinds.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseBounceMail } from './parse-bounce-mail.js';

const KINDS = ['report', 'auto-reply', 'not-a-report', 'unparseable'];
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const emlDir = path.resolve(repoRoot, '..', 'shared', 'corpus', 'sisimai-dev', 'eml');

function expectResult(raw: Buffer | string): void {
  expect(KINDS).toContain(parseBounceMail(raw).kind);
}

/** Lines that make random text look like the parts of a report. */
const MAIL_LINES = [
  'Content-Type: multipart/report; report-type=delivery-status; boundary="b"',
  'Content-Type: message/rfc822',
  'Content-Type: message/delivery-status',
  'Content-Type: message/feedback-report',
  'Content-Transfer-Encoding: base64',
  'Content-Transfer-Encoding: quoted-printable',
  '--b',
  '--b--',
  'Final-Recipient: rfc822; a@b.example',
  'Action: failed',
  'Status: 5.1.1',
  'Feedback-Type: abuse',
  'Subject: =?utf-8?B?broken',
  '550 5.1.1 <a@b.example>... User unknown',
  '',
];

describe('parseBounceMail on hostile input', () => {
  it('never throws on random bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 2000 }), (bytes) => expectResult(Buffer.from(bytes))), { numRuns: 300 });
  });

  it('never throws on random mail-shaped text', () => {
    const line = fc.oneof(fc.constantFrom(...MAIL_LINES), fc.string({ maxLength: 80 }));
    fc.assert(fc.property(fc.array(line, { maxLength: 60 }), (lines) => expectResult('From: x@y.example\n' + lines.join('\n'))), { numRuns: 300 });
  });

  it.skipIf(!existsSync(emlDir))('never throws on truncated or corrupted corpus files', () => {
    const mails = readdirSync(emlDir)
      .filter((name) => name.endsWith('.eml'))
      .map((name) => readFileSync(path.join(emlDir, name)));
    const corrupted = fc.record({ index: fc.nat(mails.length - 1), cut: fc.double({ min: 0, max: 1, noNaN: true }), flip: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) });
    fc.assert(
      fc.property(corrupted, ({ index, cut, flip, byte }) => {
        const mail = Buffer.from(mails[index]!.subarray(0, Math.floor(mails[index]!.length * cut)));
        if (mail.length > 0) mail[flip % mail.length] = byte;
        expectResult(mail);
      }),
      { numRuns: 400 },
    );
  });
});
