/**
 * Scenario families beside the traffic model: the scanner opens reported in nhi.md ("Scanner opens")
 * and the hard human cases near the classifier's thresholds. Each family makes whole messages of its
 * own (campaign `family-<name>`), so that one can be switched on alone and scored apart. Written from
 * the published reports, not from the classifier: a family may well hold cases nothing can separate.
 */
import type { AddressBook, NetworkName } from './networks.js';
import type { Rng } from './prng.js';
import type { Scenario } from './scenario-schema.js';
import { DAY, HOUR, makeHit, MINUTE, SECOND, type HitSpec } from './traffic.js';
import { acceptLanguage, appleMailUa, desktopBrowserUa, GMAIL_PROXY_UA, outlookDesktopUa } from './user-agents.js';

export const SCANNER_FAMILIES = ['azure-old-chrome', 'azure-headless', 'blank-ua', 'outlook-bare-webkit', 'before-acceptance'] as const;
export const HUMAN_FAMILIES = ['fast-reader', 'managed-old-browser', 'cloud-vpn'] as const;
export const FAMILIES = [...SCANNER_FAMILIES, ...HUMAN_FAMILIES] as const;
export type Family = (typeof FAMILIES)[number];

interface Draft {
  sentAt: number;
  deliveredAt: number | null;
  links: number;
  hits: HitSpec[];
}

/** What a message's relay reports: accepted a second or two after sending, unless no report comes. */
function delivery(rng: Rng, sentAt: number): number | null {
  return rng.chance(0.85) ? sentAt + Math.max(200, rng.logNormal(1.5 * SECOND, 0.9)) : null;
}

/** A scanner's pixel fetch after send: median about 9 s, 61% within 10 s (nhi.md), with Defender's 20-30 s. */
function scannerFetchDelay(rng: Rng): number {
  const r = rng.next();
  if (r < 0.6) return rng.uniform(1 * SECOND, 10 * SECOND);
  if (r < 0.85) return rng.uniform(20 * SECOND, 30 * SECOND);
  return rng.logNormal(40 * SECOND, 0.9);
}

const windowsChrome = (major: number) => `Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/${major}.0.0.0 Safari/537.36`;
/** Defender's reported Chrome versions: 79-97 and 113-130 (nhi.md). */
const defenderChrome = (rng: Rng) => windowsChrome(rng.chance(0.5) ? rng.int(79, 97) : rng.int(113, 130));
/** Without Accept-Language about half the time (46% of one site's challenged bot traffic). */
const scannerHeaders = (rng: Rng): Record<string, string> => (rng.chance(0.5) ? {} : { 'accept-language': rng.pick(['en-US,en;q=0.9', 'en-US', 'en']) });

function scannerOpen(rng: Rng, book: AddressBook, sentAt: number, network: NetworkName, ua: string | null, clickUa?: () => string): Draft {
  const ip = book.draw(rng, network);
  const at = sentAt + scannerFetchDelay(rng);
  const hits: HitSpec[] = [{ at, kind: 'open', ip, ua, headers: scannerHeaders(rng), truth: 'bot' }];
  // One IP sending an open and a click with two different user agents (nhi.md).
  if (clickUa && rng.chance(0.3)) hits.push({ at: at + rng.uniform(0.5 * SECOND, 8 * SECOND), kind: 'click', link: 0, ip, ua: clickUa(), headers: scannerHeaders(rng), truth: 'bot' });
  return { sentAt, deliveredAt: delivery(rng, sentAt), links: 1, hits };
}

/** A person's read delay: log-normal around hours, 5% on the notification (15 s - 4 min). */
function readDelay(rng: Rng): number {
  if (rng.chance(0.05)) return rng.logUniform(15 * SECOND, 4 * MINUTE);
  return Math.min(5 * DAY, Math.max(20 * SECOND, rng.logNormal(2.5 * HOUR, 1.7)));
}

/** A person who reads at `at` and may click one link a little later from the same browser. */
function personRead(rng: Rng, at: number, open: Omit<HitSpec, 'at' | 'kind' | 'truth'> | null, click: Omit<HitSpec, 'at' | 'kind' | 'truth' | 'link'> | null): HitSpec[] {
  const hits: HitSpec[] = [];
  if (open) hits.push({ ...open, at, kind: 'open', truth: 'human' });
  if (click && rng.chance(0.3)) hits.push({ ...click, at: at + rng.logUniform(8 * SECOND, 5 * MINUTE), kind: 'click', link: 0, truth: 'human' });
  return hits;
}

function oldBrowserUa(rng: Rng): string {
  return rng.weighted<() => string>([
    [0.6, () => windowsChrome(rng.int(79, 99))],
    [0.25, () => { const f = rng.int(68, 89); return `Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:${f}.0) Gecko/20100101 Firefox/${f}.0`; }],
    [0.15, () => 'Mozilla/5.0 (Windows NT 10.0; WOW64; Trident/7.0; rv:11.0) like Gecko'],
  ])();
}

