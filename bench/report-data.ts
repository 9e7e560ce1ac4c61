/**
 * The data of `npm run bench:reports`: a campaign of N messages with about five events each, and two
 * campaigns of N/10 messages to every tenth of the same contacts, so that a contacts list with three
 * campaign status columns has something in each. Everything comes from one seed (the same seed gives
 * the same rows), and is written by one of two paths:
 *
 *   bulkLoad    contacts, messages and events by multi-row INSERTs (the events' rows made by the
 *               server's own `eventToRow`), then the report counters and message facts built by
 *               `recount(db, { fix: true })`: the bulk path, minutes for a million messages.
 *   (replay)    the same campaigns, contacts, messages and events through the stores, as the server
 *               writes them (test/report-bulk.test.ts), which keep the counters in each write.
 *
 * Both create the campaigns and executions through the catalog (`createCampaigns`), so the link
 * occurrences are those the instrumentation plans. The mixture, per message of the main campaign
 * (the side campaigns have the same, over fewer links): relay hand-over and acceptance, then mostly
 * a delivery report; hard bounces (from the relay or a DSN) and soft ones after a deferral, with
 * reasons of core/outcomes/reasons.ts; a few blocked; complaints 0.05%, unsubscribes; opens by
 * people, Apple's prefetch (machine) and bots; clicks on 12 link occurrences (three of them to the
 * same URL) by people, and link scanners that probe (HEAD) and fetch every link within a second.
 * Hits spread over 30 days of hours, most in the first two.
 */
import { CompiledQuery, sql, type Kysely, type Transaction } from 'kysely';
import { eventToRow } from '../src/adapters/storage/event-store.js';
import type { Storage } from '../src/adapters/storage/index.js';
import { recount, type RecountResult } from '../src/adapters/storage/recount.js';
import type { Database } from '../src/adapters/storage/schema.js';
import type { NewEvent } from '../src/core/events.js';
import { planInstrumentation, toStoredPlan, type PlannedLink } from '../src/core/instrument/index.js';
import { providerOfAddress } from '../src/core/mailbox-provider.js';
import type { Verdict } from '../src/core/nhi/verdict.js';
import { mulberry32 } from '../src/core/seeded-random.js';

/** An event of a message before the message has an id. */
export type PlannedEvent = Omit<NewEvent, 'messageId' | 'campaignId'>;

export interface PlannedMessage {
  /** Index into the contact addresses. */
  contact: number;
  createdAt: number;
  events: PlannedEvent[];
}

export interface ReportDataSpec {
  /** Messages of the main campaign; each side campaign has a tenth of them. */
  messages: number;
  seed: number;
}

export const DEFAULT_SEED = 20261204;

/** Each side campaign goes to every SIDE_EVERY-th contact (so to N/SIDE_EVERY of them). */
export const SIDE_EVERY = 10;

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
/** The main campaign's send starts here (UTC) and hands its messages over during SEND_SPREAD_MS. */
const MAIN_SENT_AT = Date.UTC(2026, 10, 2, 8);
const SEND_SPREAD_MS = 2 * HOUR_MS;
/** The side campaigns go out a week and two weeks later. */
const SIDE_OFFSET_MS = 7 * DAY_MS;
/** Hits stop 30 days after the hand-over: the report's time series cover 720 hours. */
const HIT_WINDOW_MS = 30 * DAY_MS;
/** A person's first open comes this long after delivery on average (exponential: most within two days). */
const OPEN_DELAY_MEAN_MS = 18 * HOUR_MS;

/**
 * The mixture, as shares of messages (or of delivered messages where said). Tuned so that the main
 * campaign has about 5 events per message, with rates a real newsletter has.
 */
const MIX = {
  blocked: 0.005,
  hardBounce: 0.012,
  softBounce: 0.02,
  /** Deferred by the recipient's server, then delivered. */
  deferredThenDelivered: 0.01,
  /** Of delivered: opened by a person (1-5 opens). */
  humanOpen: 0.5,
  /** Of delivered to Apple: prefetched by Mail Privacy Protection (a machine open). */
  applePrefetch: 0.9,
  /** Of delivered: opened by a bot (a previewer naming itself). */
  botOpen: 0.05,
  /** Of human openers: clicked (1-3 clicks); some of them with images off, so no open hit. */
  humanClick: 0.35,
  clickWithoutOpen: 0.1,
  /** Of delivered to corporate domains: every link probed and fetched by a scanner. */
  scanner: 0.2,
  /** Of delivered: unsubscribed, complained. */
  unsubscribe: 0.003,
  complaint: 0.0005,
} as const;

