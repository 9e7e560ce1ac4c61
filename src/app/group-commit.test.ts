import { describe, expect, it } from 'vitest';
import { GroupCommitQueue, QueueClosedError } from './group-commit.js';

function recordingWriter(delayMs = 0) {
  const batches: number[][] = [];
  let failNext = false;
  return {
    batches,
    failOnce: () => (failNext = true),
    write: async (batch: number[]) => {
      await new Promise((r) => setTimeout(r, delayMs));
      if (failNext) {
        failNext = false;
        throw new Error('disk full');
      }
      batches.push(batch);
    },
  };
}

describe('GroupCommitQueue', () => {
  it('writes items that arrive together in one batch and resolves each after its commit', async () => {
    const writer = recordingWriter();
    const queue = new GroupCommitQueue(writer.write, { maxDelayMs: 5, maxBatch: 100, maxPending: 1000 });
    const acked: number[] = [];
    await Promise.all([1, 2, 3].map((n) => queue.enqueue(n).then(() => acked.push(n))));
    expect(writer.batches).toEqual([[1, 2, 3]]);
    expect(acked.sort()).toEqual([1, 2, 3]);
  });

  it('with no delay, writes what arrived in the same turn of the event loop together', async () => {
    const writer = recordingWriter();
    const queue = new GroupCommitQueue(writer.write, { maxDelayMs: 0, maxBatch: 100, maxPending: 1000 });
    await Promise.all([queue.enqueue(1), queue.enqueue(2)]);
    await queue.enqueue(3);
    expect(writer.batches).toEqual([[1, 2], [3]]);
    await queue.close();
  });

  it('caps the batch size and keeps every item, in order', async () => {
    const writer = recordingWriter(1);
    const queue = new GroupCommitQueue(writer.write, { maxDelayMs: 1, maxBatch: 4, maxPending: 1000 });
    await Promise.all(Array.from({ length: 10 }, (_, i) => queue.enqueue(i)));
    expect(writer.batches.every((b) => b.length <= 4)).toBe(true);
    expect(writer.batches.flat()).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('rejects every item of a failed batch, and only those', async () => {
    const writer = recordingWriter(1);
    const queue = new GroupCommitQueue(writer.write, { maxDelayMs: 1, maxBatch: 2, maxPending: 1000 });
    writer.failOnce();
    const results = await Promise.allSettled([1, 2, 3, 4].map((n) => queue.enqueue(n)));
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected', 'fulfilled', 'fulfilled']);
    expect(writer.batches.flat()).toEqual([3, 4]);
  });

  it('applies backpressure: no more than maxPending items wait in memory', async () => {
    let maxSeen = 0;
    const queue: GroupCommitQueue<number> = new GroupCommitQueue(
      async () => {
        maxSeen = Math.max(maxSeen, queue.pending);
        await new Promise((r) => setTimeout(r, 2));
      },
      { maxDelayMs: 1, maxBatch: 3, maxPending: 5 },
    );
    await Promise.all(Array.from({ length: 50 }, (_, i) => queue.enqueue(i)));
    expect(maxSeen).toBeLessThanOrEqual(5);
  });

  it('flushes everything on close and refuses new items after', async () => {
    const writer = recordingWriter(2);
    const queue = new GroupCommitQueue(writer.write, { maxDelayMs: 1000, maxBatch: 100, maxPending: 1000 });
    const pending = [queue.enqueue(1), queue.enqueue(2)];
    await queue.close();
    await Promise.all(pending);
    expect(writer.batches.flat()).toEqual([1, 2]);
    await expect(queue.enqueue(3)).rejects.toBeInstanceOf(QueueClosedError);
  });

  it('hands batches over without waiting for earlier ones when several may be in flight, counting them against maxPending', async () => {
    const started: number[][] = [];
    const finish: (() => void)[] = [];
    let maxPending = 0;
    const queue: GroupCommitQueue<number> = new GroupCommitQueue(
      (batch) => {
        started.push(batch);
        maxPending = Math.max(maxPending, queue.pending);
        return new Promise<void>((resolve) => finish.push(resolve));
      },
      { maxDelayMs: 0, maxBatch: 100, maxPending: 4, maxInFlight: Infinity },
    );
    const acked: number[] = [];
    // The queue flushes on setImmediate, and immediates run in order: this one runs after its flush.
    const nextTurn = () => new Promise((r) => setImmediate(r));
    const enqueue = (n: number) => queue.enqueue(n).then(() => acked.push(n));
    // Each later item arrives in a turn of its own, once the one before it has left: timers a few ms
    // apart could fire in one turn on a loaded machine and merge two items into one batch.
    const all = [enqueue(1), enqueue(2)];
    for (const n of [3, 4, 5, 6]) {
      await nextTurn();
      all.push(enqueue(n));
    }
    await new Promise((r) => setTimeout(r, 20));
    // 1 and 2 left together, then 3 and 4 each on its own while the first batch was still being written;
    // 5 and 6 wait for room: four items are already in flight.
    expect(started).toEqual([[1, 2], [3], [4]]);
    expect(acked).toEqual([]);
    finish[1]!();
    await new Promise((r) => setTimeout(r, 10));
    expect(acked).toEqual([3]);
    expect(started.flat()).toContain(5);
    for (let i = 0; i < 10; i++) {
      finish.forEach((f) => f());
      await new Promise((r) => setTimeout(r, 5));
    }
    await Promise.all(all);
    expect(acked.sort()).toEqual([1, 2, 3, 4, 5, 6]);
    expect(maxPending).toBeLessThanOrEqual(4);
    await queue.close();
  });
});
