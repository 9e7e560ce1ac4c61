/**
 * What bench:ingest feeds the ingestion: a database of messages (bulk-inserted, not through the
 * catalog: the setup is not what is measured), SendGrid event batches about them, signed as SendGrid
 * signs them, and bounce mail about them (Postfix's real DSNs rewritten per message).
 */
import { randomBytes, sign, type KeyObject } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { loadKeyring } from '../../src/app/keys.js';
import { systemClock } from '../../src/app/ports.js';
import { openStorage, type Storage } from '../../src/adapters/storage/index.js';
import { SecretKey, SECRET_KEY_BYTES } from '../../src/core/secret-key.js';
import type { Keyring } from '../../src/core/tokens.js';
import { bounceAddress, bounceToken, messageIdHeader } from '../../src/core/verp.js';

export const BOUNCE_DOMAIN = 'bounce.bench.example';
/** Messages are spread over this many campaigns (one execution each). */
const CAMPAIGNS = 4;
/** Rows per INSERT of the setup: 9 message columns, under SQLite's 32,766 parameters. */
const SETUP_CHUNK = 1000;

export interface BenchDatabase {
  storage: Storage;
  keyring: Keyring;
  /** Message ids and their one recipient, in creation order. */
  messages: { id: number; email: string }[];
}

/**
 * A fresh database as the server opens it (openStorage: WAL, synchronous FULL, migrations), a
 * keyring loaded as compose.ts loads it, and `count` messages to one reader each (seedMessages).
 * `sameKeysAs`: read tokens with another database's keyring, so that the same batches match here too.
 */
export async function createBenchDatabase(file: string, count: number, sameKeysAs?: Keyring): Promise<BenchDatabase> {
  const storage = await openStorage({ dialect: 'sqlite', file, synchronous: 'FULL' }, systemClock);
  const loaded = await loadKeyring(storage.keys, { current: new SecretKey(randomBytes(SECRET_KEY_BYTES), 'bench'), previous: null }, systemClock);
  const keyring = sameKeysAs ?? loaded;
  return { storage, keyring, messages: await seedMessages(storage, keyring, count) };
}

/** `count` messages to one reader each, bulk-inserted (ids from 1: the database must hold none yet). */
export async function seedMessages(storage: Storage, keyring: Keyring, count: number): Promise<BenchDatabase['messages']> {
  const now = Date.now();
  const messages = Array.from({ length: count }, (_, i) => ({ id: i + 1, email: `reader${i}@inbox${i % 7}.example` }));
  const executions: { id: number; campaign_id: number }[] = [];
  for (let c = 0; c < CAMPAIGNS; c++) {
    const campaign = await storage.catalog.createCampaign({ name: `bench ${c}`, kind: 'one-off', trackOpens: true, trackClicks: true, trackingBaseUrl: null, honeypot: false }, now);
    executions.push(await storage.catalog.createExecution(campaign.id, { subject: `Issue ${c}`, html: '<p>hello</p>', text: null }, [], { version: 1, htmlEdits: [], textEdits: [] }, now).then((e) => ({ id: e.id, campaign_id: campaign.id })));
  }
  await storage.database.db.transaction().execute(async (trx) => {
    for (let i = 0; i < count; i += SETUP_CHUNK) {
      const part = messages.slice(i, i + SETUP_CHUNK);
      await trx
        .insertInto('contacts')
        .values(part.map((m) => ({ id: m.id, email: m.email, attributes: '{}', consent: 1, created_at: now })))
        .execute();
      await trx
        .insertInto('messages')
        .values(
          part.map((m) => ({
            id: m.id,
            execution_id: executions[m.id % CAMPAIGNS]!.id,
            campaign_id: executions[m.id % CAMPAIGNS]!.campaign_id,
            contact_id: m.id,
            recipients: JSON.stringify({ to: [m.email], cc: [] }),
            recipient_count: 1,
            created_at: now,
            consent: 1,
            message_id_header: messageIdHeader(keyring, m.id, BOUNCE_DOMAIN),
          })),
        )
        .execute();
    }
  });
  return messages;
}

/** A small deterministic generator (mulberry32), so that every run ingests the same traffic. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Shares of the traffic, per message: every message is processed; some are deferred first; 3% bounce
 * (two thirds hard, "Invalid Address", the rest blocked for reputation: soft), the others are
 * delivered; of those, some are opened (some twice), clicked, reported as spam or unsubscribed.
 */
const MIX = { deferred: 0.04, hardBounce: 0.02, blocked: 0.01, open: 0.45, secondOpen: 0.3, click: 0.08, spam: 0.001, unsubscribe: 0.003 };

const CHROME = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36';

export type SendGridEvent = Record<string, unknown>;

/**
 * SendGrid events about the messages, in the order SendGrid would send them: every processed, then
 * the deferrals, the final outcomes, the opens and clicks. Each carries our token as the custom
 * argument mailsight_token, and sg_message_id / smtp-id as SendGrid gives them.
 */
