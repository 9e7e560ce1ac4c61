import { describe, expect, it } from 'vitest';
import type { PlannedLink, StoredPlan } from '../core/instrument/index.js';
import { CampaignService } from './campaigns.js';
import type { Campaign, CatalogStore, Execution, ExecutionContent, LinkOccurrence } from './ports.js';

const CAMPAIGN: Campaign = { id: 1, name: 'c', kind: 'one-off', trackOpens: true, trackClicks: true, trackingBaseUrl: null, honeypot: false, allowDuplicates: false, createdAt: 0 };

/** The part of the catalog executions need, in memory, counting the reads of executions and plans. */
function memoryCatalog() {
  const rows = new Map<number, { execution: Execution; links: PlannedLink[]; plan: StoredPlan }>();
  const reads = { executions: 0, plans: 0 };
  const catalog: Partial<CatalogStore> = {
    getCampaign: async () => CAMPAIGN,
    async createExecution(campaignId: number, content: ExecutionContent, links: readonly PlannedLink[], plan: StoredPlan, now: number) {
      const execution = { id: rows.size + 1, campaignId, ...content, createdAt: now };
      rows.set(execution.id, { execution, links: [...links], plan });
      return execution;
    },
    async getExecution(id: number) {
      reads.executions += 1;
      return rows.get(id)?.execution ?? null;
    },
    async getExecutionPlan(id: number) {
      reads.plans += 1;
      return rows.get(id)?.plan ?? null;
    },
    getLinks: async (id: number): Promise<LinkOccurrence[]> => (rows.get(id)?.links ?? []).map((link) => ({ ...link, executionId: id })),
  };
  return { catalog: catalog as CatalogStore, reads };
}

describe('CampaignService caches', () => {
  it('keep many small executions and their plans, but only a few large ones', async () => {
    const { catalog, reads } = memoryCatalog();
    const campaigns = new CampaignService(catalog, { now: () => 0 }, { excludedDestinations: [], placeholderPatterns: [] });
    // 300,000 characters: larger than any real message's HTML, within the limits.
    const large = `<p>${'x'.repeat(300_000)}</p><a href="https://a.example/">a</a>`;
    const ids = { small: [] as number[], large: [] as number[] };
    for (let i = 0; i < 8; i++) {
      ids.large.push((await campaigns.createExecution(1, { subject: 'l', html: large, text: null })).execution.id);
      ids.small.push((await campaigns.createExecution(1, { subject: 's', html: '<a href="https://a.example/">a</a>', text: null })).execution.id);
    }
    for (const id of ids.small) await campaigns.planFor(CAMPAIGN, await campaigns.requireExecution(id));
    expect(reads).toEqual({ executions: 0, plans: 0 });
    for (const id of ids.large) await campaigns.planFor(CAMPAIGN, await campaigns.requireExecution(id));
    // At most four large ones were kept: the others are read again.
    expect(reads.executions).toBeGreaterThanOrEqual(4);
    expect(reads.plans).toBe(reads.executions);
  });
});
