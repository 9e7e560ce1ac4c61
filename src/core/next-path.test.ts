import { describe, expect, it } from 'vitest';
import { nextPath } from './next-path.js';

const ORIGIN = 'https://mailsight.example';

describe('nextPath', () => {
  it('follows a path of this site, with its query and fragment', () => {
    expect(nextPath('/campaigns/3?scope=all#links', ORIGIN)).toBe('/campaigns/3?scope=all#links');
    expect(nextPath(null, ORIGIN)).toBe('/');
  });

  it('goes home instead of to another origin, however the path is disguised', () => {
    for (const next of ['//evil.example/x', '/\\evil.example', '/\t/evil.example', '\\\\evil.example', 'https://evil.example/', 'javascript:alert(1)', '/%09/evil.example'.replace('%09', '\t')]) {
      expect(nextPath(next, ORIGIN), JSON.stringify(next)).toBe('/');
    }
  });

  it('never goes back to the sign-in page', () => {
    expect(nextPath('/sign-in?next=/sign-in', ORIGIN)).toBe('/');
  });
});
