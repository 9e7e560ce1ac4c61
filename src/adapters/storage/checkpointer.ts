/**
 * Checkpoints off the hit path. In WAL mode, SQLite copies the log back into the database file (a
 * checkpoint) in whichever connection commits past wal_autocheckpoint pages: under load that is the
 * hit writer, and every hit waiting on that commit waits for the copy and its two syncs too (about
 * 5 ms of bench:track's p99). The server runs checkpoints on a thread of their own instead, every
 * few hundred milliseconds; connections keep a high autocheckpoint bound only as a fallback
 * (database.ts), for when no checkpointer runs or it falls behind.
 */
import { Worker } from 'node:worker_threads';
import { compiledWorkerScript, missingWorkerScript } from '../worker-script.js';

/** How often the checkpointer copies what was committed: small copies, never a long one. */
export const CHECKPOINT_INTERVAL_MS = 250;

export interface CheckpointerSetup {
  file: string;
  synchronous: 'FULL' | 'NORMAL';
  intervalMs: number;
}

export type FromCheckpointer = { type: 'ready' } | { type: 'checkpointed'; walPages: number; copiedPages: number } | { type: 'failed'; message: string };

export interface CheckpointerOptions {
  file: string;
  synchronous?: 'FULL' | 'NORMAL';
  intervalMs?: number;
  onLog?: (level: 'warn' | 'error', message: string) => void;
  /** After each checkpoint while the WAL holds pages: its size and how much of it is now in the database file. */
  onCheckpoint?: (result: { walPages: number; copiedPages: number }) => void;
}

export interface Checkpointer {
  stop(): Promise<void>;
}

/** Starts the checkpointer thread on the SQLite file; resolves once it has its connection. */
export async function startCheckpointer(options: CheckpointerOptions): Promise<Checkpointer> {
  const script = compiledWorkerScript(import.meta.url, 'checkpointer-thread.js');
  const missing = missingWorkerScript(script, 'the checkpointer thread');
  if (missing) throw new Error(missing);
  const setup: CheckpointerSetup = { file: options.file, synchronous: options.synchronous ?? 'FULL', intervalMs: options.intervalMs ?? CHECKPOINT_INTERVAL_MS };
  const worker = new Worker(script, { workerData: setup });
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  let stopping = false;
  await new Promise<void>((resolve, reject) => {
    worker.on('message', (message: FromCheckpointer) => {
      if (message.type === 'ready') resolve();
      else if (message.type === 'checkpointed') options.onCheckpoint?.(message);
      else options.onLog?.('warn', `checkpoint failed: ${message.message}`);
    });
    worker.once('error', (error) => {
      reject(error);
      options.onLog?.('error', `the checkpointer thread failed: ${error.message}; the writers checkpoint by themselves from now on`);
    });
    void exited.then(() => {
      reject(new Error('the checkpointer thread exited before it was ready'));
      if (!stopping) options.onLog?.('error', 'the checkpointer thread stopped; the writers checkpoint by themselves from now on');
    });
  });
  return {
    async stop() {
      stopping = true;
      worker.postMessage('stop');
      await exited;
    },
  };
}
