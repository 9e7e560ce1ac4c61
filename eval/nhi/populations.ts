/**
 * The synthetic world: recipients (mailbox provider, reading client, devices, networks, appetite),
 * the companies they work at (office NAT, email gateway, browser isolation) and the sender's own
 * staff. Shares follow nhi.md where it gives them (MPP about 40% of opens, gateway mix of B2B).
 */
import type { AddressBook, NetworkName } from './networks.js';
import type { Rng } from './prng.js';
import { acceptLanguage, desktopBrowserUa, mobileBrowserUa, type ScannerUaStyle } from './user-agents.js';

export type Provider = 'gmail' | 'yahoo' | 'outlook' | 'icloud' | 'isp' | 'corporate' | 'sender';
export type ReadingClient =
  | 'gmail-web' | 'gmail-app' | 'apple-mpp' | 'apple-mail' | 'outlook-desktop' | 'outlook-new'
  | 'owa' | 'yahoo' | 'webmail' | 'thunderbird' | 'android-mail';
export type Gateway = 'none' | 'eop' | 'proofpoint' | 'mimecast' | 'barracuda' | 'ironport' | 'cloud-sandbox';

/** How one deployment of a gateway (or a provider's own scanning) follows links. */
export interface Scanner {
  gateway: Gateway;
  ips: string[];
  uaStyle: ScannerUaStyle;
  /** A new UA of the same style on every request. */
  rotatesUa: boolean;
  /** all: every link within about a second; subset: a few links; slow: every link, seconds apart. */
  pattern: 'all' | 'subset' | 'slow';
  headFirst: boolean;
  headOnly: boolean;
  /** Chance that a click is sent twice within the second. */
  duplicateRate: number;
  pixelRate: number;
  /** Chance of scanning a campaign at all, then the share of its messages scanned. */
  campaignRate: number;
  coverage: number;
  /** Holds the message in a sandbox and scans before accepting it: clicks before delivery. */
  preDeliveryRate: number;
  rescanRate: number;
  /** The redirect host a person's click passes through (Safe Links and alike), as a referer. */
  refererHost: string | null;
}

export interface Company {
  domain: string;
  gateway: Gateway;
  scanner: Scanner | null;
  /** Public addresses of the office NAT: everyone in the office shares them. */
  officeIps: string[];
  /** Clicks open in a remote browser on this vendor's network (browser isolation), or null. */
  isolation: NetworkName | null;
  /** Outlook desktop does not download images (company policy). */
  imagesBlocked: boolean;
}

export interface Person {
  email: string;
  provider: Provider;
  company: Company | null;
  client: ReadingClient;
  device: 'iphone' | 'android' | 'mac' | 'windows';
  desktopUa: string;
  mobileUa: string;
  homeIp: string;
  /** iCloud+ Private Relay: Safari's requests leave from Apple's egress network. */
  privateRelay: boolean;
  language: string;
  /** Chance of reading a message, then of clicking once read. */
  readRate: number;
  clickRate: number;
  /** Works from home: office-network reads and clicks come from the home line instead. */
  remote: boolean;
}

export interface World {
  persons: Person[];
  staff: Person[];
  consumerScanners: Partial<Record<Provider, Scanner>>;
}

const CLIENTS_BY_PROVIDER: Record<Exclude<Provider, 'sender'>, [number, ReadingClient][]> = {
  gmail: [[0.49, 'gmail-web'], [0.39, 'gmail-app'], [0.09, 'apple-mpp'], [0.03, 'apple-mail']],
  yahoo: [[0.87, 'yahoo'], [0.13, 'apple-mpp']],
  outlook: [[0.6, 'owa'], [0.15, 'outlook-desktop'], [0.13, 'apple-mpp'], [0.12, 'android-mail']],
  icloud: [[0.85, 'apple-mpp'], [0.15, 'apple-mail']],
  isp: [[0.55, 'webmail'], [0.17, 'apple-mpp'], [0.1, 'thunderbird'], [0.18, 'android-mail']],
  corporate: [[0.53, 'outlook-desktop'], [0.1, 'outlook-new'], [0.14, 'owa'], [0.1, 'apple-mpp'], [0.13, 'gmail-web']],
};

