/**
 * The structural check of the instrumentation tests can fail: splices put in the wrong place are
 * caught, even those that undoing the reported edits (restoreOriginal) cannot see and that parse
 * without error, as everything does with htmlparser2.
 */
import { Parser } from 'htmlparser2';
import { describe, expect, test } from 'vitest';
import { applyPlan, planInstrumentation, type InstrumentPlan, type PlannedEdit } from './index.js';
import { assertSameStructure, restoreOriginal, structureOf, trackingUrls } from './test-support.js';

const HTML =
  '<!DOCTYPE html><html><body><p>Hello <b>you</b></p>' +
  '<!--[if mso]><v:roundrect href="https://a.example/">A</v:roundrect><![endif]-->' +
  '<a href="https://a.example/" class="btn">A</a> <a href="mailto:x@y.example">mail</a> <a data-notrack href="https://n.example/">N</a></body></html>';

const plan = planInstrumentation({ html: HTML }, { trackClicks: true, trackOpens: true, honeypot: true });

/** The plan with one edit changed. */
function broken(change: (edits: PlannedEdit[]) => PlannedEdit[]): InstrumentPlan {
  return { ...plan, htmlEdits: change([...plan.htmlEdits]).sort((a, b) => a.start - b.start) };
}

function render(edited: InstrumentPlan) {
  const result = applyPlan(edited, trackingUrls);
  return { result, output: result.html ?? '' };
}

describe('assertSameStructure', () => {
  test('passes the real instrumentation', () => {
    const { result, output } = render(plan);
    expect(() => assertSameStructure(HTML, output, result)).not.toThrow();
  });

  test('catches a pixel spliced inside a tag, which undoing the edits and parsing both let through', () => {
    const insideTag = HTML.indexOf(' class="btn"');
    const { result, output } = render(broken((edits) => edits.map((edit) => (edit.kind === 'pixel' ? { ...edit, start: insideTag, end: insideTag } : edit))));
    expect(restoreOriginal(output, result, 'html')).toBe(HTML.replace(' data-notrack', ''));
    expect(() => new Parser({}).end(output)).not.toThrow();
    expect(() => assertSameStructure(HTML, output, result)).toThrow(/pixel is found 0 times/);
  });

  test('catches a honeypot spliced into the text of a paragraph, moving the paragraph\'s end', () => {
    const inText = HTML.indexOf('Hello') + 2;
    const { result, output } = render(broken((edits) => edits.map((edit) => (edit.kind === 'honeypot' ? { ...edit, start: inText, end: inText } : edit))));
    expect(restoreOriginal(output, result, 'html')).toBe(HTML.replace(' data-notrack', ''));
    expect(() => assertSameStructure(HTML, output, result)).toThrow(/became/);
  });

  test('catches an href edit one character too long, and an href rewritten that was not a link to track', () => {
    const long = render(broken((edits) => edits.map((edit) => (edit.kind === 'href' && edit.primary ? { ...edit, end: edit.end + 1 } : edit))));
    expect(() => assertSameStructure(HTML, long.output, long.result)).toThrow(/became/);
    const mailto = HTML.indexOf('mailto:');
    const extra: PlannedEdit = { kind: 'href', start: mailto, end: mailto + 'mailto:x@y.example'.length, ordinal: 1, quote: '"', primary: false };
    const rewritten = render(broken((edits) => [...edits, extra]));
    expect(() => assertSameStructure(HTML, rewritten.output, rewritten.result)).toThrow(/href="mailto:x@y\.example" became/);
  });

  test('catches a change inside an Outlook conditional comment, and a dropped attribute that was not data-notrack', () => {
    const { result, output } = render(plan);
    expect(() => assertSameStructure(HTML, output.replace('<v:roundrect ', '<v:rect '), result)).toThrow(/inside \[if mso\]>/);
    expect(() => assertSameStructure(HTML, output.replace(' class="btn"', ''), result)).toThrow(/<a href class> became <a href>/);
  });

  test('sees elements, attributes in order, text and comments', () => {
    expect(structureOf('<p class=x id="y">a &amp; b<!-- c --></p>')).toEqual([
      { type: 'open', name: 'p', attributes: [['class', 'x'], ['id', 'y']] },
      { type: 'text', data: 'a & b' },
      { type: 'comment', data: ' c ' },
      { type: 'close', name: 'p' },
    ]);
  });
});
