/**
 * `npm run bench:write`: what writing a hit durably costs, layer by layer, on SQLite, in one run:
 *
 *   floor   what bench:track's floor server writes: each hit's time and token appended to an
 *           unindexed table, one transaction per batch. The least a durable recorder writes.
 *   raw     better-sqlite3 alone: one prepared INSERT of the same event rows, one transaction per
 *           batch. What SQLite itself costs for the event row, with its indexes.
 *   store   KyselyEventStore.appendHits: the statements the server runs (Kysely, fixed-size chunks).
 *   writer  ClassifyingHitWriter.write: network lists, classification, revisions, then appendHits.
 *           What the writer thread does per batch.
 *   classify  the same writer over a stand-in store that only numbers the hits, no database: what
 *           classifying costs by itself (writer minus classify is what storing costs).
 *
 * Each layer gets a fresh database file with the same messages and the same hits, in batches of
 * `--batch` (what 50 connections waiting on group commit give). The traffic is bench:track's: per
 * message, opens from its reader's address, then both links clicked back to back. Printed per layer:
 * CPU time per hit (this process, all threads) and wall time per batch (commit and disk sync included).
 *
 * Options: --hits N (default 50000), --batch N (50), --messages N (1000), --synchronous FULL|NORMAL,
 * --layers floor,raw,store,classify,writer (which to run, e.g. one alone under --cpu-prof).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { ClassifyingHitWriter, type HitRecord, type HitWrite } from '../src/app/hit-writer.js';
import { Keyring, signToken } from '../src/core/tokens.js';
import { LiveNetworkIndex, shippedNetworksDir } from '../src/adapters/network-lists/network-lists.js';
import { eventToRow } from '../src/adapters/storage/event-store.js';
import { openFloorTable } from './support/floor-table.js';
import { openStorage, type Storage } from '../src/adapters/storage/index.js';
import type { NewEvent } from '../src/core/events.js';
import type { EventStore } from '../src/app/ports.js';
import { fail, positiveInteger } from './support/options.js';

const { values: flags } = parseArgs({
  options: {
    hits: { type: 'string', default: '50000' },
    batch: { type: 'string', default: '50' },
    messages: { type: 'string', default: '1000' },
    synchronous: { type: 'string', default: 'FULL' },
    layers: { type: 'string', default: 'floor,raw,store,classify,writer' },
  },
});
const HITS = positiveInteger('--hits', flags.hits);
const BATCH = positiveInteger('--batch', flags.batch);
const MESSAGES = positiveInteger('--messages', flags.messages);
const SYNCHRONOUS = flags.synchronous === 'NORMAL' ? 'NORMAL' : flags.synchronous === 'FULL' ? 'FULL' : fail(`--synchronous must be FULL or NORMAL, got '${flags.synchronous}'`);
const CHROME = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36';
/** Time between two hits of the stream: 7,000 hits a second, as the real server takes them here. */
const HIT_SPACING_MS = 1000 / 7000;
const LAYERS = ['floor', 'raw', 'store', 'classify', 'writer'] as const;

interface Setup {
  dir: string;
  storage: Storage;
  messageIds: number[];
  campaignId: number;
}

async function setUp(): Promise<Setup> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mailsight-bench-write-'));
  const storage = await openStorage({ dialect: 'sqlite', file: path.join(dir, 'bench.sqlite'), synchronous: SYNCHRONOUS }, { now: () => Date.now() });
  const campaign = await storage.catalog.createCampaign({ name: 'bench', kind: 'one-off', trackOpens: true, trackClicks: true, trackingBaseUrl: null, honeypot: false }, 0);
  const execution = await storage.catalog.createExecution(campaign.id, { subject: 's', html: '<a href="https://a.example/1">1</a> <a href="https://a.example/2">2</a>', text: null }, [], { version: 1, htmlEdits: [], textEdits: [] }, 0);
  const messageIds: number[] = [];
  for (let i = 0; i < MESSAGES; i++) {
    const contact = await storage.catalog.upsertContact(`reader${i}@inbox.example`, {}, true, 0);
    const message = await storage.catalog.createMessage({ executionId: execution.id, campaignId: campaign.id, contactId: contact.id, recipients: { to: [contact.email], cc: [] }, recipientCount: 1, createdAt: 0, consent: true }, []);
    messageIds.push(message.id);
  }
  return { dir, storage, messageIds, campaignId: campaign.id };
}

/** The n-th hit of the stream: a third opens, then click pairs (link 1 then link 2 of one message). */
function hitAt(setup: Setup, n: number): HitWrite {
  const at = Date.UTC(2026, 10, 1) + Math.round(n * HIT_SPACING_MS);
  const phase = n % 3;
  const index = Math.floor(n / 3) % MESSAGES;
  const ip = `198.18.${index >> 8}.${index & 0xff}`;
  const open = phase === 0;
  return {
    kind: 'hit',
    hit: {
      kind: open ? 'open' : 'click',
      at,
      method: 'GET',
      ip,
      userAgent: CHROME,
      headers: { 'accept-language': 'en-US,en;q=0.9' },
      linkOrdinal: open ? null : phase,
      messageId: setup.messageIds[index]!,
      campaignId: setup.campaignId,
      sentAt: null,
      deliveredAt: null,
      linkCount: 2,
      consent: true,
      selfRecipient: false,
    },
  };
}

