import { describe, expect, it } from 'vitest';
import { MAX_JSON_DEPTH, parseJsonBody } from './json-body.js';

const parse = (text: string | Buffer) => parseJsonBody(typeof text === 'string' ? Buffer.from(text) : text);
const nested = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);

describe('parseJsonBody', () => {
  it('parses JSON in UTF-8, characters beyond the BMP written raw or as an escaped pair', () => {
    expect(parse('{"name":"caf\u00e9 \u{1f600}","pair":"\\ud83d\\ude00","q":"a\\"b\\\\"}')).toEqual({ name: 'café 😀', pair: '😀', q: 'a"b\\' });
  });

  it('refuses invalid UTF-8 instead of replacing it', () => {
    expect(() => parse(Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0x22, 0x7d]))).toThrow('body: not valid UTF-8');
    // A surrogate encoded in UTF-8 (CESU-8) is not UTF-8 either.
    expect(() => parse(Buffer.from([0x22, 0xed, 0xa0, 0x80, 0x22]))).toThrow('body: not valid UTF-8');
  });

  it('refuses escaped lone surrogates, in values and in keys', () => {
    expect(() => parse('{"name":"\\ud800"}')).toThrow('body: lone surrogate \\ud800 in a string (at character 9): strings must be valid Unicode');
    expect(() => parse('{"name":"\\uDC00x"}')).toThrow(/lone surrogate \\uDC00/);
    expect(() => parse('{"name":"\\ud83d\\u0041"}')).toThrow(/lone surrogate \\ud83d/);
    expect(() => parse('{"\\ud83d":1}')).toThrow(/lone surrogate/);
  });

  it(`refuses nesting deeper than ${MAX_JSON_DEPTH}, counting no bracket inside a string`, () => {
    expect(parse(nested(MAX_JSON_DEPTH))).toBeInstanceOf(Array);
    expect(() => parse(nested(MAX_JSON_DEPTH + 1))).toThrow(`body: nested deeper than ${MAX_JSON_DEPTH} levels`);
    expect(() => parse(`{"a":${'{"b":'.repeat(MAX_JSON_DEPTH)}1${'}'.repeat(MAX_JSON_DEPTH)}}`)).toThrow(/nested deeper/);
    expect(parse(`{"s":"${'['.repeat(1000)}\\"${'{'.repeat(1000)}"}`)).toEqual({ s: `${'['.repeat(1000)}"${'{'.repeat(1000)}` });
  });

  it('refuses 100,000 levels quickly, without overflowing the stack', () => {
    const started = performance.now();
    expect(() => parse(nested(100_000))).toThrow(/nested deeper/);
    expect(performance.now() - started).toBeLessThan(100);
  });

  it('refuses prototype keys as Fastify does, and empty or malformed bodies, naming the body', () => {
    expect(() => parse('{"a":{"__proto__":{"x":1}}}')).toThrow('body: key "__proto__" is not allowed');
    expect(() => parse('{"\\u005f_proto__":1}')).toThrow('body: key "__proto__" is not allowed');
    expect(() => parse('[{"constructor":{"prototype":{}}}]')).toThrow(/"constructor" with a "prototype"/);
    expect(parse('{"constructor":"fine"}')).toEqual({ constructor: 'fine' });
    expect(() => parse(' ')).toThrow('body: empty');
    expect(() => parse('{"name":')).toThrow(/^body: not valid JSON: /);
  });
});