const HARD_REASONS = ['userunknown', 'userunknown', 'userunknown', 'hostunknown', 'notaccept', 'hasmoved'] as const;
const SOFT_REASONS = ['mailboxfull', 'mailboxfull', 'expired', 'systemerror', 'spamdetected', 'blocked', 'toomanyconn'] as const;
const DEFER_REASONS = ['toomanyconn', 'systemfull', 'networkerror'] as const;

/** Domains and their shares of contacts; the corporate ones are where link scanners sit. */
const DOMAINS: readonly (readonly [string, number])[] = [
  ['gmail.com', 0.33],
  ['outlook.com', 0.08],
  ['hotmail.com', 0.07],
  ['hotmail.fr', 0.02],
  ['yahoo.com', 0.1],
  ['yahoo.co.uk', 0.02],
  ['icloud.com', 0.08],
  ['me.com', 0.02],
  ['acme-corp.example', 0.08],
  ['globex.example', 0.07],
  ['initech.example', 0.06],
  ['umbrella-health.example', 0.04],
  ['stark-industries.example', 0.03],
];

const MAIN_HTML = [
  '<html><body>',
  '<a href="https://shop.example/"><img src="https://cdn.example/logo.png" alt="Shop"></a>',
  '<h1><a href="https://shop.example/sale">Shop the sale</a></h1>',
  '<a href="https://shop.example/sale"><img src="https://cdn.example/hero.jpg" alt="Up to 50% off"></a>',
  ...[1, 2, 3, 4, 5, 6].map((p) => `<p><a href="https://shop.example/p/${p}">Product ${p}</a></p>`),
  '<div data-condition="vip"><a href="https://shop.example/sale">Early access for members</a></div>',
  '<p><a href="https://social.example/shop">Follow us</a> <a href="https://shop.example/preferences">Preferences</a></p>',
  '</body></html>',
].join('\n');
/** How often each of the main campaign's 12 occurrences is clicked, relative to the others. */
const MAIN_CLICK_WEIGHTS = [8, 20, 15, 6, 5, 4, 3, 3, 2, 10, 1, 2];

const SIDE_HTML = (n: number) =>
  `<html><body><h1><a href="https://shop.example/news/${n}">News ${n}</a></h1>` +
  `<p><a href="https://shop.example/p/${n}">Product</a> <a href="https://shop.example/news/${n}">Read more</a></p>` +
  `<p><a href="https://shop.example/preferences">Preferences</a></p></body></html>`;
const SIDE_CLICK_WEIGHTS = [10, 4, 6, 1];

export interface CampaignPlan {
  name: string;
  html: string;
  sentAt: number;
  clickWeights: readonly number[];
  messages: number;
  /** The contact of the campaign's i-th message. */
  contactOf: (i: number) => number;
}

export function campaignPlans(spec: ReportDataSpec): CampaignPlan[] {
  const side = Math.max(1, Math.floor(spec.messages / SIDE_EVERY));
  return [
    { name: 'November sale', html: MAIN_HTML, sentAt: MAIN_SENT_AT, clickWeights: MAIN_CLICK_WEIGHTS, messages: spec.messages, contactOf: (i) => i },
    ...[1, 2].map((n) => ({
      name: `Newsletter ${n}`,
      html: SIDE_HTML(n),
      sentAt: MAIN_SENT_AT + n * SIDE_OFFSET_MS,
      clickWeights: SIDE_CLICK_WEIGHTS,
      messages: side,
      contactOf: (i: number) => i * SIDE_EVERY,
    })),
  ];
}

/** The contacts' addresses, in the order they are written (contact i gets id i + 1 in a fresh database). */
export function contactAddresses(spec: ReportDataSpec): string[] {
  const random = mulberry32(spec.seed);
  const addresses: string[] = [];
  for (let i = 0; i < spec.messages; i++) addresses.push(`reader${i}@${pick(random, DOMAINS)}`);
  return addresses;
}

function pick(random: () => number, weighted: readonly (readonly [string, number])[]): string {
  let r = random() * weighted.reduce((sum, [, w]) => sum + w, 0);
  for (const [value, weight] of weighted) if ((r -= weight) < 0) return value;
  return weighted[weighted.length - 1]![0];
}

