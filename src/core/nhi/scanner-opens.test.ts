/**
 * Scanner opens (nhi.md, "Scanner opens"): security products fetch pixels from cloud space with
 * outdated, headless, blank or bare user agents, without Accept-Language, seconds after delivery or
 * before it. A cloud network is probable evidence: it decides only with another independent signal,
 * and never against a mail provider's image proxy or a person's click from an isolation browser.
 */
import { describe, expect, it } from 'vitest';
import { HitClassifier } from './hit-classifier.js';
import type { HitFacts, MessageFacts, NetworkEvidence } from './verdict.js';

const CHROME = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/128.0.0.0 Safari/537.36';
const CHROME_96 = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/96.0.4664.110 Safari/537.36';
const OUTLOOK_FETCHER = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/605.1.15 (KHTML, like Gecko)';
const APPLE_MAIL = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148';
const GMAIL_PROXY = 'Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)';
const YAHOO_PROXY = 'YahooMailProxy; https://help.yahoo.com/kb/yahoo-mail-proxy-SLN28749.html';
const GMAIL_PREFETCH = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/42.0.2311.135 Safari/537.36 Edge/12.246 Mozilla/5.0';

const cloud = (provider: string): NetworkEvidence => ({ name: `cloud-${provider}`, reason: `net:cloud-${provider}`, kind: 'cloud', scope: 'both', strength: 'probable' });
/** As shipped: Outlook on the web loads readers' images from Microsoft's networks. */
const AZURE: NetworkEvidence = { ...cloud('azure'), readerImages: true };
const AWS = cloud('amazon');
const GOOGLE = cloud('google');
const gateway = (name: string, scope: NetworkEvidence['scope']): NetworkEvidence => ({ name, reason: `net:${name}`, kind: 'scanner', scope, strength: 'probable' });
const BARRACUDA = gateway('barracuda', 'both');
const PROOFPOINT = gateway('proofpoint', 'both');
/** Microsoft's mail servers: Outlook on the web loads readers' images through them, so the lists are for clicks. */
const EOP: NetworkEvidence = { ...gateway('microsoft-eop', 'clicks'), readerImages: true };
const EXCHANGE: NetworkEvidence = { ...gateway('microsoft-exchange', 'clicks'), readerImages: true };

const SENT = 0;
const DELIVERED = 2_000;
const HOUR = 3_600_000;
const msg = (messageId: number, extra: Partial<MessageFacts> = {}): MessageFacts => ({ messageId, campaignId: 1, sentAt: SENT, deliveredAt: DELIVERED, linkCount: 1, ...extra });
const hit = (kind: HitFacts['kind'], at: number, extra: Partial<HitFacts> = {}): HitFacts => ({
  kind,
  at,
  method: 'GET',
  ip: '20.37.1.1',
  userAgent: CHROME,
  headers: { 'accept-language': 'en-GB,en;q=0.9' },
  linkOrdinal: kind === 'click' ? 1 : null,
  networks: [AZURE],
  ...extra,
});

function judge(h: HitFacts, m: MessageFacts = msg(1)) {
  return new HitClassifier<string>().observe('x', h, m).judgement;
}

