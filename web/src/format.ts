/** How figures read on the dashboard: one place, so every page says a rate or a date the same way. */

const numbers = new Intl.NumberFormat('en-GB');
const percents = new Intl.NumberFormat('en-GB', { style: 'percent', minimumFractionDigits: 1, maximumFractionDigits: 1 });
const dateTimes = new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeStyle: 'short' });

export const count = (n: number) => numbers.format(n);
/** A rate, a fraction; null (no denominator) reads as a dash. */
export const percent = (rate: number | null | undefined) => (rate === null || rate === undefined ? '–' : percents.format(rate));
export const dateTime = (ms: number | null | undefined) => (ms === null || ms === undefined ? '–' : dateTimes.format(new Date(ms)));
