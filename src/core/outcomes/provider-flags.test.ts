import { describe, expect, it } from 'vitest';
import { compareProviderFlags, isProviderFlag, mailgunBotFlag, PROVIDER_FLAG_MATCH_MS } from './provider-flags.js';
import { counter, needsEvents, parseCounter, serializeState, stateOf, tallyMessage, type TallyEvent } from '../report-counters.js';

const SG = 'provider:sendgrid-machine-open';
const T = 1_800_000_000_000;

describe('mailgunBotFlag', () => {
  it('names the kind Mailgun gives, a plain reason for true or an odd kind, none for a person', () => {
    expect(mailgunBotFlag('generic')).toBe('provider:mailgun-bot-generic');
    expect(mailgunBotFlag('Apple')).toBe('provider:mailgun-bot-apple');
    expect(mailgunBotFlag(true)).toBe('provider:mailgun-bot');
    expect(mailgunBotFlag('a kind: with spaces')).toBe('provider:mailgun-bot');
    for (const person of ['', false, null, undefined]) expect(mailgunBotFlag(person)).toBeNull();
    expect(isProviderFlag(mailgunBotFlag('gmail'))).toBe(true);
    expect(isProviderFlag('userunknown')).toBe(false);
  });
});

describe('compareProviderFlags', () => {
  it('agreed for machine or bot, disagreed for human, unmatched beyond the window', () => {
    const flags = [
      { at: T, reason: SG },
      { at: T + 3_600_000, reason: SG },
      { at: T + 7_200_000, reason: SG },
      { at: T + 9_000_000, reason: SG },
    ];
    const hits = [
      { at: T + 2_000, verdict: 'machine' },
      { at: T + 3_600_000 - 30_000, verdict: 'bot' },
      { at: T + 7_200_000 + PROVIDER_FLAG_MATCH_MS, verdict: 'human' },
      { at: T + 9_000_000 + PROVIDER_FLAG_MATCH_MS + 1, verdict: 'machine' },
    ];
    expect(compareProviderFlags(flags, hits).map((r) => r.outcome)).toEqual(['agreed', 'agreed', 'disagreed', 'unmatched']);
  });

  it('pairs one hit with one flag, the nearest; self and unjudged hits take no part', () => {
    const flags = [
      { at: T, reason: SG },
      { at: T + 1_000, reason: SG },
    ];
    // One hit near both: the first flag takes it, the second is unmatched.
    expect(compareProviderFlags(flags, [{ at: T + 500, verdict: 'human' }]).map((r) => r.outcome)).toEqual(['disagreed', 'unmatched']);
    // The nearest hit, not the first in the window.
    expect(compareProviderFlags([{ at: T, reason: SG }], [{ at: T - 50_000, verdict: 'human' }, { at: T + 1_000, verdict: 'machine' }])[0]!.outcome).toBe('agreed');
    expect(compareProviderFlags([{ at: T, reason: SG }], [{ at: T, verdict: 'self' }, { at: T, verdict: null }])[0]!.outcome).toBe('unmatched');
  });
});

describe('provider flags in the report counters', () => {
  const open = (id: number, at: number, verdict: 'human' | 'machine' | 'bot'): TallyEvent => ({ id, type: 'opened', at, verdict, reasons: [], source: 'pixel' } as TallyEvent);
  const flagged = (id: number, at: number, reason: string | null): TallyEvent => ({ id, type: 'provider_opened', at, reason, source: 'webhook' });

  it('counts each flagged provider open by outcome and reason; an unflagged one, and a message without, count nothing', () => {
    const events = [open(1, T, 'machine'), open(2, T + 3_600_000, 'human'), flagged(3, T + 1_000, SG), flagged(4, T + 3_600_000, 'provider:mailgun-bot-generic'), flagged(5, T + 5_000, null)];
    const counters = tallyMessage(events, 'other').counters;
    expect(counters.get(counter.flagged('agreed', SG))).toBe(1);
    expect(counters.get(counter.flagged('disagreed', 'provider:mailgun-bot-generic'))).toBe(1);
    expect([...counters.keys()].filter((n) => n.startsWith('flagged:'))).toHaveLength(2);
    const state = stateOf(events);
    expect(needsEvents(state)).toBe(true);
    expect(JSON.parse(serializeState(state)).flagged).toBe(2);
    const plain = stateOf([open(1, T, 'human'), flagged(5, T, null)]);
    expect(needsEvents(plain)).toBe(false);
    // A state without flagged opens is stored as it was before the field existed.
    expect(serializeState(plain)).not.toContain('flagged');
    expect([...tallyMessage([open(1, T, 'human')], 'other').counters.keys()].some((n) => n.startsWith('flagged:'))).toBe(false);
  });

  const click = (id: number, at: number, verdict: 'human' | 'machine' | 'bot', linkOrdinal = 1): TallyEvent => ({ id, type: 'clicked', at, verdict, reasons: [], source: 'redirect', linkOrdinal } as TallyEvent);
  const flaggedClick = (id: number, at: number, reason: string | null): TallyEvent => ({ id, type: 'provider_clicked', at, reason, source: 'webhook' });
  const MG = 'provider:mailgun-bot-generic';

  it('compares a flagged click with click hits only, a flagged open with open hits only, each under its own counter', () => {
    const events = [
      open(1, T, 'human'),
      click(2, T + 600_000, 'bot'),
      click(3, T + 600_500, 'human', 2),
      // A flagged click beside an open hit only: no click near it.
      flaggedClick(4, T + 1_000, MG),
      flaggedClick(5, T + 601_000, MG),
      flaggedClick(6, T + 600_200, MG),
      // A flagged open beside a click hit only.
      flagged(7, T + 600_000, 'provider:mailgun-bot-apple'),
      flaggedClick(8, T + 600_000, null),
    ];
    const counters = tallyMessage(events, 'other').counters;
    const flags = Object.fromEntries([...counters].filter(([n]) => n.startsWith('flagged')));
    // In time order: the click at +600.2 s takes the bot click 200 ms away; the one at +601 s takes the human click.
    expect(flags).toEqual({
      [counter.flagged('unmatched', MG, 'clicks')]: 1,
      [counter.flagged('agreed', MG, 'clicks')]: 1,
      [counter.flagged('disagreed', MG, 'clicks')]: 1,
      [counter.flagged('unmatched', 'provider:mailgun-bot-apple')]: 1,
    });
    expect(counter.flagged('agreed', MG, 'clicks')).toBe(`flagged-clicks:agreed:${MG}`);
    expect(counter.flagged('agreed', MG)).toBe(`flagged:agreed:${MG}`);
    expect(parseCounter(counter.flagged('disagreed', MG, 'clicks'))).toEqual({ kind: 'flagged-clicks', parts: ['disagreed', MG] });
    // Flagged clicks make the state need its events, as flagged opens do; an unflagged provider click does not.
    expect(stateOf(events).flagged).toBe(4);
    expect(needsEvents(stateOf([click(2, T, 'human'), flaggedClick(8, T, null)]))).toBe(false);
  });

  it("matches a flagged click to mailsight's hit on the honeypot link, which the report does not count as a click", () => {
    const counters = tallyMessage([click(1, T, 'bot', 0), flaggedClick(2, T + 3_000, MG)], 'other').counters;
    expect(counters.get(counter.flagged('agreed', MG, 'clicks'))).toBe(1);
    expect(counters.get(counter.hits('clicks', 'all'))).toBeUndefined();
  });
});
