import { describe, expect, it } from 'vitest';
import { decodeBase64, decodeCharset, decodeHeaderValue, decodeQuotedPrintable } from './text-decoding.js';

const binary = (text: string, encoding: BufferEncoding = 'utf8'): string => Buffer.from(text, encoding).toString('latin1');

describe('decodeQuotedPrintable', () => {
  it('decodes =XX bytes and joins soft line breaks', () => {
    expect(decodeCharset(decodeQuotedPrintable('caf=C3=A9 au =\nlait=20\n'), 'utf-8')).toBe('café au lait \n');
  });
  it('keeps a lone "=" that starts no escape', () => {
    expect(decodeQuotedPrintable('a = b =ZZ')).toBe('a = b =ZZ');
  });
  it('reads "_" as a space in the Q encoding only', () => {
    expect(decodeQuotedPrintable('a_b', true)).toBe('a b');
    expect(decodeQuotedPrintable('a_b')).toBe('a_b');
  });
});

describe('decodeBase64', () => {
  it('skips characters outside the alphabet', () => {
    expect(decodeBase64('aGVs\nbG8=\n')).toBe('hello');
  });
});

describe('decodeCharset', () => {
  it('decodes UTF-8, latin1 and ISO-2022-JP', () => {
    expect(decodeCharset(binary('naïve'), 'UTF-8')).toBe('naïve');
    expect(decodeCharset(binary('naïve', 'latin1'), 'iso-8859-1')).toBe('naïve');
    expect(decodeCharset(Buffer.from('1b2442244b1b2842', 'hex').toString('latin1'), 'iso-2022-jp')).toBe('に');
  });
  it('reads an unknown charset as UTF-8 without throwing', () => {
    expect(decodeCharset(binary('é'), 'x-no-such-charset')).toBe('é');
    expect(decodeCharset(binary('plain'), 'unicode-1-1-utf-7')).toBe('plain');
  });
});

describe('decodeHeaderValue', () => {
  it('decodes B and Q encoded-words and drops the blanks between two of them', () => {
    expect(decodeHeaderValue('=?utf-8?B?44ON44Kz?= =?UTF-8?Q?_caf=C3=A9?=')).toBe('ネコ café');
    expect(decodeHeaderValue('Re: =?iso-2022-jp?B?GyRCJEsbKEI=?= x')).toBe('Re: に x');
  });
  it('leaves malformed encoded-words as written', () => {
    expect(decodeHeaderValue('=?utf-8?X?abc?= and =?broken')).toBe('=?utf-8?X?abc?= and =?broken');
  });
});
