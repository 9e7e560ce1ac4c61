/**
 * Checks the time a reporter gives for a fact (a delivery, a bounce): epoch milliseconds, not in the
 * future beyond clock skew, not plainly in another unit. A delivery time in the future makes every
 * click before it "made in transit" (timing:before-delivery, a certain bot), so such a report is
 * refused rather than stored.
 */

/**
 * How far ahead of ours a reporter's clock may be (ms). Clocks kept by NTP agree within a second; a
 * minute also covers a host that drifted. It is no longer than the window in which a click after a
 * delivery is already suspect (FAST_CLICK_MS, 60 s), so the clicks a skewed report can misjudge stay
 * within a window the classifier distrusts anyway.
 */
export const MAX_CLOCK_SKEW_MS = 60_000;

/**
 * The earliest time accepted (2000-01-01 UTC, in ms). No message of this software was sent before it,
 * and a time in seconds reads, in milliseconds, as a day in 1970 (until the year 2286): the floor
 * tells the two units apart without guessing. A floor at the message's creation would be tighter but
 * would refuse back-dated reports, which harm nothing (they only make later hits look later).
 */
export const EARLIEST_REPORTED_AT = Date.UTC(2000, 0, 1);

const MS_PER_S = 1000;
const US_PER_MS = 1000;

/** Why a reported time cannot be right, or null when it can. `now` is the server's clock (ms). */
export function reportedTimeProblem(at: number, now: number): string | null {
  const latest = now + MAX_CLOCK_SKEW_MS;
  const plausible = (ms: number) => ms >= EARLIEST_REPORTED_AT && ms <= latest;
  const expected = 'expected epoch milliseconds';
  if (at < EARLIEST_REPORTED_AT) {
    const hint = plausible(at * MS_PER_S) ? ' (this looks like seconds)' : '';
    return `${at} is before ${new Date(EARLIEST_REPORTED_AT).toISOString()}: ${expected}${hint}`;
  }
  if (at > latest) {
    const hint = plausible(at / US_PER_MS) ? ' (this looks like microseconds)' : '';
    const ahead = `more than ${MAX_CLOCK_SKEW_MS / MS_PER_S} s after the server's time ${new Date(now).toISOString()}`;
    return `${at} is in the future, ${ahead}: ${expected}${hint}`;
  }
  return null;
}
