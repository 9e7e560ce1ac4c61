/**
 * The floor server's writer thread (see floor-server.ts): appends hits to an unindexed SQLite table,
 * one synced transaction per commit, merging the batches that arrive while it commits. A failed
 * commit ends the process: this is a benchmark baseline, not a recorder.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { GroupCommitQueue } from '../src/app/group-commit.js';
import { openFloorTable } from './support/floor-table.js';

export interface FloorHit {
  at: number;
  token: string;
}

export interface FloorBatch {
  seq: number;
  hits: FloorHit[];
}

const port = parentPort;
if (!port) throw new Error('floor-writer.js runs as a worker thread of floor-server.js');
const { file, delayMs } = workerData as { file: string; delayMs: number };

const table = openFloorTable(file, 'FULL');

// One answer per commit, naming every batch it held.
const queue = new GroupCommitQueue<FloorBatch>(
  async (batches) => {
    table.append(batches.flatMap((b) => b.hits));
    port.postMessage(batches.map((b) => b.seq));
  },
  { maxDelayMs: delayMs, maxBatch: 32, maxPending: Number.POSITIVE_INFINITY },
);
port.on('message', (batch: FloorBatch) => void queue.enqueue(batch));