function pickIndex(random: () => number, weights: readonly number[]): number {
  let r = random() * weights.reduce((sum, w) => sum + w, 0);
  for (let i = 0; i < weights.length; i++) if ((r -= weights[i]!) < 0) return i;
  return weights.length - 1;
}

function oneOf<T>(random: () => number, values: readonly T[]): T {
  return values[Math.floor(random() * values.length)]!;
}

const PERSON_AGENTS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36 Edg/124.0',
];

/** A hit's event: what the tracking routes record, with the classifier's verdict. */
function hit(kind: 'open' | 'click', at: number, who: { verdict: Verdict; reasons: string[]; ip: string; userAgent: string }, linkOrdinal: number | null, method = 'GET'): PlannedEvent {
  return {
    type: kind === 'open' ? 'opened' : 'clicked',
    at,
    source: kind === 'open' ? 'pixel' : 'redirect',
    hit: { method, ip: who.ip, userAgent: who.userAgent, headers: who.verdict === 'human' ? { 'accept-language': 'en-US,en;q=0.9' } : {}, linkOrdinal },
    judgement: { verdict: who.verdict, reasons: who.reasons, at },
  };
}

/** The messages of one campaign, each with its events, in the order they are written. */
export function* campaignMessages(spec: ReportDataSpec, campaign: number, links: readonly PlannedLink[], addresses: readonly string[]): Generator<PlannedMessage> {
  const plan = campaignPlans(spec)[campaign]!;
  const random = mulberry32(spec.seed * 31 + campaign + 1);
  const ordinals = links.map((l) => l.ordinal);
  for (let i = 0; i < plan.messages; i++) {
    const contact = plan.contactOf(i);
    const createdAt = plan.sentAt + Math.floor((i * SEND_SPREAD_MS) / plan.messages);
    yield { contact, createdAt, events: messageEvents(random, createdAt, addresses[contact]!, contact, ordinals, plan.clickWeights) };
  }
}

function messageEvents(random: () => number, at: number, address: string, contact: number, ordinals: readonly number[], clickWeights: readonly number[]): PlannedEvent[] {
  const r = random();
  if (r < MIX.blocked) return [{ type: 'blocked', at, source: 'api', reason: 'suppressed' }];
  const events: PlannedEvent[] = [{ type: 'sending', at, source: 'smtp' }];
  const sent = at + 1_000 + Math.floor(random() * 2_000);
  let bounce = r - MIX.blocked;
  if (bounce < MIX.hardBounce / 2) {
    // Refused by the recipient's server during the relay's own SMTP session: never accepted.
    events.push({ type: 'bounced', at: sent, source: 'smtp', subtype: 'hard', reason: oneOf(random, HARD_REASONS) });
    return events;
  }
  events.push({ type: 'sent', at: sent, source: 'smtp' });
  if ((bounce -= MIX.hardBounce / 2) < MIX.hardBounce / 2) {
    events.push({ type: 'bounced', at: sent + 60_000 + Math.floor(random() * 600_000), source: 'dsn', subtype: 'hard', reason: oneOf(random, HARD_REASONS) });
    return events;
  }
  bounce -= MIX.hardBounce / 2;
  const deferredAt = sent + 30_000 + Math.floor(random() * 300_000);
  if (bounce < MIX.softBounce) {
    events.push({ type: 'deferred', at: deferredAt, source: 'webhook', reason: oneOf(random, DEFER_REASONS) });
    events.push({ type: 'bounced', at: deferredAt + 4 * HOUR_MS + Math.floor(random() * DAY_MS), source: 'dsn', subtype: 'soft', reason: oneOf(random, SOFT_REASONS) });
    return events;
  }
  let delivered = sent + 2_000 + Math.floor(random() * 20_000);
  if (bounce - MIX.softBounce < MIX.deferredThenDelivered) {
    events.push({ type: 'deferred', at: deferredAt, source: 'webhook', reason: oneOf(random, DEFER_REASONS) });
    delivered = deferredAt + 15 * 60_000 + Math.floor(random() * HOUR_MS);
  }
  events.push({ type: 'delivered', at: delivered, source: 'webhook' });
  engagementEvents(random, events, delivered, sent, address, contact, ordinals, clickWeights);
  return events;
}

