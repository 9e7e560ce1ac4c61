/**
 * The burst rules and their windows: hits close together that a person would not make, within one
 * message or across a campaign's recipients. Each rule is defined once: judging a hit asks them of
 * the hits around it (hit-classifier.ts), and a new hit that completes a burst asks them to find the
 * earlier members to mark.
 */
import { HONEYPOT_ORDINAL } from '../instrument/honeypot.js';
import type { ClassifiedHit } from './hit-classifier.js';

/**
 * Two clicks on different links of one message closer than this are machine speed: a person needs
 * longer to move from one link to the next, even opening tabs (about half a second at the fastest).
 */
export const MACHINE_SPEED_GAP_MS = 400;
/**
 * Clicks on different links of one message within this span (1 s in the literature, 0-3 s
 * configurable) at human speed: a probable burst, since a person opening links in tabs can do it.
 */
export const BURST_WINDOW_MS = 1_000;
/** Three distinct links within this span are a probable burst too. */
export const WIDE_BURST_WINDOW_MS = 2_000;
/** Every link of a 3+-link message clicked within this span: a scanner following everything. */
export const ALL_LINKS_WINDOW_MS = 10_000;
export const ALL_LINKS_MIN = 3;
/** Three distinct links within this span: faster than people read, but a power user opening tabs can; probable. */
export const RAPID_LINKS_WINDOW_MS = 10_000;
export const RAPID_LINKS_MIN = 3;
/** One IP changing its user agent between clicks on one message within this span is rotating UAs, as scanners do. */
export const UA_CONSISTENCY_WINDOW_MS = 60_000;
/** Hits of the recipient this close to a honeypot hit belong to the same scan (10-30 s reported). */
export const HONEYPOT_WINDOW_MS = 30_000;
/**
 * One IP clicking for this many recipients of one campaign within the window: a scanner working through
 * a campaign's recipients, or colleagues behind one office or carrier NAT reading the same newsletter.
 * Certain when a click of the burst shows a machine by itself (HitClassifier's #contextual); else probable.
 */
export const CROSS_RECIPIENT_MIN = 3;
export const CROSS_RECIPIENT_WINDOW_MS = 10_000;
/** Wider when the IP already sits in a probable scanner network: a probable match widens windows. */
export const CROSS_RECIPIENT_WIDE_WINDOW_MS = 60_000;
/** A pixel fetched from the IP of a scanner's clicks on the same message, this close, is the scanner's. */
export const SCANNER_OPEN_WINDOW_MS = 60_000;

/*
 * The burst rules, each defined once: judging a hit asks them of the hits around it, and a new hit
 * that completes a burst asks them to find the earlier members to mark.
 */

/** Clicks on two different links of one message closer than a person moves from link to link. */
export function atMachineSpeed(e: ClassifiedHit<unknown>, o: ClassifiedHit<unknown>): boolean {
  return isLinkClick(e) && isLinkClick(o) && o.hit.linkOrdinal !== e.hit.linkOrdinal && Math.abs(o.hit.at - e.hit.at) < MACHINE_SPEED_GAP_MS;
}

/**
 * `o` clicked for a recipient of the same campaign from the same IP close enough to `e` to count in
 * the cross-recipient burst around `e` (how many recipients make one is counted by the judging).
 * The window is `e`'s: wider when `e` comes from a probable scanner network.
 */
export function withinCrossRecipientWindow(e: ClassifiedHit<unknown>, o: ClassifiedHit<unknown>): boolean {
  const window = e.signals.probableBot.some((r) => r.startsWith('net:')) ? CROSS_RECIPIENT_WIDE_WINDOW_MS : CROSS_RECIPIENT_WINDOW_MS;
  return Math.abs(o.hit.at - e.hit.at) <= window;
}

/** A hit on the honeypot link, which no person can see or reach. */
export function isHoneypotHit(o: ClassifiedHit<unknown>): boolean {
  return o.hit.kind === 'click' && o.hit.linkOrdinal === HONEYPOT_ORDINAL;
}

/** `o` is a honeypot hit and `e` part of its scan: the recipient's clicks around it, and opens from its IP. */
export function inHoneypotScan(e: ClassifiedHit<unknown>, o: ClassifiedHit<unknown>): boolean {
  return isHoneypotHit(o) && Math.abs(o.hit.at - e.hit.at) <= HONEYPOT_WINDOW_MS && (e.hit.kind !== 'open' || (e.hit.ip !== null && o.hit.ip === e.hit.ip));
}

/**
 * `e` is a pixel fetched from the IP of `o`, a bot's click on the same message, close to it: the
 * scanner's. Office's link probes are left out: a person's Office probes a link from the person's own
 * address just before the person clicks it, and the person's open of the message is there too. (A
 * gateway's self-named or HEAD clicks still mark its pixel fetches.)
 */
export function isScannerOpen(e: ClassifiedHit<unknown>, o: ClassifiedHit<unknown>): boolean {
  return (
    e.hit.kind === 'open' &&
    e.hit.ip !== null &&
    o.hit.kind !== 'open' &&
    o.hit.ip === e.hit.ip &&
    Math.abs(o.hit.at - e.hit.at) <= SCANNER_OPEN_WINDOW_MS &&
    o.judgement.verdict === 'bot' &&
    !o.signals.certainBot.includes('ua:office-discovery')
  );
}

export function isLinkClick(o: ClassifiedHit<unknown>): boolean {
  return o.hit.kind === 'click' && o.hit.linkOrdinal !== null && o.hit.linkOrdinal > 0;
}

/**
 * The bursts within one message describe one observation (its links clicked close together) several
 * ways: they count once. A burst across recipients is another observation.
 */
export function independentSignals(reasons: readonly string[]): number {
  return new Set(reasons.map(signalFamily)).size;
}

/**
 * The observation a reason comes from. Every network list that contains the address says one thing,
 * where the hit came from: a gateway's range inside a cloud provider's (Barracuda in AWS) is not two
 * signals. Network reasons are `net:` by convention (see networks/README.md).
 */
function signalFamily(reason: string): string {
  if (reason.startsWith('burst:') && reason !== 'burst:cross-recipient') return 'burst';
  return reason.startsWith('net:') ? 'net' : reason;
}

/**
 * A click that shows a machine by itself: a signal of its own that a person's click rarely carries.
 * Probes are left out: a person's Office probes the link just before the person clicks it, from the
 * same address.
 */
export function showsMachine(o: ClassifiedHit<unknown>): boolean {
  return o.signals.probableBot.length > 0 || (o.signals.certainBot.length > 0 && !isProbe(o));
}

/** A request that announces itself as a machine's, whatever else is known. */
export function isProbe(e: ClassifiedHit<unknown>): boolean {
  return e.signals.certainBot.some((r) => r === 'method:head' || r === 'ua:self-named-bot' || r === 'ua:office-discovery');
}
