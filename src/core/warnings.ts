/**
 * The deliverability warnings a campaign report gives: the thresholds mailbox providers judge
 * senders by, as users are taught them (../../docs/glossary.md, Warnings; delivery.md). Pure: the
 * rates come from core/rates.ts, so a warning and the rate it is about cannot disagree.
 */
import type { Rates } from './rates.js';

/** Bounced over sent (a fraction) above which reputation suffers: "a bounce rate above 8% hurts reputation" (Mailjet). */
export const BOUNCE_RATE_WARNING = 0.08;
/** Complained over sent (a fraction) to stay at or under: "keep spam complaints under 0.1%" (Gmail's sender guidelines). */
export const COMPLAINT_RATE_WARNING = 0.001;
/** Complained over sent (a fraction) never to reach: "never reach 0.3%" (Gmail's sender guidelines; it rejects or junks bulk mail past it). */
export const COMPLAINT_RATE_CRITICAL = 0.003;
/**
 * Sent messages (a count) below which no warning is given. Under 100, one complaint is already a
 * 1% rate and two bounces 2%: the rate says more about chance than about the list, and providers
 * judge reputation over volume, not over a handful of messages. The rates themselves are still shown.
 */
export const MIN_SENT_FOR_WARNINGS = 100;

/** What a warning is about: the rate it names. */
export const WARNING_CODES = ['bounce-rate', 'complaint-rate'] as const;
export const WARNING_LEVELS = ['warning', 'critical'] as const;
export type WarningLevel = (typeof WARNING_LEVELS)[number];

export interface DeliverabilityWarning {
  code: (typeof WARNING_CODES)[number];
  level: WarningLevel;
  message: string;
  /** What to do about it. */
  action: string;
  /** The rate it is about (a fraction, as in Rates). */
  rate: number;
  /** The threshold passed (a fraction). */
  threshold: number;
}

/**
 * A fraction as a percentage without trailing zeros, to two decimals, three under 1% (so that a
 * complaint rate of 0.101% does not read as the 0.1% it passed): 0.0801 -> "8.01%", 0.08 -> "8%".
 */
export function percent(fraction: number): string {
  const points = fraction * 100;
  return `${points.toFixed(points < 1 ? 3 : 2).replace(/\.?0+$/, '')}%`;
}

/** The rules in one sentence, for the API's documentation. */
export const WARNING_RULES =
  `bounce rate above ${percent(BOUNCE_RATE_WARNING)} of sent (warning); complaint rate above ${percent(COMPLAINT_RATE_WARNING)} of sent (warning), ` +
  `or at ${percent(COMPLAINT_RATE_CRITICAL)} and above (critical); none under ${MIN_SENT_FOR_WARNINGS} sent`;

/**
 * The warnings for a campaign's rates: bounce rate above 8% of sent; complaint rate above 0.1%
 * (a warning), or at or above 0.3% (critical, and then alone). None below MIN_SENT_FOR_WARNINGS.
 */
export function deliverabilityWarnings(rates: Pick<Rates, 'bounceRate' | 'complaintRate'>, counts: { sent: number }): DeliverabilityWarning[] {
  if (counts.sent < MIN_SENT_FOR_WARNINGS) return [];
  const warnings: DeliverabilityWarning[] = [];
  const bounce = rates.bounceRate;
  if (bounce !== null && bounce > BOUNCE_RATE_WARNING) {
    warnings.push({
      code: 'bounce-rate',
      level: 'warning',
      message: `bounce rate ${percent(bounce)} of sent is above ${percent(BOUNCE_RATE_WARNING)}: it hurts the sender's reputation; clean the list of addresses that bounce`,
      action: 'look at the bounces by reason: hard bounces are suppressed already; many unknown users mean an old or bought list, so validate it or send only to recent engaged addresses',
      rate: bounce,
      threshold: BOUNCE_RATE_WARNING,
    });
  }
  const complaint = rates.complaintRate;
  if (complaint !== null && complaint >= COMPLAINT_RATE_CRITICAL) {
    warnings.push({
      code: 'complaint-rate',
      level: 'critical',
      message: `complaint rate ${percent(complaint)} of sent is at or above ${percent(COMPLAINT_RATE_CRITICAL)}: Gmail says never reach 0.3%; past it, mail is refused or sent to spam`,
      action: 'stop sending to this list until the cause is found: check how the addresses were collected, send only to people who asked recently, and make unsubscribing one click (List-Unsubscribe)',
      rate: complaint,
      threshold: COMPLAINT_RATE_CRITICAL,
    });
  } else if (complaint !== null && complaint > COMPLAINT_RATE_WARNING) {
    warnings.push({
      code: 'complaint-rate',
      level: 'warning',
      message: `complaint rate ${percent(complaint)} of sent is above ${percent(COMPLAINT_RATE_WARNING)}: keep spam complaints under 0.1%`,
      action: 'make unsubscribing easy and visible, send less often or only to engaged recipients, and check the list for addresses that never asked for this mail',
      rate: complaint,
      threshold: COMPLAINT_RATE_WARNING,
    });
  }
  return warnings;
}