function engagementEvents(random: () => number, events: PlannedEvent[], delivered: number, sent: number, address: string, contact: number, ordinals: readonly number[], clickWeights: readonly number[]): void {
  const provider = providerOfAddress(address);
  const end = sent + HIT_WINDOW_MS - 1;
  const later = (from: number, mean: number) => Math.min(end, from + Math.floor(-Math.log(1 - random()) * mean));
  const person = { verdict: 'human' as const, reasons: [], ip: `198.18.${(contact >> 8) & 0xff}.${contact & 0xff}`, userAgent: oneOf(random, PERSON_AGENTS) };
  if (provider === 'apple' && random() < MIX.applePrefetch) {
    const apple = { verdict: 'machine' as const, reasons: ['net:apple-mpp'], ip: `17.58.${contact & 0xff}.${(contact >> 8) & 0xff}`, userAgent: 'Mozilla/5.0' };
    events.push(hit('open', delivered + 5_000 + Math.floor(random() * 60_000), apple, null));
  }
  if (random() < MIX.botOpen) {
    const previewer = { verdict: 'bot' as const, reasons: ['ua:self-named-bot'], ip: `52.1.${contact & 0xff}.9`, userAgent: 'LinkPreviewBot/2.1 (+https://bot.example)' };
    events.push(hit('open', delivered + 1_000 + Math.floor(random() * 30_000), previewer, null));
  }
  if (provider === 'other' && random() < MIX.scanner) {
    // A security gateway follows every link within a second of delivery: a HEAD probe, then the GETs.
    const scanner = { verdict: 'bot' as const, reasons: ['burst:multi-link'], ip: `52.2.${contact & 0xff}.7`, userAgent: 'Mozilla/5.0 (compatible; SafeLinks)' };
    const at = delivered + 500;
    events.push(hit('click', at, { ...scanner, reasons: ['method:head'] }, ordinals[0]!, 'HEAD'));
    ordinals.forEach((ordinal, k) => events.push(hit('click', at + 10 + k * 40, scanner, ordinal)));
  }
  let lastOpen: number | null = null;
  if (random() < MIX.humanOpen) {
    const images = random() >= MIX.clickWithoutOpen;
    let at = later(delivered, OPEN_DELAY_MEAN_MS);
    for (let n = 1; n < 5 && random() < 0.5; n++) {
      if (images) events.push(hit('open', at, person, null));
      at = later(at, 6 * HOUR_MS);
    }
    if (images) events.push(hit('open', at, person, null));
    lastOpen = at;
    if (random() < MIX.humanClick) {
      let clickAt = at + 5_000 + Math.floor(random() * 120_000);
      const clicks = 1 + Math.floor(random() * 3);
      for (let c = 0; c < clicks && clickAt <= end; c++) {
        events.push(hit('click', clickAt, person, ordinals[pickIndex(random, clickWeights)]!));
        clickAt += 10_000 + Math.floor(random() * 300_000);
      }
    }
  }
  if (random() < MIX.unsubscribe) events.push({ type: 'unsubscribed', at: Math.min(end, (lastOpen ?? delivered) + 30_000), source: 'unsubscribe', subtype: 'one-click' });
  if (random() < MIX.complaint) events.push({ type: 'complained', at: later(delivered, DAY_MS), source: 'arf', subtype: 'abuse' });
}

export interface CreatedCampaign {
  campaignId: number;
  executionId: number;
  links: PlannedLink[];
}

/** The campaigns and their executions, through the catalog as the API creates them. */
export async function createCampaigns(storage: Storage, spec: ReportDataSpec): Promise<CreatedCampaign[]> {
  const created: CreatedCampaign[] = [];
  for (const plan of campaignPlans(spec)) {
    const campaign = await storage.catalog.createCampaign({ name: plan.name, kind: 'one-off', trackOpens: true, trackClicks: true, trackingBaseUrl: null, honeypot: false }, plan.sentAt);
    const planned = planInstrumentation({ html: plan.html, text: null }, { trackClicks: true, trackOpens: true });
    const execution = await storage.catalog.createExecution(campaign.id, { subject: plan.name, html: plan.html, text: null }, planned.links, toStoredPlan(planned), plan.sentAt);
    created.push({ campaignId: campaign.id, executionId: execution.id, links: planned.links });
  }
  return created;
}

/** The recipients column of a message to one address, as the catalog writes it. */
export function recipientsOf(address: string): string {
  return JSON.stringify({ to: [address], cc: [] });
}

/** Rows per multi-row INSERT: events have 21 columns, so 10,500 parameters, under both dialects' limits. */
const ROWS_PER_INSERT = 500;
/** Messages per transaction of the bulk load. */
const MESSAGES_PER_TRANSACTION = 20_000;

