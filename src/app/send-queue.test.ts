import { describe, expect, it } from 'vitest';
import { nextAttemptAt } from './send-queue.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const policy = { backoffMs: [5 * MINUTE, 15 * MINUTE, HOUR, 4 * HOUR, 8 * HOUR], maxAttempts: 15, giveUpAfterMs: 72 * HOUR };

describe('the retry schedule', () => {
  it('waits 5 min, 15 min, 1 h, 4 h, then 8 h between attempts, the last wait repeating', () => {
    let at = 0;
    const waits: number[] = [];
    for (let attempt = 1; attempt <= 7; attempt++) {
      const next = nextAttemptAt(policy, attempt, 0, at)!;
      waits.push(next - at);
      at = next;
    }
    expect(waits).toEqual([5 * MINUTE, 15 * MINUTE, HOUR, 4 * HOUR, 8 * HOUR, 8 * HOUR, 8 * HOUR]);
  });

  it('gives up when the next attempt would fall past the give-up time, or past the attempts allowed', () => {
    // With the defaults: attempts at 0, 5 min, 20 min, 1 h 20, 5 h 20, then every 8 h: the 13th at 69 h 20, none at 77 h 20.
    let at = 0;
    let attempt = 1;
    for (let next = nextAttemptAt(policy, attempt, 0, at); next !== null; next = nextAttemptAt(policy, attempt, 0, at)) {
      at = next;
      attempt++;
    }
    expect(attempt).toBe(13);
    expect(at).toBe(69 * HOUR + 20 * MINUTE);
    expect(nextAttemptAt({ ...policy, maxAttempts: 3 }, 3, 0, 0)).toBeNull();
    expect(nextAttemptAt({ ...policy, maxAttempts: 3 }, 2, 0, 0)).toBe(15 * MINUTE);
    // Measured from when the message was queued, not from the last attempt.
    expect(nextAttemptAt(policy, 1, 0, 72 * HOUR - 5 * MINUTE)).toBe(72 * HOUR);
    expect(nextAttemptAt(policy, 1, 0, 72 * HOUR - 5 * MINUTE + 1)).toBeNull();
  });
});
