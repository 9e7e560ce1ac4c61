/**
 * What a recipient and their mailbox do with a message: the client's prefetch (Apple MPP, Gmail
 * app: machine), the person's reads and clicks (human) with the Office link probes and Safe Links
 * time-of-click checks around them (bot), forwarding, sharing in chat (previewers: bot), and the
 * sender's own staff (self).
 */
import type { Person } from './populations.js';
import type { Rng } from './prng.js';
import type { ScenarioHit } from './scenario-schema.js';
import { DAY, HOUR, makeHit, MINUTE, pickLink, SECOND, type HitSpec, type MessageContext } from './traffic.js';
import {
  acceptLanguage, androidWebViewUa, desktopBrowserUa, mobileBrowserUa, appleMailUa, GMAIL_PREFETCH_UA, GMAIL_PROXY_UA, iphoneSafariUa, isolationBrowserUa, MPP_UA, newOutlookUa, officeProbeUa,
  outlookDesktopUa, PREVIEWER_UAS, scannerUa, thunderbirdUa, YAHOO_PROXY_UA, type PreviewerKind,
} from './user-agents.js';

/** Share of delivered messages that MPP prefetches (the device must come online). */
const MPP_FETCH_RATE = 0.93;
/** MPP refetches the image later from another egress address. */
const MPP_REFETCH_RATE = 0.2;
/** MPP addresses outside the egress snapshot (the list goes stale). */
const MPP_UNLISTED_RATE = 0.03;
/** Gmail app prefetch per delivered message: about 1-6% of Gmail opens (nhi.md). */
const GMAIL_PREFETCH_RATE = 0.03;
const FORWARD_RATE = 0.02;
const CHAT_SHARE_RATE = 0.03;
const UNSUBSCRIBE_PAGE_RATE = 0.004;
/** Readers who open a message as it arrives (notification on): their clicks fall in the scanners' window. */
const NOTIFICATION_READ_RATE = 0.05;
/** Desktop readers who open several links in tabs within a second or two: a human burst. */
const TABS_RATE = 0.05;
/** A forwarded copy that the new mailbox's gateway scans in turn, hours after the original delivery. */
const FORWARD_SCAN_RATE = 0.3;

/** MPP fetch delay after arrival: seconds to minutes, with a tail of hours. */
function mppDelay(rng: Rng): number {
  return rng.chance(0.75) ? Math.max(1 * SECOND, rng.logNormal(30 * SECOND, 1.0)) : rng.logUniform(10 * MINUTE, 16 * HOUR);
}

/** When a person reads: heavy-tailed, minutes to days after arrival; a few read on the notification. */
function readDelay(rng: Rng): number {
  if (rng.chance(NOTIFICATION_READ_RATE)) return rng.logUniform(15 * SECOND, 4 * MINUTE);
  return Math.min(10 * DAY, Math.max(20 * SECOND, rng.logNormal(2.5 * HOUR, 1.7)));
}

function mppHits(ctx: MessageContext, person: Person): HitSpec[] {
  const { rng, book } = ctx;
  const hits: HitSpec[] = [];
  const egress = () => (rng.chance(MPP_UNLISTED_RATE) ? book.draw(rng, 'appleUnlisted') : book.draw(rng, 'apple'));
  const headers = (): Record<string, string> => (rng.chance(0.5) ? { 'accept-language': person.language } : {});
  if (rng.chance(MPP_FETCH_RATE)) {
    const at = ctx.arrivedAt + mppDelay(rng);
    hits.push({ at, kind: 'open', ip: egress(), ua: MPP_UA, headers: headers(), truth: 'machine' });
    if (rng.chance(MPP_REFETCH_RATE)) hits.push({ at: at + rng.logUniform(20 * MINUTE, 20 * HOUR), kind: 'open', ip: egress(), ua: MPP_UA, headers: headers(), truth: 'machine' });
  }
  return hits;
}

interface Origin {
  ip: string;
  ua: string | null;
  headers: Record<string, string>;
  mobile: boolean;
}