const PROVIDER_SHARES: [number, Exclude<Provider, 'sender' | 'corporate'>, readonly string[]][] = [
  [0.3, 'gmail', ['gmail.com', 'googlemail.com']],
  [0.07, 'yahoo', ['yahoo.com', 'aol.com', 'ymail.com']],
  [0.08, 'outlook', ['outlook.com', 'hotmail.com', 'live.com']],
  [0.07, 'icloud', ['icloud.com', 'me.com', 'mac.com']],
  [0.08, 'isp', ['web.de', 'orange.fr', 'comcast.net', 'gmx.de', 'btinternet.com', 'libero.it']],
];
/** The rest of the audience works at companies (B2B). */
const CORPORATE_SHARE = 0.4;

const GATEWAY_SHARES: [number, Gateway][] = [
  [0.4, 'eop'], [0.14, 'proofpoint'], [0.12, 'mimecast'], [0.08, 'barracuda'], [0.04, 'ironport'], [0.07, 'cloud-sandbox'], [0.15, 'none'],
];

const GATEWAY_NETWORK: Record<Exclude<Gateway, 'none'>, NetworkName> = {
  eop: 'microsoftEop', proofpoint: 'proofpoint', mimecast: 'mimecast', barracuda: 'barracuda', ironport: 'ironport', 'cloud-sandbox': 'cloud',
};

/** Chance that a gateway scans a given campaign for a company; tuned so bots make 50-60% of clicks. */
const GATEWAY_CAMPAIGN_RATE: Record<Exclude<Gateway, 'none'>, number> = {
  eop: 0.04, proofpoint: 0.07, mimecast: 0.08, barracuda: 0.09, ironport: 0.05, 'cloud-sandbox': 0.08,
};

const NAMES = ['ann', 'bob', 'carla', 'deniz', 'emil', 'fatima', 'gus', 'hana', 'ivan', 'jules', 'kofi', 'lena', 'marta', 'nils', 'olga', 'pablo', 'quinn', 'rosa', 'sami', 'tara', 'ugo', 'vera', 'wei', 'xena', 'yusuf', 'zoe'];
const SURNAMES = ['smith', 'muller', 'martin', 'rossi', 'garcia', 'nowak', 'jensen', 'silva', 'kim', 'okafor', 'dubois', 'weber', 'lopez', 'tanaka', 'novak', 'berg'];
const WORDS = ['acme', 'globex', 'initech', 'umbrella', 'stark', 'wayne', 'tyrell', 'soylent', 'hooli', 'vandelay', 'wonka', 'cyberdyne', 'oscorp', 'nakatomi', 'duff', 'monarch'];
const SUFFIXES = ['corp', 'group', 'labs', 'bank', 'health', 'logistics', 'media', 'systems', 'retail', 'energy'];

