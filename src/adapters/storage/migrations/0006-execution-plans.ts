import type { Kysely, Migration } from 'kysely';

/**
 * An execution's instrumentation plan (its edits: offsets, ordinals, kinds, quotes; JSON), stored at
 * creation beside its link occurrences, so that messages are rendered as the execution was planned,
 * not as today's settings or planner would plan it. Executions created before have none: their plan
 * is made again and checked against their stored link occurrences (CampaignService.planFor).
 */
export function executionPlans(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable('executions').addColumn('plan', 'text').execute();
    },
  };
}
