import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { WebhookPayloadError } from './provider.js';
import { derivedEventId, EventFields, eventObjects, parseJsonBody, quoteUnsafeIntegers } from './webhook-json.js';

describe('quoteUnsafeIntegers', () => {
  test('integers beyond 2^53 become their digits; safe ones, fractions and exponents stay numbers', () => {
    const text = '{"a":9007199254740991,"b":9007199254740992,"c":-9223372036854775808,"d":1.5e300,"e":12345678901234567890.5,"f":[18446744073709551615]}';
    expect(JSON.parse(quoteUnsafeIntegers(text))).toEqual({
      a: 9007199254740991,
      b: '9007199254740992',
      c: '-9223372036854775808',
      d: 1.5e300,
      e: 12345678901234567890.5,
      f: ['18446744073709551615'],
    });
  });

  test('text without unsafe integers is returned as it is, strings and escapes included', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const text = JSON.stringify(value);
        fc.pre(!/(?<![\d.eE+-])-?[1-9]\d{15,}(?![\d.eE])/.test(text.replace(/"(?:[^"\\]|\\.)*"/g, '""')));
        expect(quoteUnsafeIntegers(text)).toBe(text);
      }),
    );
  });

  test('any int64 comes back as exactly its digits, beside strings holding digits and quotes', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), fc.string(), (id, noise) => {
        const text = `{"noise":${JSON.stringify(`${noise}"${id}"\\`)},"MessageID":${id}}`;
        const parsed = JSON.parse(quoteUnsafeIntegers(text)) as { MessageID: number | string; noise: string };
        expect(String(parsed.MessageID)).toBe(String(id));
        expect(parsed.noise).toBe(`${noise}"${id}"\\`);
      }),
    );
  });

  test('malformed JSON stays malformed', () => {
    for (const text of ['{"a":012345678901234567890}', '{"a":-}', '{"a":1.}', '{"a":"unterminated']) {
      expect(() => JSON.parse(quoteUnsafeIntegers(text))).toThrow(SyntaxError);
    }
  });
});

describe('parseJsonBody and eventObjects', () => {
  test('refuse what is not UTF-8 JSON, naming the provider', () => {
    expect(() => parseJsonBody('brevo', Buffer.from([0xc3, 0x28]))).toThrow(new WebhookPayloadError('brevo webhook: the body is not UTF-8'));
    expect(() => parseJsonBody('brevo', Buffer.from(''))).toThrow(/brevo webhook: the body is not JSON/);
  });

  test('one object or an array of objects', () => {
    expect(eventObjects('mailjet', { a: 1 })).toEqual([{ a: 1 }]);
    expect(eventObjects('mailjet', [{ a: 1 }, { b: 2 }])).toEqual([{ a: 1 }, { b: 2 }]);
    expect(() => eventObjects('mailjet', [{ a: 1 }, [1]])).toThrow(/event 1 is not a JSON object/);
  });
});

describe('EventFields', () => {
  const f = new EventFields('postmark', 3, { s: ' x ', blank: '  ', n: 4, big: '12345678901234567890', no: null, at: '2026-01-02T03:04:05.6789+02:00' });

  test('reads and names the event and the field when refusing', () => {
    expect(f.string('s')).toBe('x');
    expect(f.optionalString('blank')).toBeNull();
    expect(f.optionalString('no')).toBeNull();
    expect(() => f.string('blank')).toThrow(new WebhookPayloadError("postmark webhook: event 3: 'blank' is empty"));
    expect(() => f.string('absent')).toThrow(new WebhookPayloadError("postmark webhook: event 3: 'absent' is missing"));
    expect(() => f.string('n')).toThrow(/'n' must be a string/);
    expect(f.integerId('n')).toBe('4');
    expect(f.integerId('big')).toBe('12345678901234567890');
    expect(f.isoTime('at')).toBe(Date.UTC(2026, 0, 2, 1, 4, 5, 678));
    expect(() => f.isoTime('s')).toThrow(/'s' must be an ISO 8601 time/);
  });
});

test('derivedEventId: stable, and different when any part differs', () => {
  const id = derivedEventId('brevo', ['opened', '<m@x>', 'a@b.c', 1]);
  expect(id).toMatch(/^[0-9a-f]{32}$/);
  expect(derivedEventId('brevo', ['opened', '<m@x>', 'a@b.c', 1])).toBe(id);
  expect(derivedEventId('brevo', ['opened', '<m@x>', 'a@b.c', '1'])).not.toBe(id);
  expect(derivedEventId('mailjet', ['opened', '<m@x>', 'a@b.c', 1])).not.toBe(id);
  expect(derivedEventId('brevo', ['opened', '<m@x>a', '@b.c', 1])).not.toBe(derivedEventId('brevo', ['opened', '<m@x>', 'a@b.c', 1]));
});