function gatewayScanner(rng: Rng, book: AddressBook, gateway: Exclude<Gateway, 'none'>, vendorIps: Map<Gateway, string[]>): Scanner {
  let pool = vendorIps.get(gateway);
  if (!pool) {
    // A vendor scans from a shared fleet: customers of one gateway see the same addresses.
    pool = Array.from({ length: 24 }, () => book.draw(rng, GATEWAY_NETWORK[gateway]));
    vendorIps.set(gateway, pool);
  }
  const safeLinksRegion = rng.pick(['nam02', 'nam10', 'nam12', 'eur01', 'eur03', 'apc01']);
  const refererHost: Record<Exclude<Gateway, 'none'>, string | null> = {
    eop: `https://${safeLinksRegion}.safelinks.protection.outlook.com/`,
    proofpoint: 'https://urldefense.com/',
    mimecast: `https://protect-${rng.pick(['eu', 'us', 'za'])}.mimecast.com/`,
    barracuda: 'https://linkprotect.cudasvc.com/',
    ironport: null,
    'cloud-sandbox': null,
  };
  return {
    gateway,
    ips: rng.sample(pool, rng.int(1, 4)),
    uaStyle: gateway === 'barracuda' && rng.chance(0.4)
      ? 'self-named'
      : rng.weighted<ScannerUaStyle>([[0.45, 'outdated-chrome'], [0.2, 'modern-chrome'], [0.12, 'self-named'], [0.05, 'ie11'], [0.12, 'linux-chrome'], [0.06, 'bare']]),
    rotatesUa: rng.chance(0.15),
    pattern: rng.weighted<Scanner['pattern']>([[0.55, 'all'], [0.25, 'subset'], [0.2, 'slow']]),
    headFirst: rng.chance(0.25),
    headOnly: rng.chance(0.08),
    duplicateRate: rng.chance(0.3) ? rng.uniform(0.2, 0.6) : 0,
    pixelRate: rng.chance(0.5) ? rng.uniform(0.2, 0.8) : 0,
    campaignRate: GATEWAY_CAMPAIGN_RATE[gateway],
    coverage: rng.uniform(0.5, 1),
    preDeliveryRate: gateway === 'proofpoint' || gateway === 'mimecast' || gateway === 'cloud-sandbox' ? 0.15 : 0.02,
    rescanRate: rng.chance(0.3) ? rng.uniform(0.1, 0.4) : 0,
    refererHost: rng.chance(0.6) ? refererHost[gateway] : null,
  };
}

function makeCompany(rng: Rng, book: AddressBook, vendorIps: Map<Gateway, string[]>, used: Set<string>): Company {
  let domain: string;
  do domain = `${rng.pick(WORDS)}-${rng.pick(SUFFIXES)}${rng.chance(0.3) ? rng.int(2, 99) : ''}.example`;
  while (used.has(domain));
  used.add(domain);
  const gateway = rng.weighted(GATEWAY_SHARES);
  return {
    domain,
    gateway,
    scanner: gateway === 'none' ? null : gatewayScanner(rng, book, gateway, vendorIps),
    officeIps: Array.from({ length: rng.weighted([[0.6, 1], [0.3, 2], [0.1, 4]]) }, () => book.draw(rng, 'office')),
    // Some isolation runs on an email-security vendor's own network: a person's click from a gateway range.
    isolation: rng.chance(0.08) ? rng.weighted<NetworkName>([[0.7, 'isolation'], [0.3, 'proofpoint']]) : null,
    imagesBlocked: rng.chance(0.35),
  };
}

function deviceFor(rng: Rng, client: ReadingClient): Person['device'] {
  switch (client) {
    case 'apple-mpp':
    case 'apple-mail':
      return rng.chance(0.7) ? 'iphone' : 'mac';
    case 'gmail-app':
      return rng.chance(0.55) ? 'android' : 'iphone';
    case 'android-mail':
      return 'android';
    default:
      return rng.weighted([[0.75, 'windows'], [0.25, 'mac']]);
  }
}

function makePerson(rng: Rng, book: AddressBook, provider: Provider, domain: string, company: Company | null, client: ReadingClient, local: string): Person {
  const device = deviceFor(rng, client);
  return {
    email: `${local}@${domain}`,
    provider,
    company,
    client,
    device,
    desktopUa: desktopBrowserUa(rng),
    mobileUa: mobileBrowserUa(rng, device === 'android' ? 'android' : 'ios'),
    homeIp: book.draw(rng, 'residential'),
    privateRelay: (client === 'apple-mpp' || client === 'apple-mail') && rng.chance(0.3),
    language: acceptLanguage(rng),
    readRate: Math.min(0.95, rng.logNormal(0.25, 0.7)),
    clickRate: Math.min(0.6, rng.logNormal(0.08, 0.9)),
    remote: rng.chance(0.3),
  };
}

