/**
 * The checkpointer thread (started by checkpointer.ts): its own connection to the SQLite file, which
 * copies the WAL's committed pages back into the database file every few hundred milliseconds. A
 * PASSIVE checkpoint never waits for the writers and never holds them up.
 */
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { errorMessage } from '../../core/errors.js';
import type { CheckpointerSetup, FromCheckpointer } from './checkpointer.js';

const port = parentPort;
if (!port) throw new Error('checkpointer-thread.js runs as a worker thread, started by the server');
const setup = workerData as CheckpointerSetup;
const send = (message: FromCheckpointer) => port.postMessage(message);

const db = new Database(setup.file, { fileMustExist: true });
// The checkpoint syncs the WAL before copying and the database file after, so that no write that
// was acknowledged depends on a WAL frame that the next writer may overwrite.
db.pragma(`synchronous = ${setup.synchronous}`);
db.pragma('busy_timeout = 5000');

const timer = setInterval(() => {
  try {
    const [result] = db.pragma('wal_checkpoint(PASSIVE)') as { busy: number; log: number; checkpointed: number }[];
    if (result && result.log > 0) send({ type: 'checkpointed', walPages: result.log, copiedPages: result.checkpointed });
  } catch (error) {
    send({ type: 'failed', message: errorMessage(error) });
  }
}, setup.intervalMs);

// The one message it gets: stop.
port.once('message', () => {
  clearInterval(timer);
  db.close();
  port.close();
});
send({ type: 'ready' });
