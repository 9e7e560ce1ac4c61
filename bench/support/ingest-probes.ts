/**
 * What bench:ingest measures apart from the passes: the change proposed for signedReferences
 * (rememberingReferences), and two costs timed alone on the batches of a run: resolving the tokens,
 * and building and compiling the INSERTs that KyselyIngestionStore.record runs.
 */
import type { Kysely } from 'kysely';
import { eventToRow } from '../../src/adapters/storage/event-store.js';
import type { Database } from '../../src/adapters/storage/schema.js';
import { BoundedCache } from '../../src/app/bounded-cache.js';
import { signedReferences, type IngestBatch, type ReferenceResolver } from '../../src/app/ingestion.js';
import type { Keyring } from '../../src/core/tokens.js';
import type { SendGridEvent } from './ingest-fixtures.js';

/** Rows per INSERT in KyselyIngestionStore.record (its CHUNK), for compileCost. */
const STORE_CHUNK = 500;

/** CPU microseconds this process has used (all threads). */
export function cpuMicros(): number {
  const { user, system } = process.cpuUsage();
  return user + system;
}

/** Verified bounce tokens kept, as the tracking service keeps its verified tokens (app/tracking.ts): enough for every message of a large send. */
const VERIFIED_TOKEN_CACHE = 100_000;

/**
 * The proposed fix measured beside the code as it is: signedReferences with the messages of verified
 * tokens remembered for as long as the keyring is the same. A token comes back in every event of its
 * message (processed, delivered, opens, clicks) and in every retry, and verifying it (base32, HMAC,
 * the AES id mask) is the largest cost of the webhook path's matching.
 */
export function rememberingReferences(keyring: () => Keyring): ReferenceResolver {
  const inner = signedReferences(keyring);
  const known = new BoundedCache<string, { keyring: Keyring; messageId: number }>(VERIFIED_TOKEN_CACHE);
  // Only what verified is kept, as in the tracking service: forged tokens cannot push out good ones.
  const remembered = (text: string, read: (text: string) => number | null) => {
    const now = keyring();
    const hit = known.get(text);
    if (hit && hit.keyring === now) return hit.messageId;
    const messageId = read(text);
    if (messageId !== null) known.set(text, { keyring: now, messageId });
    return messageId;
  };
  return {
    token: (token) => remembered(`t:${token}`, () => inner.token(token)),
    envelopeId: (id) => remembered(`e:${id}`, () => inner.envelopeId(id)),
    messageIdHeader: (header) => inner.messageIdHeader(header),
  };
}

/**
 * CPU microseconds per event of building and compiling, without running them, the INSERTs that
 * KyselyIngestionStore.record builds for these batches (its events and message_refs statements, the
 * same query builder calls in chunks of 500): what Kysely costs on top of the rows themselves.
 */
export function compileCost(db: Kysely<Database>, batches: readonly IngestBatch[], events: number): { events: number; refs: number } {
  const chunks = <T>(items: readonly T[]) => Array.from({ length: Math.ceil(items.length / STORE_CHUNK) }, (_, i) => items.slice(i * STORE_CHUNK, (i + 1) * STORE_CHUNK));
  const now = Date.now();
  let start = cpuMicros();
  for (const batch of batches) {
    for (const part of chunks(batch.events)) {
      db.insertInto('events')
        .values(part.map((e) => eventToRow(e, now)))
        .onConflict((oc) => oc.column('dedupe_key').where('dedupe_key', 'is not', null).doNothing())
        .returning(['id', 'dedupe_key'])
        .compile();
    }
  }
  const eventsCost = (cpuMicros() - start) / events;
  start = cpuMicros();
  for (const batch of batches) {
    for (const part of chunks(batch.refs)) {
      db.insertInto('message_refs')
        .values(part.map((r) => ({ provider: r.provider, ref: r.ref, message_id: r.messageId })))
        .onConflict((oc) => oc.columns(['provider', 'ref']).doNothing())
        .compile();
    }
  }
  return { events: eventsCost, refs: (cpuMicros() - start) / events };
}

/** CPU microseconds per event of resolving every event's token, in order, with `references`, `passes` times over. */
export function tokenCost(events: readonly SendGridEvent[], references: ReferenceResolver, passes: number): number[] {
  const costs: number[] = [];
  let sink = 0;
  for (let pass = 0; pass < passes; pass++) {
    const start = cpuMicros();
    for (const e of events) sink += references.token(e['mailsight_token'] as string) ?? 0;
    costs.push((cpuMicros() - start) / events.length);
  }
  if (sink === -1) console.log('');
  return costs;
}
