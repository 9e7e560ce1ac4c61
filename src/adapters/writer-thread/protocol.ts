/** Messages between the event loop that answers requests and the hit writer thread. Plain data only. */
import type { GroupCommitOptions } from '../../app/group-commit.js';
import type { HitWrite, HitWriterOptions } from '../../app/hit-writer.js';
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

export type ToWriter = { type: 'write'; seq: number; batch: HitWrite[]; now: number } | { type: 'close' };

export type FromWriter =
  | { type: 'ready' }
  | { type: 'done'; seq: number }
  | { type: 'failed'; seq: number; message: string }
  | { type: 'log'; level: 'warn' | 'error'; message: string }
  | { type: 'closed' };