function draft(rng: Rng, book: AddressBook, family: Family, sentAt: number): Draft {
  const lang = { 'accept-language': acceptLanguage(rng) };
  switch (family) {
    case 'azure-old-chrome':
      return scannerOpen(rng, book, sentAt, 'azure', defenderChrome(rng), () => defenderChrome(rng));
    case 'azure-headless':
      return scannerOpen(rng, book, sentAt, 'azure', `Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/${rng.int(100, 131)}.0.0.0 Safari/537.36`);
    case 'blank-ua':
      // Blank user agents from 104.47.x (Exchange Online) reported; from wider Azure too.
      return scannerOpen(rng, book, sentAt, rng.chance(0.4) ? 'microsoftEop' : 'azure', rng.chance(0.5) ? null : '');
    case 'outlook-bare-webkit':
      return scannerOpen(rng, book, sentAt, 'azure', 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/605.1.15 (KHTML, like Gecko)');
    case 'before-acceptance': {
      // Detonated in a sandbox that holds the message: fetched hours before the receiving server's 250 OK.
      const d = scannerOpen(rng, book, sentAt, rng.chance(0.6) ? 'azure' : 'aws', rng.chance(0.5) ? defenderChrome(rng) : desktopBrowserUa(rng));
      return { ...d, deliveredAt: sentAt + rng.logUniform(2 * MINUTE, 6 * HOUR) };
    }
    case 'fast-reader': {
      // Reading on the notification, seconds after delivery, in whatever client the person uses.
      const deliveredAt = delivery(rng, sentAt);
      const at = (deliveredAt ?? sentAt + 1_500) + rng.logUniform(3 * SECOND, 60 * SECOND);
      const browser = { ip: book.draw(rng, rng.chance(0.5) ? 'residential' : 'mobile'), ua: desktopBrowserUa(rng), headers: lang };
      const hits = rng.weighted<() => HitSpec[]>([
        [0.3, () => personRead(rng, at, browser, browser)],
        [0.3, () => personRead(rng, at, { ip: book.draw(rng, 'google'), ua: GMAIL_PROXY_UA }, browser)],
        [0.15, () => personRead(rng, at, { ip: browser.ip, ua: appleMailUa(rng, 'iphone'), headers: lang }, browser)],
        [0.15, () => personRead(rng, at, { ip: book.draw(rng, 'exchangeOnline'), ua: browser.ua, headers: rng.chance(0.4) ? lang : {} }, browser)],
        [0.1, () => personRead(rng, at, { ip: book.draw(rng, 'office'), ua: outlookDesktopUa(rng), headers: rng.chance(0.5) ? lang : {} }, browser)],
      ])();
      return { sentAt, deliveredAt, links: 1, hits };
    }
    case 'managed-old-browser': {
      // A company that pins an old browser: webmail from the office, or Outlook on the web.
      const deliveredAt = delivery(rng, sentAt);
      const at = (deliveredAt ?? sentAt) + readDelay(rng);
      const browser = { ip: book.draw(rng, 'office'), ua: oldBrowserUa(rng), headers: lang };
      const owa = rng.chance(0.3);
      const open = owa ? { ip: book.draw(rng, 'exchangeOnline'), ua: browser.ua, headers: rng.chance(0.4) ? lang : {} } : browser;
      return { sentAt, deliveredAt, links: 1, hits: personRead(rng, at, open, browser) };
    }
    case 'cloud-vpn': {
      // A VPN or a virtual desktop in a cloud network: a browser, or Outlook on the virtual desktop.
      const deliveredAt = delivery(rng, sentAt);
      const at = (deliveredAt ?? sentAt) + readDelay(rng);
      const ip = book.draw(rng, rng.pick<NetworkName>(['aws', 'azure', 'gcp', 'digitalocean']));
      const browser = { ip, ua: desktopBrowserUa(rng), headers: lang };
      const open = rng.chance(0.6) ? browser : { ip, ua: outlookDesktopUa(rng), headers: rng.chance(0.5) ? lang : {} };
      return { sentAt, deliveredAt, links: 1, hits: personRead(rng, at, open, browser) };
    }
  }
}

/** `count` messages of `family`, sent over a fortnight from time `start`. */
export function familyScenarios(rng: Rng, book: AddressBook, family: Family, count: number, start = 0): Scenario[] {
  const scenarios: Scenario[] = [];
  for (let i = 0; i < count; i++) {
    const sentAt = start + rng.uniform(0, 14 * DAY) + rng.uniform(7 * HOUR, 17 * HOUR);
    const d = draft(rng, book, family, sentAt);
    const hits = d.hits.map(makeHit).sort((a, b) => a.at - b.at);
    scenarios.push({
      message: `${family}-${i + 1}`,
      campaign: `family-${family}`,
      recipient: `${family}-${i + 1}@family.example`,
      recipients: 1,
      links: Array.from({ length: d.links }, (_, l) => `https://www.northwind.example/${family}/read-${l + 1}`),
      honeypot: false,
      sentAt: Math.round(sentAt),
      deliveredAt: d.deliveredAt === null ? null : Math.round(d.deliveredAt),
      hits,
      family,
    });
  }
  return scenarios;
}
