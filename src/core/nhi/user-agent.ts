/**
 * What a user agent says about a hit. UA lists alone catch little (scanners mostly send browser
 * UAs), so most of these are one signal among several; only self-named bots decide alone.
 */

/** Tools that name themselves: HTTP libraries, crawlers, link previewers, security products. */
const SELF_NAMED_BOT = new RegExp(
  [
    // "...bot", "...crawler", "...spider" as a word or a name ending (Googlebot, Slackbot-LinkExpanding)
    String.raw`(?:bot|crawler|spider)(?:\b|[-_/;])`,
    String.raw`\b(?:slurp|bingpreview|preview|scanner|linkexpanding|embedly|iframely|facebookexternalhit|whatsapp|telegram|discord|skypeuripreview|googlemessages)\b`,
    // HTTP libraries and headless browsers
    String.raw`\b(?:python-requests|python-urllib|aiohttp|httpx|curl|wget|libwww|lwp-|go-http-client|okhttp|java\/|apache-httpclient|axios|node-fetch|undici|headlesschrome|phantomjs|puppeteer|playwright|selenium|scrapy)`,
    // security products
    String.raw`\b(?:barracuda|mimecast|proofpoint|urldefense|forcepoint|sophos|trendmicro|symantec|fortiguard|zscaler|ironport)\b`,
  ].join('|'),
  'i',
);
/** Phone models whose names end in "bot" (Cubot) are people. */
const BOT_LOOKALIKE_DEVICES = /\bcubot\b/i;

/** Office's link probes: bots when they follow a link, but Outlook fetches images under similar names. */
const OFFICE_DISCOVERY = /microsoft office (existence|protocol) discovery|^ms-office\b|\bms-office;/i;

const GMAIL_IMAGE_PROXY = /GoogleImageProxy/;
const YAHOO_MAIL_PROXY = /YahooMailProxy/;
/** Gmail app prefetch: a Chrome 42 / Edge 12 UA seen only from Google's prefetcher. */
const GMAIL_PREFETCH = /Chrome\/42\.0\.2311\.135.*Edge\/12\.246/;
/** Apple Mail Privacy Protection sends exactly this, and so do real reads through Apple's proxy. */
const BARE_MOZILLA = /^Mozilla\/5\.0$/;

/**
 * Browsers older than this major version are rare among people (browsers auto-update) and common
 * among security gateways that pin an old headless Chrome (Chrome/57 is a known example).
 */
export const OUTDATED_CHROME_MAJOR = 100;
export const OUTDATED_FIREFOX_MAJOR = 90;

export interface UserAgentSignals {
  selfNamedBot: boolean;
  officeDiscovery: boolean;
  gmailProxy: boolean;
  yahooProxy: boolean;
  gmailPrefetch: boolean;
  bareMozilla: boolean;
  outdatedBrowser: boolean;
  missing: boolean;
  /** Claims to be a web browser (Chrome, Edge, Firefox, Safari with its version), not a mail client or proxy. */
  browserClaim: boolean;
  /** Names a desktop or app mail client (Outlook, Thunderbird, a mail app's web view): the reader's own program. */
  namedMailClient: boolean;
  /**
   * Names no browser and no device: blank, `Mozilla/5.0` alone, or a WebKit engine with nothing after
   * it (Outlook's image fetcher; Apple Mail on a Mac says the same). No reader's browser sends one.
   */
  namesNoBrowser: boolean;
}

/** Distinct user agents whose reading is remembered: the same few hundred strings make most traffic. */
const READ_CACHE_SIZE = 2_000;
const readCache = new Map<string, UserAgentSignals>();

/** What the user agent says; readings are remembered (the result is frozen, shared by every caller). */
export function readUserAgent(userAgent: string | null): UserAgentSignals {
  const key = userAgent ?? '';
  const known = readCache.get(key);
  if (known) return known;
  const read = Object.freeze(readFresh(key));
  // Forgetting everything at once when full keeps this a plain map; the hot strings come back at once.
  if (readCache.size >= READ_CACHE_SIZE) readCache.clear();
  readCache.set(key, read);
  return read;
}

function readFresh(userAgent: string): UserAgentSignals {
  const ua = userAgent.trim();
  const gmailProxy = GMAIL_IMAGE_PROXY.test(ua);
  const yahooProxy = YAHOO_MAIL_PROXY.test(ua);
  const gmailPrefetch = GMAIL_PREFETCH.test(ua);
  const namedMailClient = OUTLOOK_DESKTOP.test(ua) || MAIL_CLIENT.test(ua);
  const bareMozilla = BARE_MOZILLA.test(ua);
  const missing = ua === '';
  return {
    // The mail providers' own image proxies are people opening mail, whatever words their UA holds.
    selfNamedBot: !gmailProxy && !yahooProxy && SELF_NAMED_BOT.test(ua) && !BOT_LOOKALIKE_DEVICES.test(ua),
    officeDiscovery: OFFICE_DISCOVERY.test(ua),
    gmailProxy,
    yahooProxy,
    gmailPrefetch,
    bareMozilla,
    outdatedBrowser: !gmailPrefetch && isOutdatedBrowser(ua),
    missing,
    browserClaim: !gmailProxy && !yahooProxy && !gmailPrefetch && BROWSER_CLAIM.test(ua) && !namedMailClient,
    namedMailClient,
    namesNoBrowser: missing || bareMozilla || BARE_WEBKIT.test(ua),
  };
}

/**
 * A browser names itself with its version: Chrome/, Firefox/, or Safari's Version/. Apple Mail and
 * Outlook's image fetcher send a bare `AppleWebKit/605.1.15 (KHTML, like Gecko)` without one: not a claim.
 */
const BROWSER_CLAIM = /^Mozilla\/5\.0 \(.*(?:Chrome|CriOS|Firefox|FxiOS|Version)\/\d+/;
/** A WebKit engine and nothing after it: no browser, no version, no device model. */
const BARE_WEBKIT = /^Mozilla\/5\.0 \([^)]*\) AppleWebKit\/[\d.]+ \(KHTML, like Gecko\)$/;
/** Mail clients that embed a browser engine and name themselves (Thunderbird, webviews of mail apps). */
const MAIL_CLIENT = /Thunderbird|; wv\)|Mail\/\d/i;

/** Outlook for Windows renders mail with Word and fetches images under a Trident (IE) UA: a person. */
const OUTLOOK_DESKTOP = /Microsoft Outlook|MSOffice|ms-office/i;

function isOutdatedBrowser(ua: string): boolean {
  if (OUTLOOK_DESKTOP.test(ua)) return false;
  const chrome = /(?:Chrome|CriOS)\/(\d+)\./.exec(ua);
  if (chrome) return Number(chrome[1]) < OUTDATED_CHROME_MAJOR;
  const firefox = /Firefox\/(\d+)\./.exec(ua);
  if (firefox && !/GoogleImageProxy/.test(ua)) return Number(firefox[1]) < OUTDATED_FIREFOX_MAJOR;
  // Internet Explorer / Trident: no person browses with it any more, scanners still claim it.
  return /MSIE \d|Trident\//.test(ua);
}
