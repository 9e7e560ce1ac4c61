import { describe, expect, test } from 'vitest';
import { applyPlan, planInstrumentation, type TrackingUrls } from './index.js';
import { trackingUrls } from './test-support.js';

const HTML = '<body><!--[if mso]><v:roundrect href="https://a.example/">A</v:roundrect><![endif]--><a href="https://a.example/">A</a> <a href=https://b.example/>B</a> <a href=\'https://c.example/\'>C</a></body>';

function recipientUrls(recipient: string, calls: number[] = []): TrackingUrls {
  return {
    click: (ordinal) => {
      calls.push(ordinal);
      return `https://t.example/c/${recipient}/${ordinal}`;
    },
    open: () => `https://t.example/o/${recipient}`,
    honeypot: () => `https://t.example/h/${recipient}`,
  };
}

describe('applyPlan', () => {
  test('one plan serves many recipients and is not changed by applying it', () => {
    const plan = planInstrumentation({ html: HTML, text: 'see https://d.example/' }, { trackClicks: true, trackOpens: true, honeypot: true });
    const snapshot = JSON.stringify(plan);
    const first = applyPlan(plan, recipientUrls('r1'));
    const second = applyPlan(plan, recipientUrls('r2'));
    expect(JSON.stringify(plan)).toBe(snapshot);
    expect(second.html).toBe(first.html?.replaceAll('/r1', '/r2'));
    expect(second.text).toBe('see https://t.example/c/r2/4');
  });

  test('asks for each click URL once, even when an occurrence is written twice', () => {
    const calls: number[] = [];
    applyPlan(planInstrumentation({ html: HTML }, { trackClicks: true, trackOpens: false }), recipientUrls('r', calls));
    expect(calls.sort()).toEqual([1, 2, 3]);
  });

  test('escapes the tracking URL for the quoting it lands in', () => {
    const odd: TrackingUrls = { ...trackingUrls, click: (ordinal) => `https://t.example/c?o=${ordinal}&s='x y'` };
    const result = applyPlan(planInstrumentation({ html: HTML, text: 'https://d.example/' }, { trackClicks: true, trackOpens: false }), odd);
    expect(result.html).toBe('<body><!--[if mso]><v:roundrect href="https://t.example/c?o=1&amp;s=\'x y\'">A</v:roundrect><![endif]--><a href="https://t.example/c?o=1&amp;s=\'x y\'">A</a> ' +
      '<a href="https://t.example/c?o=2&amp;s=\'x y\'">B</a> <a href=\'https://t.example/c?o=3&amp;s=&#39;x y&#39;\'>C</a></body>');
    // `tracked` is the attribute value as written, without quotes added around it.
    expect(result.links.map((link) => link.tracked)).toEqual([
      "https://t.example/c?o=1&amp;s='x y'",
      "https://t.example/c?o=2&amp;s='x y'",
      'https://t.example/c?o=3&amp;s=&#39;x y&#39;',
      "https://t.example/c?o=4&s='x y'",
    ]);
    expect(result.text).toBe("https://t.example/c?o=4&s='x y'");
  });
});
