import type { Clock } from '../../app/ports.js';
import { openDatabase, migrateToLatest, type DatabaseTarget, type OpenDatabase } from './database.js';
import { KyselyCatalogStore } from './catalog-store.js';
import { KyselyEventStore } from './event-store.js';
import { KyselyKeyStore } from './key-store.js';
import { KyselyIngestionStore } from './ingestion-store.js';
import { KyselyReportStore } from './report-queries.js';
import { KyselySuppressionStore } from './suppression-store.js';
import { buildCountersIfNeeded, type RecountResult } from './recount.js';
import { KyselyDrillDownStore } from './drill-down-queries.js';
import { KyselyContactStore } from './contact-queries.js';

export { applySuppressionRules, type RuleEvent } from './suppression-store.js';
import { KyselySendQueueStore } from './send-queue-store.js';
import { KyselyUserStore } from './user-store.js';

export { openDatabase, migrateToLatest, type DatabaseTarget, type OpenDatabase };

export interface Storage {
  database: OpenDatabase;
  catalog: KyselyCatalogStore;
  events: KyselyEventStore;
  keys: KyselyKeyStore;
  ingestion: KyselyIngestionStore;
  reports: KyselyReportStore;
  suppressions: KyselySuppressionStore;
  sendQueue: KyselySendQueueStore;
  drillDown: KyselyDrillDownStore;
  contacts: KyselyContactStore;
  /** What building the report counters from the events already stored did at this start; null when they were built before. */
  countersBuilt: RecountResult | null;
  close(): Promise<void>;
  users: KyselyUserStore;
}

/** Opens the database, brings its schema up to date and returns the stores over it. */
export async function openStorage(target: DatabaseTarget, clock: Clock): Promise<Storage> {
  const database = openDatabase(target);
  let countersBuilt: RecountResult | null;
  try {
    await migrateToLatest(database);
    countersBuilt = await buildCountersIfNeeded(database.db, clock.now());
  } catch (error) {
    await database.db.destroy();
    throw error;
  }
  const { db } = database;
  return {
    database,
    catalog: new KyselyCatalogStore(db),
    events: new KyselyEventStore(db, () => clock.now()),
    keys: new KyselyKeyStore(db),
    ingestion: new KyselyIngestionStore(db),
    reports: new KyselyReportStore(db),
    suppressions: new KyselySuppressionStore(db),
    sendQueue: new KyselySendQueueStore(db),
    drillDown: new KyselyDrillDownStore(db),
    contacts: new KyselyContactStore(db),
    countersBuilt,
    close: () => db.destroy(),
    users: new KyselyUserStore(db),
  };
}
