/**
 * User agents of the synthetic traffic: browsers, mail clients and proxies of people, prefetchers,
 * scanners (mostly disguised as browsers) and link previewers. Versions vary so that no single
 * string identifies a class.
 */
import type { Rng } from './prng.js';

/** Apple Mail Privacy Protection: exactly this, nothing more (nhi.md). */
export const MPP_UA = 'Mozilla/5.0';
export const GMAIL_PROXY_UA = 'Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)';
export const GMAIL_PREFETCH_UA =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/42.0.2311.135 Safari/537.36 Edge/12.246 Mozilla/5.0';
export const YAHOO_PROXY_UA = 'YahooMailProxy; https://help.yahoo.com/kb/yahoo-mail-proxy-SLN28749.html';

const chromeMajor = (rng: Rng) => rng.int(118, 131);
const iosVersion = (rng: Rng) => rng.pick(['16_7', '17_4', '17_5', '17_6', '18_0', '18_1', '18_2']);

export function desktopBrowserUa(rng: Rng): string {
  const v = chromeMajor(rng);
  return rng.weighted<() => string>([
    [0.45, () => `Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/${v}.0.0.0 Safari/537.36`],
    [0.15, () => `Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/${v}.0.0.0 Safari/537.36 Edg/${v}.0.${rng.int(1000, 2900)}.${rng.int(10, 99)}`],
    [0.15, () => `Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/${v}.0.0.0 Safari/537.36`],
    [0.12, () => `Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/${rng.pick(['17.4', '17.5', '17.6', '18.0', '18.1'])} Safari/605.1.15`],
    [0.1, () => { const f = rng.int(115, 133); return `Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:${f}.0) Gecko/20100101 Firefox/${f}.0`; }],
    [0.03, () => `Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/${v}.0.0.0 Safari/537.36`],
  ])();
}

/** The remote browser of an isolation service: a current Chrome, whoever the person is. */
export function isolationBrowserUa(rng: Rng): string {
  return `Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/${rng.int(124, 131)}.0.0.0 Safari/537.36`;
}

export function iphoneSafariUa(rng: Rng): string {
  const os = iosVersion(rng);
  return `Mozilla/5.0 (iPhone; CPU iPhone OS ${os} like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/${os.replace('_', '.')} Mobile/15E148 Safari/604.1`;
}

export function mobileBrowserUa(rng: Rng, platform: 'ios' | 'android'): string {
  if (platform === 'ios') {
    return rng.chance(0.8)
      ? iphoneSafariUa(rng)
      : `Mozilla/5.0 (iPhone; CPU iPhone OS ${iosVersion(rng)} like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/${chromeMajor(rng)}.0.${rng.int(6000, 6800)}.${rng.int(40, 150)} Mobile/15E148 Safari/604.1`;
  }
  const v = chromeMajor(rng);
  return rng.weighted<() => string>([
    [0.7, () => `Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/${v}.0.0.0 Mobile Safari/537.36`],
    [0.3, () => `Mozilla/5.0 (Linux; Android ${rng.int(12, 15)}; SAMSUNG SM-S9${rng.int(11, 28)}B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/${rng.int(23, 27)}.0 Chrome/${v}.0.0.0 Mobile Safari/537.36`],
  ])();
}

/** Apple Mail without MPP: the WebKit of the mail app, no Safari token. */
export function appleMailUa(rng: Rng, device: 'iphone' | 'mac'): string {
  return device === 'iphone'
    ? `Mozilla/5.0 (iPhone; CPU iPhone OS ${iosVersion(rng)} like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148`
    : 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko)';
}

export function outlookDesktopUa(rng: Rng): string {
  const build = `16.0.${rng.int(14326, 18129)}`;
  return rng.chance(0.5)
    ? `Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook ${build}; Pro)`
    : `Mozilla/5.0 (Windows NT 10.0; WOW64; Trident/7.0; .NET4.0C; .NET4.0E; .NET CLR 2.0.50727; .NET CLR 3.0.30729; .NET CLR 3.5.30729; Microsoft Outlook ${build}; ms-office; MSOffice 16)`;
}

/** The new Outlook for Windows renders in Edge WebView2. */
export function newOutlookUa(rng: Rng): string {
  const v = chromeMajor(rng);
  return `Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/${v}.0.0.0 Safari/537.36 Edg/${v}.0.0.0`;
}

