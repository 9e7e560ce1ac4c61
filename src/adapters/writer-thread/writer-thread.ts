/**
 * The hit writer thread: its own database connection and network lists, and the classifying writer
 * over them. It does for the request loop what the writer would do inline (classify, then write one
 * transaction per batch), so that neither the CPU of classifying and writing nor the wait for the
 * disk sync holds up the answering of requests. Started by thread-hit-writer.ts.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { GroupCommitQueue, QueueClosedError } from '../../app/group-commit.js';
import { errorMessage } from '../../core/errors.js';
import { ClassifyingHitWriter } from '../../app/hit-writer.js';
import { startNetworkIndex } from '../network-lists/network-lists.js';
import { openDatabase } from '../storage/database.js';
import { KyselyEventStore } from '../storage/event-store.js';
import { unpackBatch, type FromWriter, type ToWriter, type WriterThreadSetup } from './protocol.js';

/** Batches merged into one commit at most (the request side hands over two at a time: a bound, not a target). */
const MESSAGES_PER_COMMIT = 32;

const port = parentPort;
if (!port) throw new Error('writer-thread.js runs as a worker thread, started by the server');
const setup = workerData as WriterThreadSetup;
const send = (message: FromWriter) => port.postMessage(message);

const database = openDatabase(setup.database);
const networks = await startNetworkIndex({
  dirs: setup.networkDirs,
  selfNetworks: setup.selfNetworks,
  intervalMs: setup.networkListsReloadMs,
  onError: (message) => send({ type: 'log', level: 'warn', message }),
});
// The store's own clock is not used on this path: every batch carries its recording time.
const events = new KyselyEventStore(database.db, () => Date.now());
const writer = new ClassifyingHitWriter(events, () => networks.current, setup.writer);
if (setup.warmSince !== null) await writer.warm(setup.warmSince);

// Group commit on this side: batches that arrive while a commit runs are merged into the next one,
// and one answer names them all.
type WriteMessage = Extract<ToWriter, { type: 'write' }>;
const queue = new GroupCommitQueue<WriteMessage>(
  async (messages) => {
    const seqs = messages.map((m) => m.seq);
    try {
      await writer.write(
        messages.flatMap((m) => unpackBatch(m.batch)),
        messages.reduce((latest, m) => Math.max(latest, m.now), 0),
      );
    } catch (error) {
      send({ type: 'failed', seqs, message: errorMessage(error) });
      throw error;
    }
    send({ type: 'done', seqs });
  },
  // The request side bounds what is in flight; messages merged per commit are bounded here.
  { maxDelayMs: setup.groupCommit.maxDelayMs, maxBatch: MESSAGES_PER_COMMIT, maxPending: Number.POSITIVE_INFINITY },
);

port.on('message', (message: ToWriter) => {
  if (message.type === 'write') {
    const { seq } = message;
    // A commit's outcome is answered by the queue's writer above; only a refusal to queue is answered here.
    queue.enqueue(message).catch((error: unknown) => {
      if (error instanceof QueueClosedError) send({ type: 'failed', seqs: [seq], message: errorMessage(error) });
    });
  } else {
    void queue.close().finally(async () => {
      networks.stop();
      await database.db.destroy();
      send({ type: 'closed' });
      port.close();
    });
  }
});
send({ type: 'ready' });
