/**
 * The demo's recipients: who opens and clicks, when, from where, with what. Timings and shares follow
 * ../shared/reference/nhi.md: Apple Mail Privacy Protection prefetches soon after delivery, a
 * corporate security gateway clicks every link in a burst within a minute, people read hours later.
 */
import type { ParsedMail } from 'mailparser';
import type { Clock } from '../app/ports.js';

export interface DemoClock extends Clock {
  /** Moves the clock forward to `ms` (never back). */
  set(ms: number): void;
  /** From now on the clock keeps up with the real time, once that has caught up: for after the play. */
  follow(): void;
}

/** A clock the demo moves by hand from `start` (epoch ms), until it is told to follow the real one. */
export function demoClock(start: number): DemoClock {
  let now = start;
  let following = false;
  return {
    now: () => (following ? (now = Math.max(now, Date.now())) : now),
    set: (ms) => (now = Math.max(now, ms)),
    follow: () => (following = true),
  };
}

type Truth = 'human' | 'machine' | 'bot';

interface Hit {
  at: number;
  url: string;
  method: 'GET' | 'HEAD' | 'POST';
  headers: Record<string, string>;
  truth: Truth;
  body?: string;
}

const CHROME = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/129.0.0.0 Safari/537.36';
const SAFARI_IOS = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1';
const OUTLOOK = 'Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.17830; Pro)';
const FIREFOX = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:131.0) Gecko/20100101 Firefox/131.0';
const GMAIL_PROXY = 'Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)';
const YAHOO_PROXY = 'YahooMailProxy; https://help.yahoo.com/kb/yahoo-mail-proxy-SLN28749.html';
/** The outdated headless Chrome security gateways are known to send. */
const SCANNER = 'Mozilla/5.0 (Windows NT 6.1) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/57.0.2987.133 Safari/537.36';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** Of a clicking reader's clicks, the share that goes to the dynamic block written for them (when there is one). */
const OFFER_CLICK_SHARE = 0.3;

/** A recipient's tracked links (as in the mail) in dynamic-content blocks: those meant for them and those that are not. */
export interface DynamicBlocks {
  forThem: ReadonlySet<string>;
  notForThem: ReadonlySet<string>;
}

/** Something else that happens at a time of the play: the send queue's worker polling, report mail arriving. */
export interface TimedAction {
  at: number;
  run(): Promise<void>;
}

/**
 * Plays the recipients' hits in time order on the demo clock, with the other actions (`actions`)
 * taken at their own times among them.
 */