export function thunderbirdUa(rng: Rng): string {
  const v = rng.pick(['115.16.0', '128.3.0', '128.5.1', '133.0']);
  return `Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:${v.split('.')[0]}.0) Gecko/20100101 Thunderbird/${v}`;
}

/** Android mail apps render in a WebView. */
export function androidWebViewUa(rng: Rng): string {
  return `Mozilla/5.0 (Linux; Android ${rng.int(11, 15)}; SM-A${rng.int(136, 556)}B Build/UP1A.231005.007; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/${chromeMajor(rng)}.0.0.0 Mobile Safari/537.36`;
}

/** Scanner user-agent families; a gateway keeps one (sometimes rotates within it). */
export type ScannerUaStyle = 'outdated-chrome' | 'modern-chrome' | 'self-named' | 'ie11' | 'linux-chrome' | 'bare';

const SELF_NAMED_SCANNER_UAS = [
  'Barracuda Sentinel (EE)',
  'python-requests/2.31.0',
  'python-requests/2.28.2',
  'Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm) BingPreview/1.0b',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0.6099.71 Safari/537.36',
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/126.0.6478.126 Safari/537.36',
  'curl/8.4.0',
  'Go-http-client/1.1',
  'axios/1.6.8',
  'Java/17.0.9',
];

export function scannerUa(rng: Rng, style: ScannerUaStyle): string | null {
  switch (style) {
    case 'outdated-chrome':
      return rng.chance(0.3)
        ? 'Mozilla/5.0 (Windows NT 6.1) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/57.0.2987.133 Safari/537.36'
        : `Mozilla/5.0 (Windows NT ${rng.pick(['6.1', '6.3', '10.0'])}; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/${rng.int(58, 109)}.0.${rng.int(3000, 5400)}.${rng.int(10, 200)} Safari/537.36`;
    case 'modern-chrome':
      return desktopBrowserUa(rng);
    case 'self-named':
      return rng.pick(SELF_NAMED_SCANNER_UAS);
    case 'ie11':
      return 'Mozilla/5.0 (Windows NT 6.1; WOW64; Trident/7.0; rv:11.0) like Gecko';
    case 'linux-chrome':
      return `Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/${rng.int(90, 126)}.0.0.0 Safari/537.36`;
    case 'bare':
      return rng.chance(0.6) ? 'Mozilla/5.0' : null;
  }
}

/** Office apps probe a link before opening it in the browser: a bot hit from the person's own machine. */
export function officeProbeUa(rng: Rng): string {
  return rng.pick(['Microsoft Office Existence Discovery', 'Microsoft Office Protocol Discovery', 'Mozilla/4.0 (compatible; ms-office; MSOffice 16)']);
}

export type PreviewerKind = 'slack' | 'teams' | 'imessage' | 'whatsapp' | 'google-messages' | 'linkedin';

export const PREVIEWER_UAS: Record<PreviewerKind, string> = {
  slack: 'Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)',
  teams: 'Mozilla/5.0 (Windows NT 6.1; WOW64) SkypeUriPreview Preview/0.5 skype-url-preview@microsoft.com',
  imessage: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_11_1) AppleWebKit/601.2.4 (KHTML, like Gecko) Version/9.0.1 Safari/601.2.4 facebookexternalhit/1.1 Facebot Twitterbot/1.0',
  whatsapp: 'WhatsApp/2.24.6.77 A',
  'google-messages': 'GoogleMessages',
  linkedin: 'LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)',
};

const LANGUAGES = [
  'en-US,en;q=0.9', 'en-GB,en;q=0.9', 'en-US', 'de-DE,de;q=0.9,en;q=0.8', 'fr-FR,fr;q=0.9,en-US;q=0.8,en;q=0.7',
  'es-ES,es;q=0.9', 'nl-NL,nl;q=0.9,en;q=0.8', 'it-IT,it;q=0.9,en;q=0.8', 'pt-BR,pt;q=0.9,en;q=0.8', 'sv-SE,sv;q=0.9,en;q=0.8',
];

export function acceptLanguage(rng: Rng): string {
  return rng.weighted(LANGUAGES.map((l, i) => [i < 2 ? 4 : 1, l] as const));
}
