/**
 * Hot clicks of an execution (per link occurrence, with where each sits in the HTML), in a view of
 * its dynamic content, and over a recurring campaign's executions. Read from the report counters and
 * the link occurrences only, never from events, so the answer costs the same at a million messages.
 */
import { selectedConditions } from '../core/content-conditions.js';
import { MailsightError, notFound } from '../core/errors.js';
import {
  CAMPAIGN_SHARES_OF,
  campaignHotClicks,
  executionHotClicks,
  SHARES_OF,
  type CampaignHotClicks,
  type ExecutionHotClicks,
  type LinkView,
} from '../core/hot-clicks.js';
import { linkPositions, type LinkPosition, type PlannedLink } from '../core/instrument/index.js';
import { BoundedCache } from './bounded-cache.js';
import type { CampaignService } from './campaigns.js';
import type { CatalogStore, ExecutionCounters, LinkOccurrence, ReportStore } from './ports.js';

/** The counters hot clicks read: the per-occurrence ones (report-counters.ts `counter.linkClick*`). */
const LINK_COUNTERS = 'link:';

/**
 * Executions whose link positions are kept in memory: positions never change once an execution is
 * written, and finding them parses its HTML (a few ms for a large newsletter). Two ranges per link:
 * a few KB an execution.
 */
const POSITION_CACHE_SIZE = 512;

/** Which occurrences to show: all, some condition labels' blocks, or those a contact's attributes select. */
export type HotClicksQuery =
  | { readonly kind: 'all' }
  | { readonly kind: 'condition'; readonly labels: readonly string[] }
  | { readonly kind: 'contact'; readonly contactId: number }
  | { readonly kind: 'attributes'; readonly attributes: Readonly<Record<string, unknown>> };

export type PositionedLink = PlannedLink & { readonly position: LinkPosition | null };

export interface ExecutionHotClicksView extends ExecutionHotClicks<PositionedLink> {
  readonly executionId: number;
  readonly campaignId: number;
  readonly sharesOf: string;
  /** What the view shows: the condition labels it selects (null: every occurrence), and why. */
  readonly view: { readonly kind: HotClicksQuery['kind']; readonly conditions: string[] | null; readonly contactId: number | null };
  /** Every condition label of the execution's occurrences, sorted, for a client to offer. */
  readonly conditions: string[];
}

export interface CampaignHotClicksView extends CampaignHotClicks<LinkOccurrence & { readonly position: LinkPosition | null }> {
  readonly campaignId: number;
  readonly executionIds: number[];
  readonly sharesOf: string;
}

export class HotClicksService {
  readonly #positions = new BoundedCache<number, Map<number, LinkPosition>>(POSITION_CACHE_SIZE);

  constructor(
    private readonly reports: ReportStore,
    private readonly catalog: CatalogStore,
    private readonly campaigns: CampaignService,
  ) {}

  async execution(executionId: number, query: HotClicksQuery): Promise<ExecutionHotClicksView> {
    const execution = await this.campaigns.requireExecution(executionId);
    const campaign = await this.campaigns.requireCampaign(execution.campaignId);
    const [plan, counters] = await Promise.all([this.campaigns.planFor(campaign, execution), this.reports.counters({ executionId }, LINK_COUNTERS)]);
    const positions = this.positionsOf(executionId, plan.html, plan.htmlEdits);
    const links = plan.links.map((link): PositionedLink => ({ ...link, position: positions.get(link.ordinal) ?? null }));
    const conditions = [...new Set(links.flatMap((link) => (link.condition === null ? [] : [link.condition])))].sort();
    const selected = await this.selected(query, conditions);
    const view: LinkView = selected === null ? { kind: 'all' } : { kind: 'conditions', labels: new Set(selected) };
    return {
      executionId,
      campaignId: execution.campaignId,
      sharesOf: SHARES_OF,
      view: { kind: query.kind, conditions: selected, contactId: query.kind === 'contact' ? query.contactId : null },
      conditions,
      ...executionHotClicks(links, countersOf(counters, executionId), view),
    };
  }

  /**
   * Over every execution of a campaign with link occurrences, matched to the last one's (the content a
   * client shows, whose positions are given). Executions without any tracked link have no clicks to add.
   */
  async campaign(campaignId: number): Promise<CampaignHotClicksView> {
    await this.campaigns.requireCampaign(campaignId);
    const [occurrences, counters] = await Promise.all([this.catalog.getCampaignLinks(campaignId), this.reports.counters({ campaignId }, LINK_COUNTERS)]);
    const byExecution = new Map<number, LinkOccurrence[]>();
    for (const link of occurrences) {
      const links = byExecution.get(link.executionId);
      if (links === undefined) byExecution.set(link.executionId, [link]);
      else links.push(link);
    }
    const executionIds = [...byExecution.keys()].sort((a, b) => a - b);
    const reference = executionIds.at(-1);
    const positions = reference === undefined ? new Map<number, LinkPosition>() : await this.executionPositions(reference);
    const executions = executionIds.map((executionId) => ({
      executionId,
      links: byExecution.get(executionId)!.map((link) => ({ ...link, position: executionId === reference ? (positions.get(link.ordinal) ?? null) : null })),
      counters: countersOf(counters, executionId),
    }));
    return { campaignId, executionIds, sharesOf: CAMPAIGN_SHARES_OF, ...campaignHotClicks(executions) };
  }

  private async executionPositions(executionId: number): Promise<Map<number, LinkPosition>> {
    const cached = this.#positions.get(executionId);
    if (cached !== undefined) return cached;
    const execution = await this.campaigns.requireExecution(executionId);
    const plan = await this.campaigns.planFor(await this.campaigns.requireCampaign(execution.campaignId), execution);
    return this.positionsOf(executionId, plan.html, plan.htmlEdits);
  }

  private positionsOf(executionId: number, html: string | null, edits: Parameters<typeof linkPositions>[1]): Map<number, LinkPosition> {
    let positions = this.#positions.get(executionId);
    if (positions === undefined) {
      positions = html === null ? new Map() : linkPositions(html, edits);
      this.#positions.set(executionId, positions);
    }
    return positions;
  }

  /** The condition labels a query selects; null for every occurrence. */
  private async selected(query: HotClicksQuery, conditions: readonly string[]): Promise<string[] | null> {
    switch (query.kind) {
      case 'all':
        return null;
      case 'condition': {
        const unknown = query.labels.filter((label) => !conditions.includes(label));
        if (unknown.length > 0) {
          const known = conditions.length === 0 ? 'it has none' : `it has ${conditions.map((c) => JSON.stringify(c)).join(', ')}`;
          throw new MailsightError('VALIDATION', `condition: ${unknown.map((c) => JSON.stringify(c)).join(', ')} is no condition label of this execution's links; ${known}`);
        }
        return [...new Set(query.labels)].sort();
      }
      case 'contact': {
        const contact = await this.catalog.getContact(query.contactId);
        if (contact === null) throw notFound('contact', query.contactId);
        return [...selectedConditions(conditions, contact.attributes)];
      }
      case 'attributes':
        return [...selectedConditions(conditions, query.attributes)];
    }
  }
}

function countersOf(counters: ExecutionCounters, executionId: number): ReadonlyMap<string, number> {
  return counters.get(executionId) ?? new Map();
}
