import { describe, expect, it } from 'vitest';
import { baseUrlProblem } from './base-url.js';

describe('baseUrlProblem', () => {
  it('takes http(s) URLs with a host and maybe a path', () => {
    for (const url of ['https://track.example.com', 'http://localhost:8080', 'https://shop.example/t/', 'https://[2001:db8::1]:8443/x']) expect(baseUrlProblem(url), url).toBeNull();
  });

  it('says what is wrong and what a base URL must be', () => {
    expect(baseUrlProblem('https://track.example.com/?utm=1')).toBe('carries a query (expected an http(s) URL with no query, fragment or credentials, e.g. https://track.example.com)');
    expect(baseUrlProblem('https://track.example.com/?')).toMatch(/^carries a query /);
    expect(baseUrlProblem('https://track.example.com/#top')).toMatch(/^carries a fragment /);
    expect(baseUrlProblem('https://track.example.com#')).toMatch(/^carries a fragment /);
    expect(baseUrlProblem('https://user:secret@track.example.com')).toMatch(/^carries credentials /);
    expect(baseUrlProblem('https://user@track.example.com')).toMatch(/^carries credentials /);
    expect(baseUrlProblem('ftp://track.example.com')).toMatch(/^not http\(s\) but ftp /);
    expect(baseUrlProblem('javascript:alert(1)')).toMatch(/^not http\(s\) but javascript /);
    expect(baseUrlProblem('track.example.com')).toMatch(/^not a URL /);
  });
});