describe('scanner opens from cloud networks', () => {
  it('a cloud network alone never decides: a current browser with Accept-Language an hour later is a person', () => {
    expect(judge(hit('open', HOUR))).toEqual({ verdict: 'human', reasons: ['net:cloud-azure'] });
    expect(judge(hit('click', HOUR, { networks: [AWS] }))).toEqual({ verdict: 'human', reasons: ['net:cloud-amazon'] });
  });

  it('with an old Chrome (Defender: 79-97 reported) the open is a bot', () => {
    expect(judge(hit('open', HOUR, { userAgent: CHROME_96 }))).toEqual({ verdict: 'bot', reasons: ['ua:outdated-browser', 'net:cloud-azure'] });
  });

  it('a current Chrome without Accept-Language from a cloud is a bot, whenever it comes; from Microsoft’s, where Outlook on the web loads images, only when hasty', () => {
    expect(judge(hit('open', HOUR, { ip: '3.208.1.1', headers: {}, networks: [AWS] }))).toEqual({ verdict: 'bot', reasons: ['header:no-accept-language', 'net:cloud-amazon'] });
    expect(judge(hit('open', HOUR, { headers: {} }))).toEqual({ verdict: 'human', reasons: ['net:cloud-azure'] });
    expect(judge(hit('open', DELIVERED + 25_000, { headers: {} }))).toEqual({ verdict: 'bot', reasons: ['timing:fast-after-delivery', 'net:cloud-azure'] });
  });

  it('from the cloud the fast-open window widens to a minute (Defender: 20-30 s after send); elsewhere it stays 10 s', () => {
    expect(judge(hit('open', DELIVERED + 25_000))).toEqual({ verdict: 'bot', reasons: ['timing:fast-after-delivery', 'net:cloud-azure'] });
    expect(judge(hit('open', DELIVERED + 25_000, { ip: '73.1.2.3', networks: [], userAgent: CHROME_96 }))).toEqual({ verdict: 'human', reasons: ['ua:outdated-browser'] });
    expect(judge(hit('open', DELIVERED + 5_000, { ip: '73.1.2.3', networks: [], userAgent: CHROME_96 })).verdict).toBe('bot');
  });

  it('Outlook on the web through Exchange Online (the reader’s user agent, no language) is no bot for the missing header', () => {
    expect(judge(hit('open', HOUR, { ip: '52.97.1.1', userAgent: CHROME_96, headers: {}, networks: [EXCHANGE] }))).toEqual({ verdict: 'human', reasons: ['ua:outdated-browser'] });
  });

  it('off the cloud, a browser without Accept-Language seconds after delivery is a bot', () => {
    expect(judge(hit('open', DELIVERED + 4_000, { ip: '148.163.130.1', headers: {}, networks: [] }))).toEqual({ verdict: 'bot', reasons: ['timing:fast-after-delivery', 'header:no-accept-language'] });
  });

  it('with a blank user agent the open is a bot; a headless Chrome needs no network at all', () => {
    expect(judge(hit('open', HOUR, { userAgent: '', headers: {} }))).toEqual({ verdict: 'bot', reasons: ['ua:missing', 'net:cloud-azure'] });
    const headless = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0.0.0 Safari/537.36';
    expect(judge(hit('open', HOUR, { userAgent: headless, networks: [] })).verdict).toBe('bot');
  });

  it('the Outlook fetcher’s bare WebKit from Azure seconds after delivery is a bot; the same an hour later is not decided by the network', () => {
    expect(judge(hit('open', DELIVERED + 6_000, { userAgent: OUTLOOK_FETCHER, headers: {} }))).toEqual({ verdict: 'bot', reasons: ['timing:fast-after-delivery', 'net:cloud-azure'] });
    // Not a browser's claim: it need not send Accept-Language.
    expect(judge(hit('open', HOUR, { userAgent: OUTLOOK_FETCHER, headers: {} }))).toEqual({ verdict: 'human', reasons: ['net:cloud-azure'] });
  });

  it('an open before the receiving server accepted the message, from the cloud, is a bot', () => {
    expect(judge(hit('open', 10_000, { networks: [AWS] }), msg(1, { deliveredAt: 60_000 }))).toEqual({ verdict: 'bot', reasons: ['timing:before-delivery', 'net:cloud-amazon'] });
  });

  it('the signals count once per observation: a Barracuda block inside AWS is one network, not two signals', () => {
    expect(judge(hit('click', HOUR, { ip: '18.133.136.100', networks: [BARRACUDA, AWS] }))).toEqual({ verdict: 'human', reasons: ['net:barracuda', 'net:cloud-amazon'] });
  });
});

