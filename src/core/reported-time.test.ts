import { describe, expect, it } from 'vitest';
import { EARLIEST_REPORTED_AT, MAX_CLOCK_SKEW_MS, reportedTimeProblem } from './reported-time.js';

const now = Date.UTC(2026, 10, 1, 12, 0, 0);

describe('reportedTimeProblem', () => {
  it('accepts past times in milliseconds and a clock ahead of ours by the allowance', () => {
    expect(reportedTimeProblem(now, now)).toBeNull();
    expect(reportedTimeProblem(now - 30 * 24 * 3600_000, now)).toBeNull();
    expect(reportedTimeProblem(EARLIEST_REPORTED_AT, now)).toBeNull();
    expect(reportedTimeProblem(now + MAX_CLOCK_SKEW_MS, now)).toBeNull();
  });

  it('refuses a time beyond the allowance, saying what was expected', () => {
    expect(reportedTimeProblem(now + MAX_CLOCK_SKEW_MS + 1, now)).toBe(
      `${now + MAX_CLOCK_SKEW_MS + 1} is in the future, more than 60 s after the server's time 2026-11-01T12:00:00.000Z: expected epoch milliseconds`,
    );
  });

  it('names seconds and microseconds when the value reads as one of them', () => {
    expect(reportedTimeProblem(now / 1000, now)).toMatch(/^1793534400 is before 2000-01-01T00:00:00.000Z: expected epoch milliseconds \(this looks like seconds\)$/);
    expect(reportedTimeProblem(now * 1000, now)).toMatch(/^1793534400000000 is in the future, .*: expected epoch milliseconds \(this looks like microseconds\)$/);
    // Neither: no guess.
    expect(reportedTimeProblem(0, now)).toMatch(/^0 is before .*milliseconds$/);
    expect(reportedTimeProblem(now + 86_400_000, now)).toMatch(/milliseconds$/);
  });
});