export async function playRecipients(
  recipients: { email: string; mail: ParsedMail; deliveredAt: number; blocks?: DynamicBlocks }[],
  clock: DemoClock,
  random: () => number,
  actions: readonly TimedAction[] = [],
): Promise<{ hits: number; byTruth: Record<Truth, number>; unsubscribes: number }> {
  const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)]!;
  /** Log-normal delay: most people read within hours, some days later (heavy tail). */
  const readingDelay = () => Math.min(2 * 24 * HOUR, Math.exp(Math.log(2 * HOUR) + 1.3 * gaussian(random)));
  const timeline: Hit[] = [];
  let unsubscribes = 0;

  for (const [i, { email, mail, deliveredAt, blocks }] of recipients.entries()) {
    const html = typeof mail.html === 'string' ? mail.html : '';
    const pixel = /<img src="([^"]+\/o\/[^"]+)"/.exec(html)?.[1];
    const links = [...new Set([...html.matchAll(/href="([^"]+\/c\/[^"]+)"/g)].map((m) => m[1]!))];
    const unsubscribe = /<(https?:[^>]+)>/.exec(mail.headerLines.find((h) => h.key === 'list-unsubscribe')?.line ?? '')?.[1];
    const domain = email.split('@')[1]!;
    const home = `198.51.100.${1 + (i % 250)}`;
    const person = (at: number, url: string, ua: string, ip = home): Hit => ({ at, url, method: 'GET', truth: 'human', headers: { 'user-agent': ua, 'x-forwarded-for': ip, 'accept-language': 'en-GB,en;q=0.8' } });

    // Apple Mail with Privacy Protection: every image prefetched through Apple's relay soon after delivery.
    if (domain === 'icloud.example' && pixel) {
      const relay = `104.28.28.${1 + Math.floor(random() * 60)}`;
      timeline.push({ at: deliveredAt + 5_000 + random() * 10 * MINUTE, url: pixel, method: 'GET', truth: 'machine', headers: { 'user-agent': 'Mozilla/5.0', 'x-forwarded-for': relay } });
    }
    // A corporate gateway scans each message: every link within a second, the pixel too, 20-60 s after delivery.
    if (domain === 'corp.example') {
      const scanAt = deliveredAt + 20_000 + random() * 40_000;
      const gateway = `40.107.${Math.floor(random() * 256)}.${Math.floor(random() * 256)}`;
      const scan = (at: number, url: string, method: 'GET' | 'HEAD' = 'GET'): Hit => ({ at, url, method, truth: 'bot', headers: { 'user-agent': SCANNER, 'x-forwarded-for': gateway } });
      if (pixel) timeline.push(scan(scanAt - 1_500, pixel));
      links.forEach((url, k) => timeline.push(scan(scanAt + k * 60, url, random() < 0.2 ? 'HEAD' : 'GET')));
    }

    // The person: about 45% read it, a quarter of readers click one or two links soon after.
    if (random() >= 0.45) continue;
    const readAt = deliveredAt + readingDelay();
    const ua = domain === 'icloud.example' ? SAFARI_IOS : domain === 'corp.example' ? OUTLOOK : pick([CHROME, FIREFOX, SAFARI_IOS]);
    if (pixel && domain !== 'icloud.example') {
      const openUa = domain === 'gmail.example' ? GMAIL_PROXY : domain === 'yahoo.example' ? YAHOO_PROXY : ua;
      timeline.push(person(readAt, pixel, openUa, domain === 'gmail.example' ? `66.249.84.${1 + (i % 200)}` : home));
    }
    // People click only in the blocks written for them; a scanner (above) follows every link.
    const theirs = links.filter((url) => !blocks?.notForThem.has(url));
    const offers = links.filter((url) => blocks?.forThem.has(url));
    if (random() < 0.25 && theirs.length > 0) {
      const clicks = 1 + Math.floor(random() * 2);
      for (let k = 0; k < clicks; k++) {
        // Readers favour what comes first (the logo and the lead article get most clicks), and the offer made to them.
        const url = offers.length > 0 && random() < OFFER_CLICK_SHARE ? pick(offers) : theirs[Math.min(theirs.length - 1, Math.floor(theirs.length * random() * random()))]!;
        timeline.push(person(readAt + 30_000 + random() * 5 * MINUTE + k * 90_000, url, ua === OUTLOOK ? CHROME : ua));
      }
    }
    if (unsubscribe && random() < 0.03) {
      timeline.push({ ...person(readAt + 2 * MINUTE, unsubscribe, ua), method: 'POST', body: 'List-Unsubscribe=One-Click' });
      unsubscribes++;
    }
  }

  const steps: ({ at: number; hit: Hit } | { at: number; action: TimedAction })[] = [...timeline.map((hit) => ({ at: hit.at, hit })), ...actions.map((action) => ({ at: action.at, action }))];
  steps.sort((a, b) => a.at - b.at);
  const byTruth: Record<Truth, number> = { human: 0, machine: 0, bot: 0 };
  for (const step of steps) {
    clock.set(Math.round(step.at));
    if ('action' in step) {
      await step.action.run();
      continue;
    }
    const { hit } = step;
    if (hit.body !== undefined) {
      await fetch(hit.url, { method: 'POST', headers: { ...hit.headers, 'content-type': 'application/x-www-form-urlencoded' }, body: hit.body });
      continue;
    }
    const response = await fetch(hit.url, { method: hit.method, headers: hit.headers, redirect: 'manual' });
    await response.arrayBuffer();
    byTruth[hit.truth]++;
  }
  return { hits: timeline.length - unsubscribes, byTruth, unsubscribes };
}

/** Standard normal variate (Box-Muller) from a uniform source. */
function gaussian(random: () => number): number {
  const u = Math.max(random(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}