export function sendGridEvents(db: Pick<BenchDatabase, 'keyring' | 'messages'>, seed = 1): SendGridEvent[] {
  const next = random(seed);
  const start = Math.floor(Date.now() / 1000) - 2 * 3600;
  const phases: SendGridEvent[][] = [[], [], [], []];
  let n = 0;
  for (const m of db.messages) {
    const token = bounceToken(db.keyring, m.id);
    const base = {
      email: m.email,
      sg_message_id: `${randomBytes(16).toString('base64url')}.filterdrecv-5bd4c8f6f-x7kzq-1-6571A3B2-${m.id}.0`,
      'smtp-id': messageIdHeader(db.keyring, m.id, BOUNCE_DOMAIN),
      category: ['newsletter'],
      mailsight_token: token,
    };
    const event = (name: string, at: number, fields: Record<string, unknown> = {}) => ({ ...base, event: name, timestamp: at, sg_event_id: `bench-${n++}-${randomBytes(9).toString('base64url')}`, ...fields });
    const t = start + (m.id % 600);
    phases[0]!.push(event('processed', t, { send_at: 0 }));
    if (next() < MIX.deferred) phases[1]!.push(event('deferred', t + 60, { response: '452 4.2.2 Mailbox full', attempt: '1', ip: '167.89.0.10', tls: 1 }));
    const fate = next();
    if (fate < MIX.hardBounce) {
      phases[2]!.push(event('bounce', t + 120, { type: 'bounce', status: '5.1.1', reason: "550 5.1.1 The email account that you tried to reach does not exist", bounce_classification: 'Invalid Address', ip: '167.89.0.10', tls: 1 }));
      continue;
    }
    if (fate < MIX.hardBounce + MIX.blocked) {
      phases[2]!.push(event('bounce', t + 120, { type: 'blocked', status: '5.7.1', reason: '554 5.7.1 Service unavailable; client host blocked using a blocklist', bounce_classification: 'Reputation', ip: '167.89.0.10', tls: 1 }));
      continue;
    }
    phases[2]!.push(event('delivered', t + 120, { response: '250 2.0.0 OK  1764806400 a1si123456qkb.123 - gsmtp', ip: '167.89.0.10', tls: 1 }));
    if (next() < MIX.open) {
      phases[3]!.push(event('open', t + 900, { useragent: CHROME, ip: `198.18.${(m.id >> 8) & 0xff}.${m.id & 0xff}`, sg_machine_open: false }));
      if (next() < MIX.secondOpen) phases[3]!.push(event('open', t + 1800, { useragent: 'Mozilla/5.0', ip: '17.58.0.1', sg_machine_open: true }));
    }
    if (next() < MIX.click) phases[3]!.push(event('click', t + 960, { url: 'https://shop.example/spring?utm_source=news', url_offset: { index: 0, type: 'html' }, useragent: CHROME, ip: `198.18.${(m.id >> 8) & 0xff}.${m.id & 0xff}` }));
    if (next() < MIX.spam) phases[3]!.push(event('spamreport', t + 2400));
    if (next() < MIX.unsubscribe) phases[3]!.push(event('unsubscribe', t + 2500));
  }
  return phases.flat();
}

export interface SignedBatch {
  body: Buffer;
  headers: Record<string, string>;
  events: number;
}

/** The events in batches of `size`, each signed as SendGrid signs: ECDSA P-256, SHA-256 over the timestamp then the body. */
export function signedBatches(events: readonly SendGridEvent[], size: number, key: KeyObject): SignedBatch[] {
  const batches: SignedBatch[] = [];
  const timestamp = String(Math.floor(Date.now() / 1000));
  for (let i = 0; i < events.length; i += size) {
    const part = events.slice(i, i + size);
    const body = Buffer.from(JSON.stringify(part));
    const signature = sign('sha256', Buffer.concat([Buffer.from(timestamp), body]), key).toString('base64');
    batches.push({
      body,
      events: part.length,
      headers: {
        'content-type': 'application/json',
        'x-twilio-email-event-webhook-signature': signature,
        'x-twilio-email-event-webhook-timestamp': timestamp,
      },
    });
  }
  return batches;
}

export interface BounceMail {
  raw: Buffer;
  /** The envelope recipient the mail came to: the message's VERP address, or none for the corpus. */
  rcptTo: string[];
  /** Where it came from, for the table: 'postfix' or 'corpus'. */
  kind: 'postfix' | 'corpus';
}

/** Recipients named in the Postfix fixtures; each DSN is rewritten to be about one of our messages' reader. */
const POSTFIX_RECIPIENTS = ['nobody@accept.test', 'full@accept.test', 'ok@accept.test'];

/**
 * Postfix's genuine DSNs (test/fixtures/postfix) rewritten for `count` messages, taken in turn: the
 * VERP address and the ENVID carry the message's token, and the recipient is the message's reader.
 * The two-recipient DSN keeps its second address (spam@accept.test), which is not the reader: that
 * outcome is kept for review with the mail, as the ingestion does with any address it cannot place.
 */
export function postfixBounces(db: BenchDatabase, count: number, fixtures: string): BounceMail[] {
  const names = readdirSync(fixtures).filter((name) => name.endsWith('.eml')).sort();
  const texts = names.map((name) => readFileSync(path.join(fixtures, name), 'latin1'));
  const mails: BounceMail[] = [];
  for (let i = 0; i < count; i++) {
    const m = db.messages[db.messages.length - 1 - (i % db.messages.length)]!;
    const address = bounceAddress(db.keyring, m.id, BOUNCE_DOMAIN);
    let text = texts[i % texts.length]!.replaceAll('bounce+abc123@bounce.test', address).replaceAll('env-42', bounceToken(db.keyring, m.id));
    for (const recipient of POSTFIX_RECIPIENTS) text = text.replaceAll(recipient, m.email);
    mails.push({ raw: Buffer.from(text, 'latin1'), rcptTo: [address], kind: 'postfix' });
  }
  return mails;
}

/** The labelled corpus' mails (../shared/corpus/sisimai-dev/eml), about messages that are not ours; none when absent. */
export function corpusBounces(directory: string): BounceMail[] {
  let names: string[];
  try {
    names = readdirSync(directory).filter((name) => name.endsWith('.eml')).sort();
  } catch {
    return [];
  }
  return names.map((name) => ({ raw: readFileSync(path.join(directory, name)), rcptTo: [], kind: 'corpus' }));
}
