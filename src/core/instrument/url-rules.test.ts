import { describe, expect, test } from 'vitest';
import { createLinkPolicy, hasPlaceholder, parseAbsoluteHttpUrl, trimUrlAttribute } from './url-rules.js';

describe('url rules', () => {
  test('absolute http(s) URLs need a scheme, two slashes and a host', () => {
    expect(parseAbsoluteHttpUrl('https://a.example')?.hostname).toBe('a.example');
    expect(parseAbsoluteHttpUrl('http://[::1]:8080/x')?.port).toBe('8080');
    for (const value of ['https://', 'http:/a.example', 'https:a.example', 'https:///a', 'https:\\\\a.example', '//a.example', 'ftp://a.example', 'https://a b/']) {
      expect(parseAbsoluteHttpUrl(value)).toBeNull();
    }
  });

  test('URL attributes are trimmed of ASCII whitespace only', () => {
    expect(trimUrlAttribute('\t\n https://a.example/ \r\f')).toBe('https://a.example/');
    expect(trimUrlAttribute('\u00a0https://a.example/')).toBe('\u00a0https://a.example/');
  });

  test('built-in placeholders, and half a pair is enough', () => {
    for (const value of ['{{x}}', '{{', 'x}}', '{% if %}', '${id}', '*|FNAME|*', '%%email%%', '[[var:x]]', '<%= x %>', '%7b%7bx%7d%7d']) {
      expect(hasPlaceholder(value)).toBe(true);
    }
    for (const value of ['https://a.example/?q=%7B', 'https://a.example/a*b|c', 'https://a.example/50%25', 'https://a.example/$/{x}']) {
      expect(hasPlaceholder(value)).toBe(false);
    }
  });

  test('destinations are returned trimmed; hosts may be written with a leading dot or wildcard', () => {
    const policy = createLinkPolicy({ excludedDestinations: ['*.tracker.example', '.cdn.example', '  '] });
    expect(policy.destination('  https://a.example/x  ')).toBe('https://a.example/x');
    expect(policy.destination('https://tracker.example/')).toBeNull();
    expect(policy.destination('https://img.cdn.example/a.png')).toBeNull();
  });

  test('a prefix ending in a slash matches everything under it', () => {
    const policy = createLinkPolicy({ excludedDestinations: ['https://a.example/p/'] });
    expect(policy.destination('https://a.example/p/')).toBeNull();
    expect(policy.destination('https://a.example/p/x')).toBeNull();
    expect(policy.destination('https://a.example/p')).toBe('https://a.example/p');
  });
});