/** Where a person's browser is when they click: device, network, isolation, relay. */
function clickOrigin(ctx: MessageContext, person: Person): Origin {
  const { rng, book } = ctx;
  const lang = { 'accept-language': person.language };
  const company = person.company;
  if (company?.isolation) return { ip: book.draw(rng, company.isolation), ua: isolationBrowserUa(rng), headers: lang, mobile: false };
  const onPhone = person.device === 'iphone' || person.device === 'android' ? rng.chance(0.85) : rng.chance(0.15);
  if (onPhone) {
    if (person.privateRelay && person.device === 'iphone') return { ip: book.draw(rng, 'apple'), ua: iphoneSafariUa(rng), headers: lang, mobile: true };
    return { ip: rng.chance(0.6) ? book.draw(rng, 'mobile') : person.homeIp, ua: person.mobileUa, headers: lang, mobile: true };
  }
  const atOffice = company !== null && !person.remote && rng.chance(0.85);
  return { ip: atOffice ? rng.pick(company.officeIps) : person.homeIp, ua: person.desktopUa, headers: rng.chance(0.95) ? lang : {}, mobile: false };
}

/** The open hits of one read, by reading client. */
function readOpens(ctx: MessageContext, person: Person, at: number, firstRead: boolean): HitSpec[] {
  const { rng, book } = ctx;
  const lang = { 'accept-language': person.language };
  const local = () => (person.company && !person.remote ? rng.pick(person.company.officeIps) : person.homeIp);
  switch (person.client) {
    case 'gmail-web':
    case 'gmail-app':
      // The proxy caches the image: re-reads are rarely seen.
      return firstRead || rng.chance(0.1) ? [{ at, kind: 'open', ip: book.draw(rng, 'google'), ua: GMAIL_PROXY_UA, truth: 'human' }] : [];
    case 'yahoo':
      return firstRead || rng.chance(0.1) ? [{ at, kind: 'open', ip: book.draw(rng, 'yahoo'), ua: YAHOO_PROXY_UA, truth: 'human' }] : [];
    case 'apple-mpp':
      // A real read in Apple Mail with MPP is fetched through the proxy again: machine, by design.
      return rng.chance(0.15) ? [{ at, kind: 'open', ip: book.draw(rng, 'apple'), ua: MPP_UA, truth: 'machine' }] : [];
    case 'apple-mail': {
      const iphone = person.device === 'iphone';
      const ip = iphone && rng.chance(0.5) ? book.draw(rng, 'mobile') : person.homeIp;
      return [{ at, kind: 'open', ip, ua: appleMailUa(rng, iphone ? 'iphone' : 'mac'), headers: lang, truth: 'human' }];
    }
    case 'outlook-desktop':
    case 'outlook-new': {
      if (person.company?.imagesBlocked || (person.client === 'outlook-desktop' && rng.chance(0.2))) return [];
      const ua = person.client === 'outlook-desktop' ? outlookDesktopUa(rng) : newOutlookUa(rng);
      return [{ at, kind: 'open', ip: local(), ua, headers: rng.chance(0.5) ? lang : {}, truth: 'human' }];
    }
    case 'owa':
      // Outlook on the web fetches images from Microsoft's mail servers: still the person's open.
      return [{ at, kind: 'open', ip: book.draw(rng, rng.chance(0.85) ? 'exchangeOnline' : 'microsoftEop'), ua: person.desktopUa, headers: rng.chance(0.4) ? lang : {}, truth: 'human' }];
    case 'webmail':
      return [{ at, kind: 'open', ip: person.homeIp, ua: person.desktopUa, headers: lang, truth: 'human' }];
    case 'thunderbird':
      return rng.chance(0.3) ? [{ at, kind: 'open', ip: person.homeIp, ua: thunderbirdUa(rng), headers: lang, truth: 'human' }] : [];
    case 'android-mail':
      return [{ at, kind: 'open', ip: rng.chance(0.6) ? book.draw(ctx.rng, 'mobile') : person.homeIp, ua: androidWebViewUa(rng), headers: lang, truth: 'human' }];
  }
}

/** A person's click plus what their software does around it. */
function personClick(ctx: MessageContext, person: Person, at: number, link: number, origin: Origin): HitSpec[] {
  const { rng, book } = ctx;
  const hits: HitSpec[] = [];
  const scanner = person.company?.scanner;
  const headers = { ...origin.headers, ...(scanner?.refererHost && rng.chance(0.7) ? { referer: scanner.refererHost } : {}) };
  if (!origin.mobile && person.client === 'outlook-desktop' && rng.chance(0.12)) {
    hits.push({ at: at - rng.uniform(80, 600), kind: 'click', link, method: 'HEAD', ip: origin.ip, ua: officeProbeUa(rng), truth: 'bot' });
  }
  if (scanner?.gateway === 'eop' && rng.chance(0.15)) {
    // Safe Links checks the URL at the time of the click, just before redirecting the person.
    hits.push({ at: at - rng.uniform(300, 2500), kind: 'click', link, ip: book.draw(rng, rng.chance(0.6) ? 'microsoftWeb' : 'microsoftEop'), ua: scannerUa(rng, 'modern-chrome'), truth: 'bot' });
  }
  hits.push({ at, kind: 'click', link, ip: origin.ip, ua: origin.ua, headers, truth: 'human' });
  if (rng.chance(0.03)) hits.push({ at: at + rng.uniform(120, 700), kind: 'click', link, ip: origin.ip, ua: origin.ua, headers, truth: 'human' });
  return hits;
}

