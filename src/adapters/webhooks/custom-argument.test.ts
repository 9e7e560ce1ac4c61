import { expect, test } from 'vitest';
import { TOKEN_ARGUMENT, tokenInText, tokenValue } from './custom-argument.js';

test('the argument name', () => {
  expect(TOKEN_ARGUMENT).toBe('mailsight_token');
});

test('tokenValue takes a base64url string of a token length only', () => {
  expect(tokenValue(' AhIAAQIDBAUGBwgJCgsM ')).toBe('AhIAAQIDBAUGBwgJCgsM');
  expect(tokenValue('a b')).toBeNull();
  expect(tokenValue('x'.repeat(65))).toBeNull();
  expect(tokenValue('')).toBeNull();
  expect(tokenValue(42)).toBeNull();
});

test.each([
  ['mailsight_token=abc_DEF-1', 'abc_DEF-1'],
  ['campaign=autumn; mailsight_token=abc_DEF-1', 'abc_DEF-1'],
  ['campaign=autumn&mailsight_token=abc', 'abc'],
  ['mailsight_token:abc', 'abc'],
  ['{"campaign":"autumn","mailsight_token":"abc"}', 'abc'],
  ['{"mailsight_token":42}', null],
  ['not_mailsight_token=abc', null],
  ['helloworld', null],
  [null, null],
])('tokenInText(%j) -> %j', (text, token) => {
  expect(tokenInText(text)).toBe(token);
});
