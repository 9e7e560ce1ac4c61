import { describe, expect, it } from 'vitest';
import { counter } from '../core/report-counters.js';
import { nonHumanHits, nonHumanSummary, providerFlagFigures, providerFlagSummary } from './report-figures.js';

const counters = (entries: [string, number][]) => new Map(entries);

describe('nonHumanSummary', () => {
  it("says how many opens were scanner opens, with their reasons, in the same sentence as Apple's prefetches", () => {
    const c = counters([
      [counter.why('opens', 'machine', 'ua:bare-mozilla'), 1100],
      [counter.why('opens', 'machine', 'header:prefetch'), 104],
      [counter.why('opens', 'bot', 'ua:outdated-browser'), 200],
      [counter.why('opens', 'bot', 'header:no-accept-language'), 90],
      [counter.why('opens', 'bot', 'timing:before-delivery'), 12],
      [counter.why('opens', 'bot', 'ua:missing'), 5],
      [counter.why('opens', 'bot', 'ua:self-named-bot'), 2],
      [counter.why('opens', 'bot', 'net:scanner'), 1],
      [counter.why('clicks', 'bot', 'timing:fast-after-delivery'), 7],
      [counter.why('opens', 'self', 'net:self'), 3],
    ]);
    expect(nonHumanSummary(nonHumanHits(c))).toEqual([
      '1,204 opens were machine prefetches (a mail client or its proxy fetching the pixel, not a reader): user agent 1,100, headers 104; ' +
        '310 opens were scanner opens (security products and bots fetching the pixel): ua:outdated-browser 200, header:no-accept-language 90, timing:before-delivery 12, ua:missing 5, other 3',
      "3 opens were the sender's own: network 3",
      '7 clicks came from scanners and bots: timing 7',
    ]);
  });

  it('gives scanner opens alone, or machine prefetches alone, when the other has none', () => {
    expect(nonHumanSummary(nonHumanHits(counters([[counter.why('opens', 'bot', 'ua:missing'), 4]])))).toEqual([
      '4 opens were scanner opens (security products and bots fetching the pixel): ua:missing 4',
    ]);
    expect(nonHumanSummary(nonHumanHits(counters([[counter.why('opens', 'machine', 'net:apple-mpp'), 2]])))).toEqual([
      '2 opens were machine prefetches (a mail client or its proxy fetching the pixel, not a reader): network 2',
    ]);
    expect(nonHumanSummary([])).toEqual([]);
  });
});

describe('provider flags', () => {
  it('adds up each flag by outcome, opens apart from clicks, and says it in one sentence per flag and series', () => {
    const c = counters([
      [counter.flagged('agreed', 'provider:sendgrid-machine-open'), 9],
      [counter.flagged('disagreed', 'provider:sendgrid-machine-open'), 2],
      [counter.flagged('unmatched', 'provider:sendgrid-machine-open'), 1],
      [counter.flagged('unmatched', 'provider:mailgun-bot-generic'), 1],
      [counter.flagged('agreed', 'provider:brevo-proxy-open'), 0],
      [counter.flagged('agreed', 'provider:mailgun-bot-generic', 'clicks'), 2],
      [counter.flagged('disagreed', 'provider:mailgun-bot-generic', 'clicks'), 1],
      [counter.flagged('unmatched', 'provider:mailgun-bot', 'clicks'), 1],
      [counter.provider('gmail', 'messages'), 5],
    ]);
    const flags = providerFlagFigures(c);
    expect(flags).toEqual([
      { reason: 'provider:mailgun-bot', series: 'clicks', flagged: 1, agreed: 0, disagreed: 0, unmatched: 1 },
      { reason: 'provider:mailgun-bot-generic', series: 'opens', flagged: 1, agreed: 0, disagreed: 0, unmatched: 1 },
      { reason: 'provider:mailgun-bot-generic', series: 'clicks', flagged: 3, agreed: 2, disagreed: 1, unmatched: 0 },
      { reason: 'provider:sendgrid-machine-open', series: 'opens', flagged: 12, agreed: 9, disagreed: 2, unmatched: 1 },
    ]);
    expect(providerFlagSummary(flags)).toEqual([
      '1 click flagged provider:mailgun-bot: mailsight said machine or bot for 0, human for 0, and saw no click within 60 s of 1',
      '1 open flagged provider:mailgun-bot-generic: mailsight said machine or bot for 0, human for 0, and saw no open within 60 s of 1',
      '3 clicks flagged provider:mailgun-bot-generic: mailsight said machine or bot for 2, human for 1, and saw no click within 60 s of 0',
      '12 opens flagged provider:sendgrid-machine-open: mailsight said machine or bot for 9, human for 2, and saw no open within 60 s of 1',
    ]);
  });
});