/** The link pasted in a chat: the previewer fetches it, then colleagues click. */
function chatShare(ctx: MessageContext, person: Person, at: number, link: number): HitSpec[] {
  const { rng, book } = ctx;
  const kind = rng.weighted<PreviewerKind>([[0.35, 'slack'], [0.25, 'teams'], [0.15, 'imessage'], [0.1, 'whatsapp'], [0.05, 'google-messages'], [0.1, 'linkedin']]);
  const previewIp = kind === 'slack' ? book.draw(rng, 'slack') : kind === 'teams' ? book.draw(rng, 'teams') : kind === 'linkedin' ? book.draw(rng, 'cloud') : rng.chance(0.5) ? book.draw(rng, 'mobile') : person.homeIp;
  const hits: HitSpec[] = [{ at, kind: 'click', link, ip: previewIp, ua: PREVIEWER_UAS[kind], headers: rng.chance(0.3) ? { 'x-purpose': 'preview' } : {}, truth: 'bot' }];
  for (let i = rng.weighted([[0.3, 0], [0.4, 1], [0.2, 2], [0.1, 3]]); i > 0; i--) {
    const officeIp = person.company ? rng.pick(person.company.officeIps) : book.draw(rng, 'residential');
    hits.push({
      at: at + rng.logNormal(40 * MINUTE, 1.3),
      kind: 'click',
      link,
      ip: rng.chance(0.5) ? officeIp : book.draw(rng, rng.chance(0.5) ? 'mobile' : 'residential'),
      ua: rng.chance(0.6) ? desktopBrowserUa(rng) : mobileBrowserUa(rng, rng.chance(0.5) ? 'ios' : 'android'),
      headers: { 'accept-language': rng.chance(0.7) ? person.language : acceptLanguage(rng) },
      truth: 'human',
    });
  }
  return hits;
}

export interface ReadingOptions {
  /** Forwarded copies do not forward again. */
  forwarded?: boolean;
  colleague?: () => Person;
}

/** The clicks of a person who decided to click, some seconds after opening at `readAt`. */
function clickSession(ctx: MessageContext, person: Person, readAt: number): HitSpec[] {
  const { rng } = ctx;
  const hits: HitSpec[] = [];
  const origin = clickOrigin(ctx, person);
  // Fast mobile users click within seconds of opening.
  let at = readAt + (origin.mobile && rng.chance(0.3) ? rng.uniform(5 * SECOND, 20 * SECOND) : Math.max(3 * SECOND, rng.logNormal(25 * SECOND, 1.0)));
  if (!origin.mobile && ctx.linkCount >= 2 && rng.chance(TABS_RATE)) {
    // Several links opened in background tabs, a fraction of a second to a second apart.
    for (const link of rng.sample(Array.from({ length: ctx.linkCount }, (_, i) => i), rng.int(2, 4)).sort((a, b) => a - b)) {
      hits.push(...personClick(ctx, person, at, link, origin));
      at += rng.uniform(250, 1500);
    }
    return hits;
  }
  let link = pickLink(rng, ctx.linkCount);
  const clicks = rng.chance(0.7) ? 1 : 2;
  for (let i = 0; i < clicks; i++) {
    hits.push(...personClick(ctx, person, at, link, origin));
    if (i === 0 && rng.chance(CHAT_SHARE_RATE)) hits.push(...chatShare(ctx, person, at + rng.logUniform(10 * SECOND, 30 * MINUTE), link));
    at += Math.max(3 * SECOND, rng.logNormal(40 * SECOND, 1.2));
    link = ctx.linkCount > 1 && rng.chance(0.8) ? pickLink(rng, ctx.linkCount, link) : link;
  }
  return hits;
}