/** Largest company as a share of the audience, so that one company cannot dominate a small audience. */
const MAX_COMPANY_SHARE = 0.04;

/** A company size: most are small, a few have dozens of recipients behind one NAT. */
function companySize(rng: Rng, audienceSize: number): number {
  return Math.max(1, Math.round(rng.logUniform(1, Math.max(2, Math.min(80, audienceSize * MAX_COMPANY_SHARE)))));
}

export const SENDER_DOMAIN = 'northwind-sender.example';

export function buildWorld(rng: Rng, book: AddressBook, audienceSize: number): World {
  const vendorIps = new Map<Gateway, string[]>();
  const usedDomains = new Set<string>();
  const usedLocals = new Set<string>();
  const localPart = () => {
    for (let n = 0; ; n++) {
      const local = `${rng.pick(NAMES)}.${rng.pick(SURNAMES)}${n > 0 || rng.chance(0.5) ? rng.int(1, 999) : ''}`;
      if (!usedLocals.has(local)) return usedLocals.add(local), local;
    }
  };
  const persons: Person[] = [];
  let company: Company | null = null;
  let seatsLeft = 0;
  for (let i = 0; i < audienceSize; i++) {
    if (rng.chance(CORPORATE_SHARE)) {
      if (!company || seatsLeft === 0) {
        company = makeCompany(rng, book, vendorIps, usedDomains);
        seatsLeft = companySize(rng, audienceSize);
      }
      seatsLeft--;
      persons.push(makePerson(rng, book, 'corporate', company.domain, company, rng.weighted(CLIENTS_BY_PROVIDER.corporate), localPart()));
    } else {
      const [, provider, domains] = rng.weighted(PROVIDER_SHARES.map((entry) => [entry[0], entry] as const));
      persons.push(makePerson(rng, book, provider, rng.pick(domains), null, rng.weighted(CLIENTS_BY_PROVIDER[provider]), localPart()));
    }
  }

  const sender: Company = { ...makeCompany(rng, book, vendorIps, usedDomains), domain: SENDER_DOMAIN, officeIps: [book.draw(rng, 'sender'), book.draw(rng, 'sender')], isolation: null, imagesBlocked: false };
  const staff = ['marketing', 'seeds', 'sales.ann', 'sales.omar', 'ceo'].map((local) => ({
    ...makePerson(rng, book, 'sender', SENDER_DOMAIN, sender, rng.weighted([[0.7, 'outlook-desktop'], [0.3, 'outlook-new']]), local),
    remote: false,
  }));

  const consumer = (gateway: Exclude<Gateway, 'none'>, perMessage: number): Scanner => ({
    ...gatewayScanner(rng, book, gateway, vendorIps),
    campaignRate: 1,
    coverage: perMessage,
    refererHost: null,
  });
  return {
    persons,
    staff,
    consumerScanners: {
      // Providers scan a small share of consumer mail themselves (or through the user's security app).
      gmail: { ...consumer('cloud-sandbox', 0.004), ips: Array.from({ length: 6 }, () => book.draw(rng, 'google')), uaStyle: 'modern-chrome', pattern: 'subset' },
      outlook: consumer('eop', 0.01),
      isp: consumer('cloud-sandbox', 0.01),
      yahoo: consumer('cloud-sandbox', 0.005),
    },
  };
}

/** Someone a message gets forwarded to: a new colleague at the same company, or another person altogether. */
export function colleagueOf(rng: Rng, book: AddressBook, person: Person, world: World): Person {
  if (person.company && person.provider === 'corporate' && rng.chance(0.5)) {
    return makePerson(rng, book, 'corporate', person.company.domain, person.company, rng.weighted(CLIENTS_BY_PROVIDER.corporate), 'colleague');
  }
  return rng.pick(world.persons);
}
