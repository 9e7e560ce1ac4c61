/**
 * The floor for the tracking benchmark: what recording each hit durably before answering costs here,
 * whatever the recorder does beyond. The bare server's routes and answers, plus the least a durable
 * recorder must do: hand each hit (its time and token) to a writer thread, which appends it to a
 * SQLite table with no index but its key, one transaction per batch, synced (WAL, synchronous=FULL),
 * and answer once the batch is committed. Group commit on both sides as in the real server.
 * No token check, no lookup, no classification.
 * Run as `node dist/bench/floor-server.js` with PORT, HOST and FLOOR_DB (a SQLite file) set.
 */
import Fastify from 'fastify';
import { Worker } from 'node:worker_threads';
import { GroupCommitQueue } from '../src/app/group-commit.js';
import { TRACKING_PATHS } from '../src/app/tracking-urls.js';
import type { FloorBatch, FloorHit } from './floor-writer.js';
import { sendPixel, sendRedirect } from './support/bare-answers.js';
const file = process.env['FLOOR_DB'];
if (!file) throw new Error('FLOOR_DB (the SQLite file the floor server appends to) is not set');
const delayMs = Number(process.env['GROUP_COMMIT_DELAY_MS'] ?? 0);

const worker = new Worker(new URL('./floor-writer.js', import.meta.url), { workerData: { file, delayMs } });
const waiting = new Map<number, () => void>();
let nextSeq = 1;
worker.on('message', (seqs: number[]) => {
  for (const seq of seqs) {
    waiting.get(seq)?.();
    waiting.delete(seq);
  }
});
worker.on('error', (error) => {
  console.error(`the floor writer thread failed: ${error.message}`);
  process.exit(1);
});
await new Promise<void>((resolve) => worker.once('online', () => resolve()));

// As in the real server: at most two batches in the thread's hands (the one it commits and the next);
// what arrives meanwhile gathers here, and the thread merges what it has when it commits.
const queue = new GroupCommitQueue<FloorHit>(
  (hits) =>
    new Promise<void>((resolve) => {
      const seq = nextSeq++;
      waiting.set(seq, resolve);
      worker.postMessage({ seq, hits } satisfies FloorBatch);
    }),
  { maxDelayMs: 0, maxBatch: 500, maxPending: 20_000, maxInFlight: 2 },
);

const app = Fastify({ logger: false });
app.get('/health', async () => ({ ok: true }));
app.get<{ Params: { token: string } }>(`${TRACKING_PATHS.open}:token`, async (request, reply) => {
  await queue.enqueue({ at: Date.now(), token: request.params.token });
  return sendPixel(reply);
});
app.get<{ Params: { token: string } }>(`${TRACKING_PATHS.click}:token`, async (request, reply) => {
  await queue.enqueue({ at: Date.now(), token: request.params.token });
  return sendRedirect(reply);
});

await app.listen({ port: Number(process.env['PORT'] ?? 8082), host: process.env['HOST'] ?? '127.0.0.1' });
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () =>
    void app
      .close()
      .then(() => queue.close())
      .then(() => worker.terminate())
      .then(() => process.exit(0)),
  );
}