export interface ReadingOptions {
  /** Forwarded copies do not forward again. */
  forwarded?: boolean;
  colleague?: () => Person;
  /** The scan of a forwarded copy by the new mailbox's gateway, starting at `arrivedAt` + a scan delay. */
  scanForwarded?: (ctx: MessageContext, person: Person) => ScenarioHit[];
}

/** Everything that happens to one recipient's copy, except the gateway scanning of the original. */
export function recipientActivity(ctx: MessageContext, person: Person, options: ReadingOptions = {}): ScenarioHit[] {
  const { rng } = ctx;
  const hits: HitSpec[] = [];
  const forwarded: ScenarioHit[] = [];
  if (person.client === 'apple-mpp') hits.push(...mppHits(ctx, person));
  if (person.client === 'gmail-app' && rng.chance(GMAIL_PREFETCH_RATE)) {
    hits.push({ at: ctx.arrivedAt + Math.max(2 * SECOND, rng.logNormal(20 * SECOND, 1.2)), kind: 'open', ip: ctx.book.draw(rng, 'google'), ua: GMAIL_PREFETCH_UA, truth: 'machine' });
  }
  if (rng.chance(Math.min(0.97, person.readRate * ctx.appeal))) {
    const readAt = ctx.arrivedAt + readDelay(rng);
    hits.push(...readOpens(ctx, person, readAt, true));
    if (rng.chance(0.2)) hits.push(...readOpens(ctx, person, readAt + rng.logUniform(5 * MINUTE, 3 * DAY), false));
    if (ctx.linkCount > 0 && rng.chance(Math.min(0.9, person.clickRate * ctx.appeal))) hits.push(...clickSession(ctx, person, readAt));
    if (rng.chance(UNSUBSCRIBE_PAGE_RATE)) {
      const origin = clickOrigin(ctx, person);
      hits.push({ at: readAt + rng.logNormal(30 * SECOND, 0.8), kind: 'unsubscribe-page', ip: origin.ip, ua: origin.ua, headers: origin.headers, truth: 'human' });
    }
    if (!options.forwarded && options.colleague && rng.chance(FORWARD_RATE)) {
      // Forwarded mail: another person, other addresses and clients, minutes to hours later.
      const forwardCtx = { ...ctx, sentAt: readAt, arrivedAt: readAt + rng.logNormal(10 * MINUTE, 1.5), appeal: ctx.appeal * 1.5 };
      const colleague = options.colleague();
      forwarded.push(...recipientActivity(forwardCtx, colleague, { forwarded: true }));
      if (options.scanForwarded && rng.chance(FORWARD_SCAN_RATE)) forwarded.push(...options.scanForwarded(forwardCtx, colleague));
    }
  }
  return [...hits.map(makeHit), ...forwarded];
}

/** The sender's own staff reading and checking their copy from the office: self. */
export function staffActivity(ctx: MessageContext, person: Person, role: 'seed' | 'cc'): ScenarioHit[] {
  const { rng } = ctx;
  const office = () => rng.pick(person.company!.officeIps);
  const hits: HitSpec[] = [];
  const opens = role === 'seed' ? rng.weighted([[0.2, 0], [0.5, 1], [0.3, 2]]) : rng.weighted([[0.4, 0], [0.4, 1], [0.2, 2]]);
  let at = ctx.arrivedAt + (role === 'seed' ? rng.logUniform(10 * SECOND, 20 * MINUTE) : rng.logNormal(30 * MINUTE, 1.2));
  for (let i = 0; i < opens; i++) {
    const ua = person.client === 'outlook-desktop' ? outlookDesktopUa(rng) : newOutlookUa(rng);
    hits.push({ at, kind: 'open', ip: office(), ua, headers: { 'accept-language': person.language }, truth: 'self' });
    if (i === 0 && ctx.linkCount > 0 && rng.chance(role === 'seed' ? 0.6 : 0.1)) {
      // Checking the links: every one in order, seconds apart.
      let t = at + rng.uniform(3 * SECOND, 20 * SECOND);
      const links = role === 'seed' ? Array.from({ length: ctx.linkCount }, (_, l) => l) : [pickLink(rng, ctx.linkCount)];
      for (const link of links) {
        hits.push({ at: t, kind: 'click', link, ip: office(), ua: person.desktopUa, headers: { 'accept-language': person.language }, truth: 'self' });
        t += rng.uniform(2 * SECOND, 15 * SECOND);
      }
    }
    at += rng.logUniform(10 * MINUTE, 2 * DAY);
  }
  return hits.map(makeHit);
}