describe('scanner opens from the gateways’ own networks', () => {
  it('a blank user agent from Exchange Online is Defender’s, not Outlook on the web’s, which passes the reader’s on', () => {
    const blank = judge(hit('open', HOUR, { ip: '104.47.2.98', userAgent: '', headers: {}, networks: [EOP, EXCHANGE] }));
    expect(blank.verdict).toBe('bot');
    expect([...blank.reasons].sort()).toEqual(['net:microsoft-eop', 'net:microsoft-exchange', 'ua:missing']);
    expect(judge(hit('open', HOUR, { ip: '2a01:111:f400::1', userAgent: null, networks: [EOP] })).verdict).toBe('bot');
  });

  it('Outlook’s bare WebKit fetcher from Exchange Online within a minute of delivery is a bot; an hour later, or Outlook naming itself, is not decided by the network', () => {
    const fetcher = { ip: '52.97.1.1', userAgent: OUTLOOK_FETCHER, headers: {}, networks: [EXCHANGE] };
    expect(judge(hit('open', DELIVERED + 30_000, fetcher))).toEqual({ verdict: 'bot', reasons: ['net:microsoft-exchange', 'timing:fast-after-delivery'] });
    expect(judge(hit('open', HOUR, fetcher))).toEqual({ verdict: 'human', reasons: ['net:microsoft-exchange'] });
    const outlook = 'Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.17328; Pro)';
    expect(judge(hit('open', DELIVERED + 30_000, { ...fetcher, userAgent: outlook }))).toEqual({ verdict: 'human', reasons: [] });
  });

  it('Outlook on the web from Exchange Online stays human: a current browser seconds after delivery, an old one later, no language', () => {
    const owa = { ip: '52.97.1.1', headers: {}, networks: [EXCHANGE] };
    expect(judge(hit('open', DELIVERED + 20_000, owa))).toEqual({ verdict: 'human', reasons: ['timing:fast-after-delivery'] });
    expect(judge(hit('open', HOUR, { ...owa, userAgent: CHROME_96 }))).toEqual({ verdict: 'human', reasons: ['ua:outdated-browser'] });
  });

  it('Microsoft’s mail servers widen the fast-open window without weighing themselves: an old browser there within a minute is a gateway’s fetch', () => {
    const eop = { ip: '104.47.35.92', headers: {}, networks: [EOP, EXCHANGE], userAgent: CHROME_96 };
    expect(judge(hit('open', DELIVERED + 30_000, eop))).toEqual({ verdict: 'bot', reasons: ['timing:fast-after-delivery', 'ua:outdated-browser'] });
    expect(judge(hit('open', DELIVERED + 30_000, { ...eop, ip: '73.1.2.3', networks: [], headers: { 'accept-language': 'en' } }))).toEqual({ verdict: 'human', reasons: ['ua:outdated-browser'] });
  });

  it('from a gateway whose servers load no reader’s images, the open weighs with one more signal, and the fast window is a minute', () => {
    const pp = { ip: '148.163.130.1', networks: [PROOFPOINT] };
    expect(judge(hit('open', DELIVERED + 30_000, pp))).toEqual({ verdict: 'bot', reasons: ['net:proofpoint', 'timing:fast-after-delivery'] });
    expect(judge(hit('open', HOUR, pp))).toEqual({ verdict: 'human', reasons: ['net:proofpoint'] });
    expect(judge(hit('open', HOUR, { ...pp, headers: {} }))).toEqual({ verdict: 'bot', reasons: ['net:proofpoint', 'header:no-accept-language'] });
    expect(judge(hit('open', HOUR, { ...pp, userAgent: CHROME_96 }))).toEqual({ verdict: 'bot', reasons: ['net:proofpoint', 'ua:outdated-browser'] });
    expect(judge(hit('open', DELIVERED + 30_000, { ...pp, ip: '209.222.82.1', networks: [BARRACUDA] })).verdict).toBe('bot');
  });
});