function asEvent(write: HitWrite): NewEvent {
  if (write.kind !== 'hit') throw new Error('hits only');
  const h = write.hit;
  return {
    messageId: h.messageId,
    campaignId: h.campaignId,
    type: h.kind === 'open' ? 'opened' : 'clicked',
    at: h.at,
    source: h.kind === 'open' ? 'pixel' : 'redirect',
    hit: { method: h.method, ip: h.ip, userAgent: h.userAgent, headers: h.headers, linkOrdinal: h.linkOrdinal },
    anonymous: false,
    judgement: { verdict: 'human', reasons: [], at: h.at },
  };
}

type Layer = (typeof LAYERS)[number];

async function measure(layer: Layer): Promise<{ cpuUsPerHit: number; wallMsPerBatch: number }> {
  const setup = await setUp();
  const batches: HitWrite[][] = [];
  for (let n = 0; n < HITS; n += BATCH) batches.push(Array.from({ length: Math.min(BATCH, HITS - n) }, (_, i) => hitAt(setup, n + i)));
  let write: (batch: HitWrite[]) => Promise<unknown> | unknown;
  let close = async () => {};
  if (layer === 'floor') {
    const table = openFloorTable(path.join(setup.dir, 'floor.sqlite'), SYNCHRONOUS);
    const keyring = new Keyring([{ id: 1, secret: randomBytes(32) }]);
    const token = (h: HitRecord) => signToken(keyring, { kind: h.kind === 'open' ? 'open' : 'click', messageId: h.messageId, ordinal: h.linkOrdinal });
    // The tokens are made before the clock starts: the floor server only copies the one in the URL.
    const tokens = new Map(batches.map((batch) => [batch, batch.map((w) => (w.kind === 'hit' ? token(w.hit) : ''))]));
    write = (batch) => table.append(tokens.get(batch)!.map((t) => ({ at: Date.now(), token: t })));
    close = async () => table.close();
  } else if (layer === 'raw') {
    const sqlite = new Database(path.join(setup.dir, 'bench.sqlite'));
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma(`synchronous = ${SYNCHRONOUS}`);
    const columns = Object.keys(eventToRow(asEvent(batches[0]![0]!), 0));
    const insert = sqlite.prepare(`insert into events (${columns.join(', ')}) values (${columns.map(() => '?').join(', ')})`);
    const transaction = sqlite.transaction((rows: unknown[][]) => {
      for (const row of rows) insert.run(row);
    });
    write = (batch) => transaction(batch.map((w) => Object.values(eventToRow(asEvent(w), Date.now()))));
    close = async () => void sqlite.close();
  } else if (layer === 'store') {
    write = (batch) => setup.storage.events.appendHits(batch.map(asEvent), [], Date.now());
  } else {
    const networks = new LiveNetworkIndex({ dirs: [shippedNetworksDir()] });
    await networks.refresh();
    const events = layer === 'writer' ? setup.storage.events : numberingStore();
    const writer = new ClassifyingHitWriter(events, () => networks.current, { ipStorage: 'full', writerId: 'bench', shared: false, selfAddresses: [] });
    write = (batch) => writer.write(batch, batch[batch.length - 1]!.kind === 'hit' ? (batch[batch.length - 1] as { hit: { at: number } }).hit.at : 0);
  }
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  for (const batch of batches) await write(batch);
  const wallMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  await close();
  await setup.storage.close();
  rmSync(setup.dir, { recursive: true, force: true });
  return { cpuUsPerHit: (cpu.user + cpu.system) / HITS, wallMsPerBatch: wallMs / batches.length };
}

/** An event store that writes nothing: it numbers the hits it is given, as the database would. */
function numberingStore(): EventStore {
  let nextId = 1;
  const unused = () => {
    throw new Error('the classify layer only appends hits');
  };
  return {
    appendHits: async (events) => events.map(() => nextId++),
    append: unused,
    appendWithSuppressionRules: unused,
    recentHits: unused,
    otherWritersHits: unused,
    listRevisions: unused,
    listForMessage: unused,
  };
}

console.log(`write benchmark: ${HITS} hits in batches of ${BATCH} over ${MESSAGES} messages, SQLite synchronous=${SYNCHRONOUS}, node ${process.version}`);
const chosen = flags.layers.split(',').map((l) => l.trim());
for (const l of chosen) if (!(LAYERS as readonly string[]).includes(l)) fail(`--layers takes ${LAYERS.join(', ')}, got '${l}'`);
const results = new Map<Layer, Awaited<ReturnType<typeof measure>>>();
for (const layer of LAYERS.filter((l) => chosen.includes(l))) {
  const result = await measure(layer);
  results.set(layer, result);
  console.log(`${layer.padEnd(8)}  ${result.cpuUsPerHit.toFixed(1).padStart(6)} us CPU per hit   ${result.wallMsPerBatch.toFixed(2).padStart(6)} ms per batch of ${BATCH}`);
}
const raw = results.get('raw');
const writer = results.get('writer');
if (raw && writer) console.log(`writer/raw CPU per hit: ${(writer.cpuUsPerHit / raw.cpuUsPerHit).toFixed(2)}`);
