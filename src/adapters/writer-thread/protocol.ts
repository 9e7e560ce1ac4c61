/** Messages between the event loop that answers requests and the hit writer thread. Plain data only. */
import type { GroupCommitOptions } from '../../app/group-commit.js';
import type { HitRecord, HitWrite, HitWriterOptions } from '../../app/hit-writer.js';
import { HIT_KINDS, type HitKind } from '../../core/nhi/verdict.js';
import type { DatabaseTarget } from '../storage/database.js';

/** What the thread needs to set itself up: its own database connection and network lists. */
export interface WriterThreadSetup {
  database: DatabaseTarget;
  /** Directories of network lists, in override order. */
  networkDirs: string[];
  /** SELF_NETWORKS: the sender's own networks, as a list beside the files. */
  selfNetworks: string[];
  networkListsReloadMs: number;
  writer: HitWriterOptions;
  /** How long the thread, when idle, lets a first batch wait for company before it commits. */
  groupCommit: Pick<GroupCommitOptions, 'maxDelayMs'>;
  /** Hits recorded since then are taken back into the classifier's memory before the thread is ready. */
  warmSince: number | null;
}

export type ToWriter = { type: 'write'; seq: number; batch: PackedBatch; now: number } | { type: 'close' };

/** Answers name every batch (`seq`) of one commit at once: one message per commit, not per batch. */
export type FromWriter =
  | { type: 'ready' }
  | { type: 'done'; seqs: number[] }
  | { type: 'failed'; seqs: number[]; message: string }
  | { type: 'log'; level: 'warn' | 'error'; message: string }
  | { type: 'closed' };

/**
 * A batch of HitWrites as one flat array of primitives: copying it to the thread costs a third of
 * copying the objects, which V8 copies property name by property name and rebuilds shape by shape.
 * Each item starts with its tag (a hit kind, or 'delivery'), then its fields in the order below;
 * a hit's headers are one nested array of names and values.
 */
export type PackedBatch = (string | number | boolean | null | string[])[];

const HIT_KIND_TAGS: ReadonlySet<string> = new Set<HitKind>(HIT_KINDS);

export function packBatch(batch: readonly HitWrite[]): PackedBatch {
  const packed: PackedBatch = [];
  for (const item of batch) {
    if (item.kind === 'delivery') {
      packed.push('delivery', item.messageId, item.sentAt, item.deliveredAt);
      continue;
    }
    const h = item.hit;
    const headers: string[] = [];
    for (const name in h.headers) headers.push(name, h.headers[name]!);
    packed.push(h.kind, h.at, h.method, h.ip, h.userAgent, headers, h.linkOrdinal, h.messageId, h.campaignId, h.sentAt, h.deliveredAt, h.linkCount, h.consent, h.selfRecipient);
  }
  return packed;
}

export function unpackBatch(packed: PackedBatch): HitWrite[] {
  const batch: HitWrite[] = [];
  let i = 0;
  while (i < packed.length) {
    const tag = packed[i++] as string;
    if (tag === 'delivery') {
      batch.push({ kind: 'delivery', messageId: packed[i] as number, sentAt: packed[i + 1] as number | null, deliveredAt: packed[i + 2] as number | null });
      i += 3;
      continue;
    }
    if (!HIT_KIND_TAGS.has(tag)) throw new Error(`a packed hit batch holds an unknown item '${String(tag)}' at ${i - 1}`);
    const names = packed[i + 4] as string[];
    const headers: Record<string, string> = {};
    for (let n = 0; n < names.length; n += 2) headers[names[n]!] = names[n + 1]!;
    const hit: HitRecord = {
      kind: tag as HitKind,
      at: packed[i] as number,
      method: packed[i + 1] as string,
      ip: packed[i + 2] as string | null,
      userAgent: packed[i + 3] as string | null,
      headers,
      linkOrdinal: packed[i + 5] as number | null,
      messageId: packed[i + 6] as number,
      campaignId: packed[i + 7] as number,
      sentAt: packed[i + 8] as number | null,
      deliveredAt: packed[i + 9] as number | null,
      linkCount: packed[i + 10] as number,
      consent: packed[i + 11] as boolean,
      selfRecipient: packed[i + 12] as boolean,
    };
    batch.push({ kind: 'hit', hit });
    i += 13;
  }
  return batch;
}
