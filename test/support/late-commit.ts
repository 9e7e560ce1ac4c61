/**
 * Two writers of events on one PostgreSQL database, each in a transaction of its own connection, to
 * make a lower event id commit after a higher one: the case readers over event ids must not pass.
 */
import pg from 'pg';
import { eventToRow } from '../../src/adapters/storage/event-store.js';
import type { NewEvent } from '../../src/core/events.js';

export class Writer {
  readonly #client: pg.Client;

  private constructor(url: string) {
    this.#client = new pg.Client({ connectionString: url });
  }

  static async open(url: string): Promise<Writer> {
    const writer = new Writer(url);
    await writer.#client.connect();
    return writer;
  }

  /**
   * Begins a transaction holding its transaction id from the start, as every writer of events does
   * (it locks the event's message first: report-counter-store.ts).
   */
  async begin(messageId: number): Promise<void> {
    await this.#client.query('begin');
    await this.#client.query('select id from messages where id = $1 for update', [messageId]);
  }

  /** Inserts the event; returns its id. */
  async insert(event: NewEvent, recordedAt: number): Promise<number> {
    const row = eventToRow(event, recordedAt) as unknown as Record<string, unknown>;
    const columns = Object.keys(row);
    const result = await this.#client.query<{ id: string }>(
      `insert into events (${columns.join(', ')}) values (${columns.map((_, i) => `$${i + 1}`).join(', ')}) returning id`,
      columns.map((c) => row[c]),
    );
    return Number(result.rows[0]!.id);
  }

  async commit(): Promise<void> {
    await this.#client.query('commit');
  }

  async close(): Promise<void> {
    await this.#client.end();
  }
}