type Db = Kysely<Database> | Transaction<Database>;

/**
 * A multi-row INSERT of rows with the same columns, the statement text the same for every full chunk
 * (SQLite's statement cache prepares it once). Returns the ids when asked (both dialects return
 * them in VALUES order).
 */
async function insertRows(db: Db, postgres: boolean, table: string, rows: readonly Record<string, unknown>[], returningId = false): Promise<number[]> {
  const ids: number[] = [];
  if (rows.length === 0) return ids;
  const columns = Object.keys(rows[0]!);
  for (let offset = 0; offset < rows.length; offset += ROWS_PER_INSERT) {
    const part = rows.slice(offset, offset + ROWS_PER_INSERT);
    const parameters: unknown[] = [];
    const tuples = part.map((row) => `(${columns.map((c) => (parameters.push(row[c]), postgres ? `$${parameters.length}` : '?')).join(', ')})`);
    const text = `insert into ${table} (${columns.join(', ')}) values ${tuples.join(', ')}${returningId ? ' returning id' : ''}`;
    const result = await db.executeQuery<{ id: number }>(CompiledQuery.raw(text, parameters));
    for (const row of result.rows) ids.push(Number(row.id));
  }
  return ids;
}

export interface LoadedData {
  campaigns: CreatedCampaign[];
  contacts: number;
  messages: number;
  events: number;
  /** Seconds: writing the rows, then the recount that builds the counters and facts. */
  insertSeconds: number;
  recountSeconds: number;
  recount: RecountResult;
}

/** Writes the data by multi-row INSERTs, then builds the counters and facts by the full recount. */
export async function bulkLoad(storage: Storage, spec: ReportDataSpec, progress: (line: string) => void = () => {}): Promise<LoadedData> {
  const { db } = storage.database;
  const postgres = storage.database.dialect === 'postgres';
  const started = performance.now();
  const campaigns = await createCampaigns(storage, spec);
  const addresses = contactAddresses(spec);
  const contactIds: number[] = [];
  for (let from = 0; from < addresses.length; from += MESSAGES_PER_TRANSACTION) {
    const rows = addresses.slice(from, from + MESSAGES_PER_TRANSACTION).map((email) => ({ email, attributes: '{}', consent: 1, created_at: MAIN_SENT_AT - DAY_MS }));
    contactIds.push(...(await db.transaction().execute((trx) => insertRows(trx, postgres, 'contacts', rows, true))));
  }
  let messages = 0;
  let events = 0;
  for (const [index, campaign] of campaigns.entries()) {
    const batch: PlannedMessage[] = [];
    const flush = async () => {
      await db.transaction().execute(async (trx) => {
        const ids = await insertRows(
          trx,
          postgres,
          'messages',
          batch.map((m) => ({ execution_id: campaign.executionId, campaign_id: campaign.campaignId, contact_id: contactIds[m.contact]!, recipients: recipientsOf(addresses[m.contact]!), recipient_count: 1, created_at: m.createdAt, consent: 1 })),
          true,
        );
        const rows = batch.flatMap((m, k) => m.events.map((e) => eventToRow({ ...e, messageId: ids[k]!, campaignId: campaign.campaignId }, e.at)));
        await insertRows(trx, postgres, 'events', rows as unknown as Record<string, unknown>[]);
        messages += batch.length;
        events += rows.length;
      });
      batch.length = 0;
      progress(`  ${messages.toLocaleString('en-US')} messages, ${events.toLocaleString('en-US')} events written`);
    };
    for (const message of campaignMessages(spec, index, campaign.links, addresses)) {
      batch.push(message);
      if (batch.length === MESSAGES_PER_TRANSACTION) await flush();
    }
    if (batch.length > 0) await flush();
  }
  // A server's autovacuum analyzes tables as they grow; a bulk load outruns it, and PostgreSQL would
  // plan the recount and the reports on empty-table statistics. SQLite's server never runs ANALYZE.
  if (postgres) await sql`analyze`.execute(db);
  const inserted = performance.now();
  const result = await recount(db, { fix: true });
  if (postgres) await sql`analyze`.execute(db);
  return {
    campaigns,
    contacts: addresses.length,
    messages,
    events,
    insertSeconds: (inserted - started) / 1000,
    recountSeconds: (performance.now() - inserted) / 1000,
    recount: result,
  };
}
