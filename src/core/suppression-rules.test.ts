import { describe, expect, it } from 'vitest';
import {
  DEFAULT_SUPPRESSION_SETTINGS,
  HARD_BOUNCE_SUPPRESSION_MS,
  SOFT_BOUNCE_SUPPRESSION_MS,
  decideSuppression,
  isActive,
  isSuppressionReason,
  mergeSuppression,
  softBouncesSinceDelivery,
  type SendOutcome,
} from './suppression-rules.js';

const settings = DEFAULT_SUPPRESSION_SETTINGS;
const AT = Date.UTC(2026, 10, 1);

describe('decideSuppression', () => {
  it('a hard bounce suppresses for 90 days from the bounce, naming its reason', () => {
    expect(decideSuppression({ type: 'bounced', bounce: 'hard', email: ' Ann@Corp.Example ', at: AT, reason: 'userunknown' }, [], settings)).toEqual({
      email: 'ann@corp.example',
      reason: 'hard-bounce',
      expiresAt: AT + HARD_BOUNCE_SUPPRESSION_MS,
      why: 'hard bounce (userunknown)',
    });
    expect(HARD_BOUNCE_SUPPRESSION_MS).toBe(90 * 86_400_000);
    expect(decideSuppression({ type: 'bounced', bounce: 'hard', email: 'a@b.example', at: AT }, [], { ...settings, hardBounceMs: 1000 })?.expiresAt).toBe(AT + 1000);
  });

  it('complaints and unsubscribes are permanent; a delivery suppresses nothing', () => {
    expect(decideSuppression({ type: 'complained', email: 'A@b.example', at: AT }, [], settings)).toMatchObject({ email: 'a@b.example', reason: 'complaint', expiresAt: null });
    expect(decideSuppression({ type: 'unsubscribed', email: 'a@b.example', at: AT }, [], settings)).toMatchObject({ reason: 'unsubscribe', expiresAt: null });
    expect(decideSuppression({ type: 'delivered', email: 'a@b.example', at: AT }, ['delivered'], settings)).toBeNull();
  });

  it('soft bounces: 3 of the last 5 sends since the last delivery suppress for 7 days', () => {
    const soft = (history: SendOutcome[]) => decideSuppression({ type: 'bounced', bounce: 'soft', email: 'a@b.example', at: AT }, history, settings);
    expect(soft(['soft-bounce', 'soft-bounce'])).toBeNull();
    expect(soft(['soft-bounce', 'soft-bounce', 'soft-bounce'])).toEqual({
      email: 'a@b.example',
      reason: 'soft-bounces',
      expiresAt: AT + SOFT_BOUNCE_SUPPRESSION_MS,
      why: '3 soft bounces in the last 3 sends since the last delivery',
    });
    expect(soft(['soft-bounce', 'none', 'soft-bounce', 'none', 'soft-bounce'])).toMatchObject({ reason: 'soft-bounces' });
    // A delivery in between resets the count.
    expect(soft(['soft-bounce', 'soft-bounce', 'delivered', 'soft-bounce', 'soft-bounce'])).toBeNull();
    // The sixth send back is outside the window.
    expect(soft(['soft-bounce', 'none', 'soft-bounce', 'none', 'none', 'soft-bounce'])).toBeNull();
    // Other limits.
    const strict = { ...settings, softBounceLimit: 2, softBounceWindow: 2, softBounceMs: 60_000 };
    expect(decideSuppression({ type: 'bounced', bounce: 'soft', email: 'a@b.example', at: AT }, ['soft-bounce', 'soft-bounce'], strict)?.expiresAt).toBe(AT + 60_000);
  });

  it('counts exactly the soft bounces after the last delivery within the window, for every history of up to 7 sends', () => {
    const outcomes: SendOutcome[] = ['delivered', 'soft-bounce', 'hard-bounce', 'none'];
    const histories: SendOutcome[][] = [[]];
    for (let length = 1; length <= 7; length++) {
      for (const h of histories.filter((x) => x.length === length - 1)) for (const o of outcomes) histories.push([...h, o]);
    }
    for (const history of histories) {
      const window = history.slice(0, 5);
      const cut = window.indexOf('delivered');
      const counted = (cut < 0 ? window : window.slice(0, cut)).filter((o) => o === 'soft-bounce').length;
      expect(softBouncesSinceDelivery(history, 5)).toBe(counted);
      const decided = decideSuppression({ type: 'bounced', bounce: 'soft', email: 'x@y.example', at: AT }, history, settings);
      expect(decided === null).toBe(counted < 3);
    }
  });
});

describe('mergeSuppression', () => {
  const NOW = AT;
  it('adds when there is no entry in force, expired ones included', () => {
    expect(mergeSuppression(null, { expiresAt: null }, NOW)).toBe('added');
    expect(mergeSuppression({ reason: 'hard-bounce', expiresAt: NOW }, { expiresAt: NOW + 1 }, NOW)).toBe('added');
  });

  it('never shortens: a permanent entry stays, a longer one extends, a shorter one changes nothing', () => {
    expect(mergeSuppression({ reason: 'complaint', expiresAt: null }, { expiresAt: NOW + HARD_BOUNCE_SUPPRESSION_MS }, NOW)).toBe('unchanged');
    expect(mergeSuppression({ reason: 'complaint', expiresAt: null }, { expiresAt: null }, NOW)).toBe('unchanged');
    expect(mergeSuppression({ reason: 'soft-bounces', expiresAt: NOW + 10 }, { expiresAt: NOW + 20 }, NOW)).toBe('extended');
    expect(mergeSuppression({ reason: 'hard-bounce', expiresAt: NOW + 10 }, { expiresAt: null }, NOW)).toBe('extended');
    expect(mergeSuppression({ reason: 'hard-bounce', expiresAt: NOW + 20 }, { expiresAt: NOW + 20 }, NOW)).toBe('unchanged');
    expect(mergeSuppression({ reason: 'hard-bounce', expiresAt: NOW + 20 }, { expiresAt: NOW + 10 }, NOW)).toBe('unchanged');
  });

  it('a proposal already over changes nothing', () => {
    expect(mergeSuppression(null, { expiresAt: NOW }, NOW)).toBe('unchanged');
    expect(mergeSuppression(null, { expiresAt: NOW - 1 }, NOW)).toBe('unchanged');
  });
});

describe('helpers', () => {
  it('isActive compares the expiry with now: no job ends an entry', () => {
    expect(isActive({ expiresAt: null }, NOW_FAR)).toBe(true);
    expect(isActive({ expiresAt: 10 }, 9)).toBe(true);
    expect(isActive({ expiresAt: 10 }, 10)).toBe(false);
  });
  it('knows the five reasons', () => {
    expect(['hard-bounce', 'soft-bounces', 'complaint', 'unsubscribe', 'manual'].every(isSuppressionReason)).toBe(true);
    expect(isSuppressionReason('unsubscribed')).toBe(false);
  });
});

const NOW_FAR = Number.MAX_SAFE_INTEGER;