describe('what a cloud network never outweighs', () => {
  it('Gmail’s and Yahoo’s image proxies stay human, even seconds after delivery and without Accept-Language', () => {
    // As classified without the cloud lists: the proxy's own network adds nothing, not even a reason.
    expect(judge(hit('open', DELIVERED + 3_000, { ip: '66.249.84.1', userAgent: GMAIL_PROXY, headers: {}, networks: [GOOGLE] }))).toEqual({ verdict: 'human', reasons: ['proxy:gmail'] });
    expect(judge(hit('open', DELIVERED + 3_000, { userAgent: YAHOO_PROXY, headers: {}, networks: [AWS] }))).toEqual({ verdict: 'human', reasons: ['proxy:yahoo'] });
  });

  it('Gmail’s app prefetch from Google space stays machine', () => {
    expect(judge(hit('open', DELIVERED + 20_000, { ip: '66.249.84.1', userAgent: GMAIL_PREFETCH, headers: {}, networks: [GOOGLE] })).verdict).toBe('machine');
  });

  it('a person’s click through an isolation browser (cloud, Accept-Language, human timing, one link) stays human', () => {
    const c = new HitClassifier<string>();
    const click = c.observe('iso', hit('click', 25 * 60_000, { networks: [AWS] }), msg(1));
    expect(click.judgement).toEqual({ verdict: 'human', reasons: ['net:cloud-amazon'] });
  });

  it('colleagues on one cloud VPN clicking the same campaign minutes apart stay human', () => {
    const c = new HitClassifier<string>();
    const verdicts = [1, 2, 3].map((m) => c.observe(`c${m}`, hit('click', HOUR + m * 30_000, { ip: '3.208.1.1', networks: [AWS] }), msg(m)).judgement.verdict);
    expect(verdicts).toEqual(['human', 'human', 'human']);
  });

  it('mail clients need not send Accept-Language: Apple Mail on a cloud VPN an hour later is a person', () => {
    expect(judge(hit('open', HOUR, { userAgent: APPLE_MAIL, headers: {}, networks: [AWS] }))).toEqual({ verdict: 'human', reasons: ['net:cloud-amazon'] });
  });

  it('Outlook naming itself on a cloud virtual desktop seconds after delivery is a person: haste is a fetcher’s sign, not a mail program’s', () => {
    const outlook = 'Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.17328; Pro)';
    expect(judge(hit('open', DELIVERED + 20_000, { userAgent: outlook, networks: [AWS] }))).toEqual({ verdict: 'human', reasons: ['net:cloud-amazon'] });
    // A browser's claim from the same place, as soon, is still a scanner's.
    expect(judge(hit('open', DELIVERED + 20_000, { networks: [AWS] })).verdict).toBe('bot');
  });

  it('a person’s open beside their own Office link probe (same address) stays human; beside a scanner’s click it is the scanner’s', () => {
    const c = new HitClassifier<string>();
    const home = { ip: '73.1.2.3', networks: [] };
    const probe = c.observe('probe', hit('click', HOUR, { ...home, method: 'HEAD', userAgent: 'Microsoft Office Existence Discovery' }), msg(1));
    expect(probe.judgement.verdict).toBe('bot');
    expect(c.observe('open', hit('open', HOUR + 5_000, home), msg(1)).judgement).toEqual({ verdict: 'human', reasons: [] });
    const scan = c.observe('scan', hit('click', HOUR, { ...home, ip: '73.9.9.9', headers: {}, userAgent: CHROME_96 }), msg(2));
    expect(scan.judgement.verdict).toBe('bot');
    expect(c.observe('scan-open', hit('open', HOUR + 5_000, { ...home, ip: '73.9.9.9' }), msg(2)).judgement).toEqual({ verdict: 'bot', reasons: ['burst:scanner-open'] });
    // A gateway's self-named or HEAD click is no person's Office probe: its pixel fetch is its own.
    for (const [n, click] of [
      [3, { userAgent: 'Barracuda Sentinel (EE)' }],
      [4, { method: 'HEAD' }],
    ] as const) {
      const ip = `73.9.9.${n}`;
      expect(c.observe(`gw${n}`, hit('click', HOUR, { ...home, ip, ...click }), msg(n)).judgement.verdict).toBe('bot');
      expect(c.observe(`gw-open${n}`, hit('open', HOUR + 5_000, { ...home, ip }), msg(n)).judgement).toEqual({ verdict: 'bot', reasons: ['burst:scanner-open'] });
    }
  });

  it('a browser without Accept-Language off the cloud is one signal only', () => {
    expect(judge(hit('open', HOUR, { ip: '73.1.2.3', headers: {}, networks: [] }))).toEqual({ verdict: 'human', reasons: ['header:no-accept-language'] });
  });
});
