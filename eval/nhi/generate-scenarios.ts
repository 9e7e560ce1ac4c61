/**
 * The labelled traffic model: campaigns sent to a synthetic audience, each message's delivery and
 * every hit on it with its ground truth. Pure and deterministic for a seed and an Apple egress list.
 */
import type { Cidr } from './cidr.js';
import { recipientActivity, staffActivity } from './human-behaviour.js';
import { AddressBook } from './networks.js';
import { buildWorld, colleagueOf, type Person, type Scanner, type World } from './populations.js';
import { Rng } from './prng.js';
import { campaignScan, scanDelay, scanHits, scanStart, type CampaignScan } from './scanners.js';
import { HIT_KINDS, VERDICTS, type Scenario, type ScenarioHit } from './scenario-schema.js';
import { DAY, HOUR, MINUTE, SECOND, type MessageContext } from './traffic.js';

export interface GenerateOptions {
  seed: number;
  messages: number;
  /** Apple's egress ranges: where MPP (and Safari on Private Relay) fetch from. */
  appleEgress: readonly Cidr[];
}

type CampaignKind = 'newsletter' | 'promo' | 'notice' | 'sales';

interface CampaignPlan {
  name: string;
  kind: CampaignKind;
  honeypot: boolean;
  links: string[];
  start: number;
  /** Messages per second handed to the relay. */
  rate: number;
  appeal: number;
  /** Whether the sending provider reports deliveries at all. */
  reportsDelivery: boolean;
  scans: Map<Scanner, CampaignScan>;
}

const KIND_SHARES: [number, CampaignKind][] = [[0.35, 'newsletter'], [0.3, 'promo'], [0.2, 'notice'], [0.15, 'sales']];
const THEMES = ['spring', 'summer', 'autumn', 'winter', 'launch', 'digest', 'webinar', 'renewal', 'survey', 'outreach', 'sale', 'update'];
/** Messages whose delivery report comes late, after the first machine hits. */
const LATE_REPORT_RATE = 0.05;
const GREYLIST_RATE = 0.02;
/** Messages per audience member over the scenario: people get several campaigns, so a campaign reaches many colleagues at once. */
const AUDIENCE_MESSAGES_PER_PERSON = 6;

function campaignPlan(rng: Rng, index: number, spanDays: number): CampaignPlan {
  const kind = rng.weighted(KIND_SHARES);
  const name = `${rng.pick(THEMES)}-${index + 1}`;
  const linkCount = kind === 'notice' ? 1 : kind === 'sales' ? rng.int(1, 3) : kind === 'promo' ? rng.int(2, 5) : rng.int(2, 7);
  const host = rng.pick(['shop.northwind.example', 'www.northwind.example', 'blog.northwind.example', 'events.northwind.example']);
  const links = Array.from({ length: linkCount }, (_, i) => `https://${host}/${name}/${['offer', 'item', 'read', 'signup', 'story'][i % 5]}-${i + 1}?utm_campaign=${encodeURIComponent(name)}&utm_medium=email`);
  return {
    name,
    kind,
    honeypot: rng.chance(0.5),
    links,
    start: Math.floor(rng.uniform(0, spanDays)) * DAY + rng.uniform(7 * HOUR, 17 * HOUR),
    rate: rng.logUniform(10, 100),
    appeal: Math.min(2.5, rng.logNormal(1, 0.3)),
    reportsDelivery: rng.chance(0.85),
    scans: new Map(),
  };
}

function campaignSize(rng: Rng, kind: CampaignKind): number {
  switch (kind) {
    case 'newsletter':
      return Math.round(rng.logUniform(40, 400));
    case 'promo':
      return Math.round(rng.logUniform(30, 300));
    case 'notice':
      return Math.round(rng.logUniform(20, 150));
    case 'sales':
      return rng.int(5, 25);
  }
}

interface Envelope {
  people: Person[];
  /** Staff copies: a seed sent to the sender's own mailbox, or a colleague on CC. */
  staff: { person: Person; role: 'seed' | 'cc' }[];
}

function envelopes(rng: Rng, world: World, plan: CampaignPlan, count: number): Envelope[] {
  const result: Envelope[] = [];
  if (plan.kind !== 'sales' && rng.chance(0.8)) result.push({ people: [], staff: [{ person: rng.pick(world.staff.slice(0, 2)), role: 'seed' }] });
  if (plan.kind === 'sales') {
    const corporate = world.persons.filter((p) => p.company !== null);
    while (result.length < count) {
      const primary = rng.pick(corporate);
      const sameCompany = corporate.filter((p) => p.company === primary.company && p !== primary);
      const extras = rng.sample(sameCompany.length > 0 ? sameCompany : world.persons, rng.int(1, 3));
      const staff = rng.chance(0.3) ? [{ person: rng.pick(world.staff.slice(2, 4)), role: 'cc' as const }] : [];
      result.push({ people: [primary, ...extras.filter((p) => p !== primary)].slice(0, 5 - staff.length), staff });
    }
    return result.slice(0, count);
  }
  let people = rng.sample(world.persons, count - result.length);
  // Most relays batch by destination domain: a company's copies leave within a second or two.
  if (rng.chance(0.7)) people = people.map((p, i) => [p, i] as const).sort(([a, i], [b, j]) => (a.email.split('@')[1]! < b.email.split('@')[1]! ? -1 : a.email.split('@')[1]! > b.email.split('@')[1]! ? 1 : i - j)).map(([p]) => p);
  return [...result, ...people.map((p) => ({ people: [p], staff: [] }))];
}

