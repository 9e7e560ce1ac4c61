import { describe, expect, test } from 'vitest';
import { unsubscribeHeaders } from './index.js';

describe('unsubscribeHeaders', () => {
  test('one-click https target, with the mailto fallback after it', () => {
    expect(unsubscribeHeaders({ httpsUrl: 'https://t.example/u/abc', mailto: 'unsubscribe+abc@t.example' })).toEqual({
      'List-Unsubscribe': '<https://t.example/u/abc>, <mailto:unsubscribe+abc@t.example>',
      'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
    });
    expect(unsubscribeHeaders({ httpsUrl: 'https://t.example/u/abc', mailto: 'mailto:u@t.example?subject=unsubscribe' })['List-Unsubscribe'])
      .toBe('<https://t.example/u/abc>, <mailto:u@t.example?subject=unsubscribe>');
  });

  test('the mailto is optional', () => {
    for (const mailto of [undefined, null, '', '  ']) {
      expect(unsubscribeHeaders({ httpsUrl: 'https://t.example/u/abc', mailto })['List-Unsubscribe']).toBe('<https://t.example/u/abc>');
    }
  });

  test('an http URL (a local server) gets List-Unsubscribe without the one-click marker', () => {
    expect(unsubscribeHeaders({ httpsUrl: 'http://127.0.0.1:8080/u/abc' })).toEqual({ 'List-Unsubscribe': '<http://127.0.0.1:8080/u/abc>' });
  });

  test('refuses targets that are not web URLs or could break the header', () => {
    for (const httpsUrl of ['ftp://t.example/u', 'mailto:u@t.example', 'https://',  'https://t.example/u\r\nBcc: x@y', 'https://t.example/<u>', '']) {
      expect(() => unsubscribeHeaders({ httpsUrl })).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }));
    }
    expect(() => unsubscribeHeaders({ httpsUrl: 'https://t.example/u', mailto: 'a@b.example>, <https://evil.example' })).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }));
  });
});
