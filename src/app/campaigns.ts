/** Campaigns and their executions: the content versions whose link occurrences are fixed at creation. */
import { MailsightError, notFound } from '../core/errors.js';
import { planDisagreement, planInstrumentation, restorePlan, toStoredPlan, type InstrumentPlan, type PlanOptions } from '../core/instrument/index.js';
import type { Campaign, CampaignSettings, CatalogStore, Clock, Execution, ExecutionContent, LinkOccurrence } from './ports.js';
import { BoundedCache } from './bounded-cache.js';

export interface InstrumentationSettings {
  excludedDestinations: string[];
  placeholderPatterns: RegExp[];
}

/** Campaigns and executions never change once written (no update exists), so reads can be cached. */
const CAMPAIGN_CACHE_SIZE = 1_000;

/**
 * Executions (and their plans) kept in memory hold their whole content: many small ones, and a few
 * large ones, so that the caches stay within about 32 Mi characters (64 MB at most) even when every
 * execution is as large as accepted (MAX_PART_LENGTH per part).
 */
const SMALL_CONTENT_CACHE_SIZE = 64;
const LARGE_CONTENT_CACHE_SIZE = 4;
/** Characters of content (HTML and text) past which an execution is large: 2.5 times Gmail's 102 KB clipping point. */
const LARGE_CONTENT_LENGTH = 256 * 1024;

/** A cache by execution id that keeps few entries of large content. */
class ContentCache<V> {
  readonly #small = new BoundedCache<number, V>(SMALL_CONTENT_CACHE_SIZE);
  readonly #large = new BoundedCache<number, V>(LARGE_CONTENT_CACHE_SIZE);

  get(id: number): V | undefined {
    return this.#small.get(id) ?? this.#large.get(id);
  }

  set(id: number, value: V, content: ExecutionContent): void {
    const length = (content.html?.length ?? 0) + (content.text?.length ?? 0);
    (length > LARGE_CONTENT_LENGTH ? this.#large : this.#small).set(id, value);
  }
}

/** An execution in memory, with its plan once made: one entry, so they are kept and dropped together. */
interface CachedExecution {
  execution: Execution;
  plan: InstrumentPlan | null;
}

export class CampaignService {
  readonly #campaigns = new BoundedCache<number, Campaign>(CAMPAIGN_CACHE_SIZE);
  readonly #executions = new ContentCache<CachedExecution>();

  constructor(
    private readonly catalog: CatalogStore,
    private readonly clock: Clock,
    private readonly settings: InstrumentationSettings,
  ) {}

  createCampaign(settings: CampaignSettings): Promise<Campaign> {
    return this.catalog.createCampaign(settings, this.clock.now());
  }

  async requireCampaign(id: number): Promise<Campaign> {
    const campaign = await this.#campaigns.getOrLoad(id, (key) => this.catalog.getCampaign(key));
    if (!campaign) throw notFound('campaign', id);
    return campaign;
  }

  async createExecution(campaignId: number, content: ExecutionContent): Promise<{ execution: Execution; links: LinkOccurrence[] }> {
    if (content.html === null && content.text === null) {
      throw new MailsightError('VALIDATION', 'an execution needs an html or a text part (or both)');
    }
    const campaign = await this.requireCampaign(campaignId);
    // Planning refuses content over its limits (size, links) before anything is written.
    const plan = planInstrumentation({ html: content.html, text: content.text }, this.planOptions(campaign));
    const stored = await this.catalog.createExecution(campaign.id, content, plan.links, toStoredPlan(plan), this.clock.now());
    // The plan's strings, not the copies read back: one copy of the content in memory.
    const execution = { ...stored, html: content.html, text: content.text };
    this.#executions.set(execution.id, { execution, plan }, execution);
    return { execution, links: plan.links.map((link) => ({ ...link, executionId: execution.id })) };
  }

  listCampaigns(): Promise<Campaign[]> {
    return this.catalog.listCampaigns();
  }

  async executionWithLinks(id: number): Promise<Execution & { links: LinkOccurrence[] }> {
    const execution = await this.requireExecution(id);
    return { ...execution, links: await this.catalog.getLinks(id) };
  }

  async requireExecution(id: number): Promise<Execution> {
    const cached = this.#executions.get(id);
    if (cached) return cached.execution;
    const execution = await this.catalog.getExecution(id);
    if (!execution) throw notFound('execution', id);
    this.#executions.set(id, { execution, plan: null }, execution);
    return execution;
  }

  /**
   * The instrumentation plan of an execution, as it was made at creation: from the edits stored with
   * it, checked against its stored link occurrences (the ones clicks are resolved by). Never planned
   * again from today's settings, which may leave out a link that was tracked then and so move every
   * later ordinal onto another link's destination.
   */
  async planFor(campaign: Campaign, execution: Execution): Promise<InstrumentPlan> {
    const cached = this.#executions.get(execution.id);
    if (cached?.plan) return cached.plan;
    const [stored, links] = await Promise.all([this.catalog.getExecutionPlan(execution.id), this.catalog.getLinks(execution.id)]);
    const content = { html: execution.html, text: execution.text };
    let plan: InstrumentPlan;
    if (stored !== null) {
      const restored = restorePlan(content, stored, links);
      // Written by createExecution alone: a disagreement is a damaged row, not a request to refuse.
      if ('disagreement' in restored) throw new Error(`the plan stored with execution ${execution.id} does not fit its link occurrences: ${restored.disagreement}`);
      plan = restored.plan;
    } else {
      plan = await this.replanOlderExecution(campaign, execution, links);
    }
    if (cached) cached.plan = plan;
    else this.#executions.set(execution.id, { execution, plan }, execution);
    return plan;
  }

  /**
   * An execution created before plans were stored (migration 0006) is planned again, and used only if
   * the new plan finds exactly its stored link occurrences; then that plan is stored, so that later
   * changes of settings no longer matter to it. Otherwise no message of it can be rendered safely.
   */
  private async replanOlderExecution(campaign: Campaign, execution: Execution, links: LinkOccurrence[]): Promise<InstrumentPlan> {
    // Accepted when it was created: content over today's limits is planned as it is.
    const plan = planInstrumentation({ html: execution.html, text: execution.text }, { ...this.planOptions(campaign), checkLimits: false });
    const disagreement = planDisagreement(plan, links);
    if (disagreement !== null) {
      throw new MailsightError(
        'CONFLICT',
        `execution ${execution.id} was created before plans were stored with executions, and planning it again with today's settings ` +
          `does not find the links stored with it (${disagreement}): its clicks would reach other links' destinations. ` +
          'Create a new execution with the same content, or restore the settings it was created with (EXCLUDED_DESTINATIONS).',
      );
    }
    await this.catalog.fillExecutionPlan(execution.id, toStoredPlan(plan));
    return plan;
  }

  private planOptions(campaign: Campaign): PlanOptions {
    return {
      trackClicks: campaign.trackClicks,
      trackOpens: campaign.trackOpens,
      rewriteText: true,
      honeypot: campaign.honeypot,
      excludedDestinations: this.settings.excludedDestinations,
      placeholderPatterns: this.settings.placeholderPatterns,
    };
  }
}
