/**
 * A HitWriter that runs the classifying writer on a worker thread (writer-thread.ts), with its own
 * database connection. The request loop only hands over plain data and waits for the commit.
 *
 * If the thread dies, the batches it held fail (their requests get the error, nothing is acknowledged
 * that was not committed) and the next batch starts a new thread. The classifier's memory of recent
 * hits is lost with it, as after a restart.
 */
import { Worker } from 'node:worker_threads';
import { compiledWorkerScript, missingWorkerScript } from '../worker-script.js';
import type { HitWrite, HitWriter } from '../../app/hit-writer.js';
import { packBatch, type FromWriter, type ToWriter, type WriterThreadSetup } from './protocol.js';

export class WriterThreadError extends Error {
  override name = 'WriterThreadError';
}

export interface ThreadHitWriterOptions {
  setup: Omit<WriterThreadSetup, 'warmSince'>;
  /** Evaluated at each start of a thread: hits recorded since then are taken back into memory (null: none). */
  warmSince?: () => number | null;
  /** The worker script; writer-thread.js unless a test brings a stand-in speaking the same protocol. */
  script?: string;
  onLog?: (level: 'warn' | 'error', message: string) => void;
}

interface InFlight {
  resolve: () => void;
  reject: (error: Error) => void;
}

class WriterThread {
  readonly #worker: Worker;
  readonly #inFlight = new Map<number, InFlight>();
  #nextSeq = 1;
  #ready: Promise<void>;
  #closed: Promise<void> | null = null;
  #dead: Error | null = null;

  constructor(
    script: string,
    setup: WriterThreadSetup,
    private readonly onLog: ThreadHitWriterOptions['onLog'],
    private readonly onDeath: (thread: WriterThread) => void,
  ) {
    this.#worker = new Worker(script, { workerData: setup });
    let ready!: () => void;
    let failed!: (error: Error) => void;
    this.#ready = new Promise<void>((resolve, reject) => {
      ready = resolve;
      failed = reject;
    });
    // Whoever writes awaits `ready`; a thread that dies unused must not raise an unhandled rejection.
    this.#ready.catch(() => {});
    this.#worker.on('message', (message: FromWriter) => {
      switch (message.type) {
        case 'ready':
          return ready();
        case 'done':
          for (const seq of message.seqs) this.#settle(seq, null);
          return;
        case 'failed': {
          const error = new WriterThreadError(message.message);
          for (const seq of message.seqs) this.#settle(seq, error);
          return;
        }
        case 'log':
          return this.onLog?.(message.level, message.message);
        case 'closed':
          return;
      }
    });
    this.#worker.on('error', (error) => this.#die(new WriterThreadError(`the hit writer thread failed: ${error.message}`), failed));
    this.#worker.on('exit', (code) => this.#die(new WriterThreadError(`the hit writer thread exited (code ${code})`), failed));
  }

  get ready(): Promise<void> {
    return this.#ready;
  }

  get dead(): boolean {
    return this.#dead !== null;
  }

  write(batch: readonly HitWrite[], now: number): Promise<void> {
    if (this.#dead) return Promise.reject(this.#dead);
    const seq = this.#nextSeq++;
    return new Promise<void>((resolve, reject) => {
      this.#inFlight.set(seq, { resolve, reject });
      this.#post({ type: 'write', seq, batch: packBatch(batch), now });
    });
  }

  /** Lets the thread finish what it holds, close its connection and exit. */
  close(): Promise<void> {
    this.#closed ??= new Promise<void>((resolve) => {
      if (this.#dead) return resolve();
      this.#worker.once('exit', () => resolve());
      this.#post({ type: 'close' });
    });
    return this.#closed;
  }

  #post(message: ToWriter): void {
    this.#worker.postMessage(message);
  }

  #settle(seq: number, error: Error | null): void {
    const pending = this.#inFlight.get(seq);
    if (!pending) return;
    this.#inFlight.delete(seq);
    if (error) pending.reject(error);
    else pending.resolve();
  }

  #die(error: Error, failStart: (error: Error) => void): void {
    if (this.#dead) return;
    this.#dead = error;
    failStart(error);
    for (const pending of this.#inFlight.values()) pending.reject(error);
    this.#inFlight.clear();
    if (!this.#closed) this.onDeath(this);
  }
}

export class ThreadHitWriter implements HitWriter {
  readonly handsOver = true;
  #thread: WriterThread;
  #closing = false;

  private constructor(
    private readonly script: string,
    private readonly options: ThreadHitWriterOptions,
  ) {
    this.#thread = this.#spawn();
  }

  /** Starts the thread and resolves once it has its database connection and network lists. */
  static async start(options: ThreadHitWriterOptions): Promise<ThreadHitWriter> {
    const script = options.script ?? compiledWorkerScript(import.meta.url, 'writer-thread.js');
    const missing = missingWorkerScript(script, 'the hit writer thread');
    if (missing) throw new WriterThreadError(missing);
    const writer = new ThreadHitWriter(script, options);
    await writer.#thread.ready;
    return writer;
  }

  async write(batch: readonly HitWrite[], now: number): Promise<void> {
    if (this.#thread.dead && !this.#closing) this.#thread = this.#spawn();
    await this.#thread.ready;
    return this.#thread.write(batch, now);
  }

  async close(): Promise<void> {
    this.#closing = true;
    await this.#thread.close();
  }

  #spawn(): WriterThread {
    const setup: WriterThreadSetup = { ...this.options.setup, warmSince: this.options.warmSince?.() ?? null };
    return new WriterThread(this.script, setup, this.options.onLog, () => {
      if (!this.#closing) this.options.onLog?.('error', 'the hit writer thread stopped; the next batch starts a new one, which takes the recent hits back from the database');
    });
  }
}
