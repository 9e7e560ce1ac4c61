import { describe, expect, it } from 'vitest';
import type { HitResult } from './replay.js';
import { scoreHits } from './report.js';
import type { Verdict } from './scenario-schema.js';
import { confusion, emptyMatrix, formatHeadline, formatRate, headline, judgedAs, precision, recall, type Judged } from './scoring.js';

const times = (n: number, truth: Verdict, verdict: Verdict): Judged[] => Array.from({ length: n }, () => ({ truth, verdict }));

describe('scoring', () => {
  const clicks = confusion([...times(9, 'bot', 'bot'), ...times(1, 'bot', 'human'), ...times(18, 'human', 'human'), ...times(2, 'human', 'bot'), ...times(3, 'self', 'self')]);
  const opens = confusion([
    ...times(3, 'machine', 'machine'), ...times(1, 'machine', 'human'), ...times(7, 'human', 'human'), ...times(1, 'human', 'machine'),
    ...times(3, 'bot', 'bot'), ...times(1, 'bot', 'human'),
  ]);

  it('counts truth rows by verdict columns', () => {
    expect(clicks.bot).toEqual({ human: 1, machine: 0, bot: 9, self: 0 });
    expect(clicks.human).toEqual({ human: 18, machine: 0, bot: 2, self: 0 });
    expect(clicks.machine).toEqual({ human: 0, machine: 0, bot: 0, self: 0 });
  });

  it('computes precision, recall and cross rates', () => {
    expect(precision(clicks, 'bot')).toBeCloseTo(9 / 11, 12);
    expect(recall(clicks, 'bot')).toBeCloseTo(0.9, 12);
    expect(judgedAs(clicks, 'human', 'bot')).toBeCloseTo(0.1, 12);
    expect(precision(clicks, 'self')).toBe(1);
    expect(recall(opens, 'machine')).toBe(0.75);
    expect(judgedAs(opens, 'human', 'machine')).toBe(0.125);
  });

  it('prints the headline with three decimals', () => {
    expect(formatHeadline('nhi', headline(opens, clicks))).toBe(
      'nhi: bot_click_precision=0.818 bot_click_recall=0.900 human_click_as_bot=0.100 machine_open_recall=0.750 human_open_as_machine=0.125 ' +
        'bot_open_recall=0.750 human_open_as_bot=0.000',
    );
  });

  it('prints n/a for an empty denominator, and 0.000 for a true zero', () => {
    expect(formatHeadline('nhi', headline(emptyMatrix(), emptyMatrix()))).toBe(
      'nhi: bot_click_precision=n/a bot_click_recall=n/a human_click_as_bot=n/a machine_open_recall=n/a human_open_as_machine=n/a bot_open_recall=n/a human_open_as_bot=n/a',
    );
    const noBotVerdicts = confusion([...times(4, 'bot', 'human'), ...times(5, 'human', 'human')]);
    expect(precision(noBotVerdicts, 'bot')).toBeNull();
    expect(formatRate(recall(noBotVerdicts, 'bot'))).toBe('0.000');
    expect(formatRate(judgedAs(noBotVerdicts, 'human', 'bot'))).toBe('0.000');
  });

  it('scores opens and clicks apart and leaves unsubscribe-page hits out', () => {
    const result = (kind: 'open' | 'click' | 'unsubscribe-page', truth: Verdict, verdict: Verdict): HitResult => ({
      message: 'm1',
      campaign: 'c',
      hit: { at: 0, kind, link: kind === 'click' ? 0 : undefined, method: 'GET', ip: '203.0.113.1', ua: null, headers: {}, truth },
      sentAt: 0,
      deliveredAt: null,
      verdict,
      reasons: [],
    });
    const scored = scoreHits([result('open', 'machine', 'machine'), result('click', 'bot', 'human'), result('unsubscribe-page', 'bot', 'bot')], (r) => r.verdict);
    expect(scored.opens.machine.machine).toBe(1);
    expect(scored.clicks.bot.human).toBe(1);
    expect(scored.clicks.bot.bot + scored.opens.bot.bot).toBe(0);
  });
});
