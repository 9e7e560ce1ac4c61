import { describe, expect, test } from 'vitest';
import { applyPlan, planDisagreement, planInstrumentation, restorePlan, toStoredPlan, type InstrumentPlan, type PlanOptions, type StoredPlan } from './index.js';
import { trackingUrls } from './test-support.js';

const HTML =
  '<body><!--[if mso]><v:roundrect href="https://a.example/">A</v:roundrect><![endif]--><a href="https://a.example/">A</a>' +
  ' <a data-notrack href="https://n.example/">N</a> <a href=https://b.example/?x=1&amp;y=2>B</a></body>';
const TEXT = 'See https://c.example/ and https://d.example/.';
const OPTIONS: PlanOptions = { trackClicks: true, trackOpens: true, honeypot: true };

/** A plan as an execution stores it: through JSON, as the database keeps it. */
function stored(plan: InstrumentPlan): StoredPlan {
  return JSON.parse(JSON.stringify(toStoredPlan(plan))) as StoredPlan;
}

describe('a stored plan', () => {
  const plan = planInstrumentation({ html: HTML, text: TEXT }, OPTIONS);

  test('renders exactly what the plan it was stored from renders', () => {
    const restored = restorePlan({ html: HTML, text: TEXT }, stored(plan), plan.links);
    if (!('plan' in restored)) throw new Error(restored.disagreement);
    expect(applyPlan(restored.plan, trackingUrls)).toEqual(applyPlan(plan, trackingUrls));
  });

  test('planned again with other settings, disagrees with the stored links, naming the first that moved', () => {
    const replanned = planInstrumentation({ html: HTML, text: TEXT }, { ...OPTIONS, excludedDestinations: ['a.example'] });
    expect(planDisagreement(replanned, plan.links)).toMatch(/^ordinal 1 is https:\/\/a\.example\/ \(html.*as stored, https:\/\/b\.example\/\?x=1&y=2 \(html/);
    expect(planDisagreement(planInstrumentation({ html: HTML, text: TEXT }, OPTIONS), plan.links)).toBeNull();
  });

  test('that does not fit its content or links is refused, not rendered', () => {
    const good = stored(plan);
    const href = good.htmlEdits.findIndex((edit) => edit.kind === 'href' && edit.primary);
    const shifted = { ...good, htmlEdits: good.htmlEdits.map((edit, index) => (index === href ? { ...edit, start: edit.start + 1 } : edit)) };
    const cases: [StoredPlan, RegExp][] = [
      [shifted, /ordinal 1's edit is not over its stored value "https:\/\/a\.example\/"/],
      [{ ...good, htmlEdits: [...good.htmlEdits].reverse() }, /out of order/],
      [{ ...good, textEdits: good.textEdits.slice(1) }, /ordinal 3 \(https:\/\/c\.example\/\) has no edit/],
      [{ ...good, textEdits: good.textEdits.map((edit) => ({ ...edit, end: TEXT.length + 5 })) }, /outside the part/],
      [{ ...good, version: 2 } as unknown as StoredPlan, /format 2/],
    ];
    for (const [bad, message] of cases) {
      const restored = restorePlan({ html: HTML, text: TEXT }, bad, plan.links);
      expect('disagreement' in restored ? restored.disagreement : 'restored').toMatch(message);
    }
    const otherLinks = plan.links.map((link) => (link.ordinal === 2 ? { ...link, raw: 'https://elsewhere.example/' } : link));
    expect(restorePlan({ html: HTML, text: TEXT }, good, otherLinks)).toEqual({ disagreement: expect.stringContaining('ordinal 2') });
    expect(restorePlan({ html: HTML, text: TEXT }, good, plan.links.slice(0, 3))).toEqual({ disagreement: expect.stringContaining('ordinal 4') });
  });
});
