import { describe, expect, it } from 'vitest';
import { headerValue } from './header-block.js';
import { readMime, splitMultipart, walkEntities, type MimeEntity } from './mime-reader.js';

function read(raw: string | Buffer): MimeEntity {
  const result = readMime(raw);
  if (!result.ok) throw new Error(result.reason);
  return result.entity;
}

const REPORT = [
  'From: MAILER-DAEMON@mx.example.org',
  'Subject: =?utf-8?Q?Undelivered_Mail?=',
  'Content-Type: multipart/report; report-type=delivery-status;',
  '\tboundary="b1/x"',
  '',
  'This is a MIME-encapsulated message.',
  '',
  '--b1/x',
  'Content-Type: text/plain; charset=utf-8',
  'Content-Transfer-Encoding: quoted-printable',
  '',
  'Caf=C3=A9 <a@example.com>: user unknown',
  '--b1/x',
  'Content-Type: message/delivery-status',
  '',
  'Reporting-MTA: dns; mx.example.org',
  '',
  'Final-Recipient: rfc822; a@example.com',
  'Action: failed',
  '--b1/x',
  'Content-Type: message/rfc822',
  '',
  'Message-ID: <m1@example.net>',
  'Content-Type: multipart/alternative; boundary=inner',
  '',
  '--inner',
  'Content-Type: text/plain',
  'Content-Transfer-Encoding: base64',
  '',
  'aGVsbG8=',
  '--inner--',
  '--b1/x--',
  '',
].join('\n');

describe('readMime', () => {
  it('reads headers, multiparts, encodings and a nested message', () => {
    const root = read(REPORT);
    expect(root.contentType).toBe('multipart/report');
    expect(root.params['boundary']).toBe('b1/x');
    expect(root.parts.map((part) => part.contentType)).toEqual(['text/plain', 'message/delivery-status', 'message/rfc822']);
    expect(root.parts[0]!.text).toBe('Café <a@example.com>: user unknown');
    const returned = root.parts[2]!.message!;
    expect(headerValue(returned.header, 'message-id')).toBe('<m1@example.net>');
    expect(returned.parts[0]!.text).toBe('hello');
    expect([...walkEntities(root)]).toHaveLength(6);
  });

  it('reads CRLF line endings and a Buffer like LF text', () => {
    expect(read(Buffer.from(REPORT.replace(/\n/g, '\r\n'))).parts[0]!.text).toBe('Café <a@example.com>: user unknown');
  });

  it('unfolds header lines', () => {
    const root = read('Subject: a\n  folded\n\tline\nX: y\n\nbody');
    expect(headerValue(root.header, 'subject')).toBe('a folded line');
    expect(root.text).toBe('body');
  });

  it('reads a text/rfc822-headers part as a header-only message', () => {
    const root = read('Content-Type: multipart/report; boundary=z\n\n--z\nContent-Type: text/rfc822-headers\n\nMessage-ID: <x@y>\nTo: a@b.example\n--z--\n');
    expect(headerValue(root.parts[0]!.message!.header, 'message-id')).toBe('<x@y>');
  });

  it('ends the last part at the end of a truncated multipart', () => {
    const root = read('Content-Type: multipart/mixed; boundary=q\n\n--q\n\nfirst\n--q\n\nsecond, cut');
    expect(root.parts.map((part) => part.text)).toEqual(['first', 'second, cut']);
  });

  it('finds the boundary in the body when the declared one never occurs', () => {
    const root = read('Content-Type: multipart/report; boundary="declared"\n\n--actual\n\none\n--actual\n\ntwo\n--actual--\n');
    expect(root.parts.map((part) => part.text)).toEqual(['one', 'two']);
  });

  it('reads the parts of a report whose header lost its Content-Type', () => {
    const root = read('Subject: Returned mail\n\nThis is a MIME-encapsulated message\n\n--w5\nContent-Type: message/delivery-status\n\nFinal-Recipient: rfc822; a@b.example\n--w5--\n');
    expect(root.parts.map((part) => part.contentType)).toContain('message/delivery-status');
  });

  it('gives a reason instead of throwing on what is not a message', () => {
    expect(readMime('')).toEqual({ ok: false, reason: 'empty message' });
    expect(readMime('just some words\nand more')).toMatchObject({ ok: false });
    expect(readMime(Buffer.from([0, 1, 2, 255, 254]))).toMatchObject({ ok: false });
  });

  it('bounds nesting depth', () => {
    const nested = 'Content-Type: message/rfc822\n\n'.repeat(200) + 'Subject: deep\n\nbody';
    expect(readMime(nested).ok).toBe(true);
  });
});

describe('splitMultipart', () => {
  it('ignores a delimiter that is not at a line start and returns null when there is none', () => {
    expect(splitMultipart('text --b inside\n--b\n\npart\n--b--', 'b')).toEqual(['\npart']);
    expect(splitMultipart('no delimiter here', 'b')).toBeNull();
  });
});
