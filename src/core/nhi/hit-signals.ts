/**
 * Signals one hit carries on its own: its user agent, method, headers, networks and timing.
 * Signals that need other hits (bursts, honeypot windows) are found in hit-classifier.ts.
 */
import { PROBE_METHOD } from '../events.js';
import { HONEYPOT_ORDINAL } from '../instrument/honeypot.js';
import { readUserAgent } from './user-agent.js';
import type { HitFacts, MessageFacts } from './verdict.js';

/** A click this soon after delivery is rare for people and typical of gateways (median ~43 s). */
export const FAST_CLICK_MS = 60_000;
/** A pixel fetched this soon after delivery by a browser is typical of scanners (median ~9 s). */
export const FAST_OPEN_MS = 10_000;
/**
 * From a cloud or gateway network the window is wider: a probable network widens other windows
 * (nhi.md), and Defender's opens from Azure come 20-30 s after send. People reading from there (a
 * virtual desktop, a VPN, Outlook on the web) open this soon only on a notification, a few percent of
 * their reads.
 */
export const NETWORK_FAST_OPEN_MS = 60_000;

const GATEWAY_REFERER = /safelinks\.protection\.outlook\.com|urldefense\.(com|proofpoint\.com)|linkprotect\.cudasvc\.com|protect-[a-z0-9-]*\.mimecast\.com/i;
const PREFETCH_VALUE = /prefetch|preview|prerender/i;

export interface HitSignals {
  readonly self: readonly string[];
  /** Each of these alone makes the hit a bot. */
  readonly certainBot: readonly string[];
  /** Two of these (or one and a contextual probable) make a bot; one alone never decides. */
  readonly probableBot: readonly string[];
  /** Prefetch on the reader's behalf (opens only). */
  readonly machine: readonly string[];
  /** Evidence of a person: informative, and it keeps probable signals from deciding. */
  readonly human: readonly string[];
  /**
   * Cloud or hosting networks the address is in (`net:cloud-*`): probable, weighed with the others by
   * the classifier, but kept apart because they say where the hit came from, not how it behaved: a
   * company's VPN or virtual desktop in the cloud must not make its colleagues' clicks look like a
   * machine's to the burst rules (showsMachine), nor widen their cross-recipient windows (an open's
   * fast-open window does widen: fromCloudOrGateway).
   */
  readonly cloud: readonly string[];
}

/** Shared by every hit without signals of a kind: the classifier keeps signals for many hits. */
const NONE: readonly string[] = Object.freeze([]);

export function hitSignals(hit: HitFacts, message: MessageFacts): HitSignals {
  const found = collectSignals(hit, message);
  const kept = (reasons: string[]) => (reasons.length === 0 ? NONE : reasons);
  return { self: kept(found.self), certainBot: kept(found.certainBot), probableBot: kept(found.probableBot), machine: kept(found.machine), human: kept(found.human), cloud: kept(found.cloud) };
}

/**
 * Whether an open's window for haste widens: its address is in a cloud (not a mail provider's image
 * proxy's) or on a gateway's list, even one for clicks only. Microsoft's mail servers widen it without
 * counting as a signal themselves: a probable network widens other windows, it does not decide (nhi.md).
 */
function fromCloudOrGateway(hit: HitFacts, found: { cloud: readonly string[] }): boolean {
  return found.cloud.length > 0 || hit.networks.some((n) => n.kind === 'scanner');
}