function scannerOf(world: World, person: Person): Scanner | null {
  return person.company?.scanner ?? world.consumerScanners[person.provider] ?? null;
}

function messageScenario(rng: Rng, book: AddressBook, world: World, plan: CampaignPlan, envelope: Envelope, id: string, sentAt: number): Scenario {
  let arrivedAt = sentAt + (rng.chance(GREYLIST_RATE) ? rng.uniform(5 * MINUTE, 30 * MINUTE) : Math.max(200, rng.logNormal(1.5 * SECOND, 0.9)));
  const everyone = [...envelope.people, ...envelope.staff.map((s) => s.person)];
  const scanners = [...new Set(everyone.map((p) => scannerOf(world, p)).filter((s): s is Scanner => s !== null))];
  const starts: { scanner: Scanner; delay: number; preDelivery: boolean }[] = [];
  for (const scanner of scanners) {
    let scan = plan.scans.get(scanner);
    if (!scan) plan.scans.set(scanner, (scan = campaignScan(rng, scanner)));
    const start = scanStart(rng, scanner, scan);
    if (!start) continue;
    starts.push({ scanner, ...start });
    // A sandbox holds the message until its links are checked.
    if (start.preDelivery) arrivedAt = Math.max(arrivedAt, sentAt + start.delay + rng.uniform(5 * SECOND, 90 * SECOND));
  }
  const reported = plan.reportsDelivery && rng.chance(0.97);
  const deliveredAt = !reported ? null : rng.chance(LATE_REPORT_RATE) ? arrivedAt + rng.logUniform(10 * SECOND, 5 * MINUTE) : arrivedAt;
  const ctx: MessageContext = { rng, book, linkCount: plan.links.length, honeypot: plan.honeypot, sentAt, arrivedAt, appeal: plan.appeal };
  const scanForwarded = (forwardCtx: MessageContext, colleague: Person): ScenarioHit[] => {
    const scanner = scannerOf(world, colleague);
    return scanner ? scanHits(forwardCtx, scanner, forwardCtx.arrivedAt + scanDelay(rng)) : [];
  };
  const hits: ScenarioHit[] = [
    ...starts.flatMap((s) => scanHits(ctx, s.scanner, (s.preDelivery ? sentAt : arrivedAt) + s.delay)),
    ...envelope.people.flatMap((p) => recipientActivity(ctx, p, { colleague: () => colleagueOf(rng, book, p, world), scanForwarded })),
    ...envelope.staff.flatMap((s) => staffActivity(ctx, s.person, s.role)),
  ];
  // Stable: hits at the same millisecond keep the order they were produced in.
  hits.sort((a, b) => a.at - b.at);
  return {
    message: id,
    campaign: plan.name,
    recipient: everyone[0]!.email,
    recipients: everyone.length,
    links: plan.links,
    honeypot: plan.honeypot,
    sentAt: Math.round(sentAt),
    deliveredAt: deliveredAt === null ? null : Math.round(deliveredAt),
    hits,
  };
}

export function generateScenarios(options: GenerateOptions): Scenario[] {
  if (!Number.isInteger(options.messages) || options.messages < 1) throw new Error('messages must be a positive integer');
  const rng = new Rng(options.seed);
  const book = new AddressBook(options.appleEgress);
  const world = buildWorld(rng.fork(), book, Math.max(80, Math.round(options.messages / AUDIENCE_MESSAGES_PER_PERSON)));
  const spanDays = Math.min(21, Math.max(2, Math.round(options.messages / 150)));
  const scenarios: Scenario[] = [];
  for (let c = 0; scenarios.length < options.messages; c++) {
    const plan = campaignPlan(rng, c, spanDays);
    const count = Math.min(campaignSize(rng, plan.kind), world.persons.length, options.messages - scenarios.length);
    envelopes(rng, world, plan, count).forEach((envelope, i) => {
      const sentAt = plan.start + (i * SECOND) / plan.rate + rng.uniform(0, 200);
      scenarios.push(messageScenario(rng, book, world, plan, envelope, `m${scenarios.length + 1}`, sentAt));
    });
  }
  return scenarios;
}

/** One line: messages, hits by kind and truth, and the shares the model is tuned to. */
export function summarize(scenarios: readonly Scenario[]): string {
  const counts = new Map<string, number>();
  let total = 0;
  for (const hit of scenarios.flatMap((s) => s.hits)) {
    const key = `${hit.kind}:${hit.truth}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
    total++;
  }
  const of = (kind: string, truth: string) => counts.get(`${kind}:${truth}`) ?? 0;
  const byKind = HIT_KINDS.map((kind) => `${kind}s: ${VERDICTS.map((t) => `${t} ${of(kind, t)}`).join(', ')}`);
  const share = (part: number, whole: number) => (whole === 0 ? 'n/a' : `${((100 * part) / whole).toFixed(1)}%`);
  const clicks = VERDICTS.reduce((sum, t) => sum + of('click', t), 0);
  const opens = VERDICTS.reduce((sum, t) => sum + of('open', t), 0);
  return `nhi-gen: ${scenarios.length} messages, ${total} hits; ${byKind.join('; ')}; bot share of clicks ${share(of('click', 'bot'), clicks)}, machine share of opens ${share(of('open', 'machine'), opens)}`;
}
