import type { Kysely, Migration } from 'kysely';

/**
 * Which writer recorded a hit: several tracking nodes on one database each classify their own hits,
 * and take in the others' hits by this column (see EventStore.otherWritersHits).
 */
export function hitWriter(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable('events').addColumn('writer', 'text').execute();
    },
  };
}
