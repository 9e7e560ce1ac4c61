/**
 * Security gateways and provider-side scanners following a message's links: bursts over the links
 * tens of seconds after delivery (nhi.md: median 43 s, 66% at 20-60 s, 31% after a minute, 0.5%
 * within 10 s), HEAD probes, duplicate GETs, honeypot hits, pixel fetches a few seconds after send,
 * hourly re-scans, and the same fleet scanning many recipients of a campaign at once. All bot.
 */
import type { Scanner } from './populations.js';
import type { Rng } from './prng.js';
import type { ScenarioHit } from './scenario-schema.js';
import { HOUR, makeHit, SECOND, type HitSpec, type Link, type MessageContext } from './traffic.js';
import { scannerUa } from './user-agents.js';

/** One gateway deployment's decision about one campaign. */
export interface CampaignScan {
  active: boolean;
  /** The scan delay shared by the campaign's messages: one batch, many recipients, seconds apart. */
  sharedDelay: number | null;
}

export interface ScanStart {
  delay: number;
  /** Scanned in a sandbox before the mailbox accepted the message: the clicks precede delivery. */
  preDelivery: boolean;
}

/** Chance that a honeypot link gets followed, by scan pattern (a full crawl finds the hidden anchor). */
const HONEYPOT_FOLLOW = { all: 0.8, slow: 0.5, subset: 0.15 } as const;
const UNSUBSCRIBE_PAGE_RATE = 0.05;

/** Delay of a scan burst after delivery, shaped on the published study (nhi.md). */
export function scanDelay(rng: Rng): number {
  const r = rng.next();
  if (r < 0.005) return rng.uniform(1 * SECOND, 10 * SECOND);
  if (r < 0.03) return rng.uniform(10 * SECOND, 20 * SECOND);
  // 66% in 20-60 s, skewed so that the overall median is about 43 s.
  if (r < 0.69) return 20 * SECOND + 40 * SECOND * Math.pow(rng.next(), 1.615);
  return 60 * SECOND + rng.logNormal(2 * 60 * SECOND, 1.3);
}

/** Scanner pixel fetch after send: median about 9 s, about 60% within 10 s (nhi.md). */
function pixelDelay(rng: Rng): number {
  return rng.chance(0.6) ? rng.uniform(1 * SECOND, 10 * SECOND) : rng.logNormal(25 * SECOND, 0.9);
}

export function campaignScan(rng: Rng, scanner: Scanner): CampaignScan {
  const active = rng.chance(scanner.campaignRate);
  return { active, sharedDelay: active && rng.chance(0.7) ? scanDelay(rng) : null };
}

export function scanStart(rng: Rng, scanner: Scanner, campaign: CampaignScan): ScanStart | null {
  if (!campaign.active || !rng.chance(scanner.coverage)) return null;
  const delay = campaign.sharedDelay !== null && rng.chance(0.85) ? campaign.sharedDelay + rng.uniform(0, 6 * SECOND) : scanDelay(rng);
  return { delay, preDelivery: rng.chance(scanner.preDeliveryRate) };
}

function scannerHeaders(rng: Rng): Record<string, string> {
  const headers: Record<string, string> = {};
  if (rng.chance(0.4)) headers['accept-language'] = rng.pick(['en-US,en;q=0.9', 'en-US', 'en']);
  if (rng.chance(0.03)) headers['sec-purpose'] = 'prefetch';
  return headers;
}

function burst(ctx: MessageContext, scanner: Scanner, start: number, ip: string, ua: () => string | null): HitSpec[] {
  const { rng } = ctx;
  const all = Array.from({ length: ctx.linkCount }, (_, i): Link => i);
  let targets: Link[] =
    scanner.pattern === 'subset' ? rng.sample(all, rng.int(1, Math.max(1, Math.ceil(all.length / 2)))) : rng.chance(0.5) ? all : rng.shuffle(all);
  if (ctx.honeypot && rng.chance(HONEYPOT_FOLLOW[scanner.pattern])) {
    const at = rng.int(0, targets.length);
    targets = [...targets.slice(0, at), 'honeypot', ...targets.slice(at)];
  }
  const hits: HitSpec[] = [];
  const headers = scannerHeaders(rng);
  let t = start;
  for (const link of targets) {
    const first = scanner.headOnly || scanner.headFirst ? 'HEAD' : 'GET';
    hits.push({ at: t, kind: 'click', link, method: first, ip, ua: ua(), headers, truth: 'bot' });
    if (scanner.headFirst && !scanner.headOnly) hits.push({ at: t + rng.uniform(30, 250), kind: 'click', link, ip, ua: ua(), headers, truth: 'bot' });
    if (rng.chance(scanner.duplicateRate)) hits.push({ at: t + rng.uniform(50, 900), kind: 'click', link, method: first, ip, ua: ua(), headers, truth: 'bot' });
    t += scanner.pattern === 'slow' ? rng.uniform(1.2 * SECOND, 6 * SECOND) : scanner.pattern === 'subset' ? rng.logNormal(400, 1) : Math.min(400, Math.max(5, rng.logNormal(90, 0.7)));
  }
  if (rng.chance(UNSUBSCRIBE_PAGE_RATE)) hits.push({ at: t + rng.uniform(50, 500), kind: 'unsubscribe-page', ip, ua: ua(), headers, truth: 'bot' });
  return hits;
}

/** The hits of one scan of one message starting at `start` (absolute scenario ms). */
export function scanHits(ctx: MessageContext, scanner: Scanner, start: number): ScenarioHit[] {
  const { rng } = ctx;
  const fixedUa = scannerUa(rng, scanner.uaStyle);
  const ua = () => (scanner.rotatesUa ? scannerUa(rng, scanner.uaStyle) : fixedUa);
  const ip = rng.pick(scanner.ips);
  const hits = ctx.linkCount > 0 ? burst(ctx, scanner, start, ip, ua) : [];
  if (rng.chance(scanner.rescanRate)) {
    // Hourly waves: the same message re-scanned from another address of the fleet.
    const again = start + rng.int(1, 3) * HOUR + rng.uniform(-3 * SECOND, 3 * SECOND);
    hits.push(...burst(ctx, scanner, again, rng.pick(scanner.ips), ua));
  }
  if (rng.chance(scanner.pixelRate)) {
    hits.push({ at: ctx.sentAt + pixelDelay(rng), kind: 'open', ip: rng.pick(scanner.ips), ua: ua(), headers: scannerHeaders(rng), truth: 'bot' });
  }
  return hits.map(makeHit);
}