function collectSignals(hit: HitFacts, message: MessageFacts): { [K in keyof HitSignals]: string[] } {
  const s = { self: [] as string[], certainBot: [] as string[], probableBot: [] as string[], machine: [] as string[], human: [] as string[], cloud: [] as string[] };
  const isOpen = hit.kind === 'open';
  const ua = readUserAgent(hit.userAgent);

  for (const net of hit.networks) {
    const applies = net.scope === 'both' || (isOpen ? net.scope === 'opens' : net.scope === 'clicks');
    if (net.kind === 'self') s.self.push(net.reason);
    if (!applies) {
      // Where a mail provider loads its readers' images (Outlook on the web through Exchange Online), the
      // reader's own browser's user agent is passed on: an open from there naming no browser is no
      // reader's, and the list weighs after all. Defender's blank user agents come from 104.47.x, and
      // Outlook's image fetcher sends a bare WebKit one (nhi.md).
      if (isOpen && ua.namesNoBrowser && net.readerImages) s.probableBot.push(net.reason);
      continue;
    }
    if (net.kind === 'scanner' || net.kind === 'previewer') (net.strength === 'certain' ? s.certainBot : s.probableBot).push(net.reason);
    if (net.kind === 'prefetch' && isOpen && ua.bareMozilla) s.machine.push('ua:bare-mozilla', net.reason);
    if (net.kind === 'proxy') s.human.push(net.reason);
    // A mail provider's image proxy runs in its provider's cloud: there the network says nothing.
    if (net.kind === 'cloud' && !ua.gmailProxy && !ua.yahooProxy) s.cloud.push(net.reason);
  }

  if (message.selfRecipient) s.self.push('recipient:self');
  if (hit.method === PROBE_METHOD) s.certainBot.push('method:head');
  if (ua.selfNamedBot) s.certainBot.push('ua:self-named-bot');
  if (ua.gmailProxy) s.human.push('proxy:gmail');
  if (ua.yahooProxy) s.human.push('proxy:yahoo');

  const prefetchHeader = ['purpose', 'sec-purpose', 'x-purpose', 'x-moz'].some((h) => PREFETCH_VALUE.test(hit.headers[h] ?? ''));
  const referer = hit.headers['referer'] ?? '';
  const reference = message.deliveredAt ?? message.sentAt;

  if (isOpen) {
    if (prefetchHeader) s.machine.push('header:prefetch');
    if (ua.gmailPrefetch) s.machine.push('ua:gmail-prefetch');
    if (ua.missing) s.probableBot.push('ua:missing');
    // Probable only, however long before: a delivery time may be reported late (a success DSN stored
    // with the time it was read, an archive imported later), after the reader's prefetching or fast
    // mail program already fetched the pixel.
    if (message.deliveredAt !== null && hit.at < message.deliveredAt) s.probableBot.push('timing:before-delivery');
    // A fetcher's haste: not the proxies' and prefetchers' (known), nor a mail program naming itself,
    // which is the reader's own (no scanner is reported sending one; an open mailbox shows new mail at once).
    const browserLike = !ua.gmailProxy && !ua.yahooProxy && !ua.bareMozilla && !ua.gmailPrefetch && !ua.namedMailClient;
    const fastOpenMs = fromCloudOrGateway(hit, s) ? NETWORK_FAST_OPEN_MS : FAST_OPEN_MS;
    if (browserLike && reference !== null && hit.at >= reference && hit.at - reference < fastOpenMs) s.probableBot.push('timing:fast-after-delivery');
    if (ua.outdatedBrowser) s.probableBot.push('ua:outdated-browser');
    // A browser sends Accept-Language with every request, images included; a fetcher posing as one
    // often forgets it. Mail clients are not browsers and need not send it; nor do image proxies, nor
    // the networks a mail provider loads its readers' images from (Outlook on the web from Microsoft's,
    // passing the reader's user agent on but not their language), so an address there says nothing
    // by its missing header.
    const readersRelay = hit.networks.some((n) => n.kind === 'proxy' || n.readerImages === true);
    if (ua.browserClaim && !readersRelay && !hit.headers['accept-language']) s.probableBot.push('header:no-accept-language');
  } else {
    if (hit.linkOrdinal === HONEYPOT_ORDINAL) s.certainBot.push('honeypot');
    if (prefetchHeader) s.certainBot.push('header:prefetch');
    if (ua.officeDiscovery) s.certainBot.push('ua:office-discovery');
    if (ua.gmailPrefetch) s.certainBot.push('ua:gmail-prefetch');
    // A click before the receiving server accepted the message was made in transit, by a machine.
    if (reference !== null && hit.at < reference) s.certainBot.push('timing:before-delivery');
    else if (reference !== null && hit.at - reference < FAST_CLICK_MS) s.probableBot.push('timing:fast-after-delivery');
    if (ua.outdatedBrowser) s.probableBot.push('ua:outdated-browser');
    if (ua.missing) s.probableBot.push('ua:missing');
    // Every browser sends Accept-Language; HTTP clients posing as one often forget it.
    if (!ua.missing && !hit.headers['accept-language']) s.probableBot.push('header:no-accept-language');
    if (GATEWAY_REFERER.test(referer)) s.human.push('referer:gateway');
  }
  return s;
}
