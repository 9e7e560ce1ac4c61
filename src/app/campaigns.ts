/** Campaigns and their executions: the content versions whose link occurrences are fixed at creation. */
import { MailsightError, notFound } from '../core/errors.js';
import { planDisagreement, planInstrumentation, restorePlan, toStoredPlan, type InstrumentPlan, type PlanOptions } from '../core/instrument/index.js';
import type { Campaign, CampaignSettings, CatalogStore, Clock, Execution, ExecutionContent, LinkOccurrence } from './ports.js';
import { BoundedCache } from './bounded-cache.js';

export interface InstrumentationSettings {
  excludedDestinations: string[];
  placeholderPatterns: RegExp[];
}

/** Executions whose instrumentation plan is kept in memory; a plan is about the size of the HTML. */
const PLAN_CACHE_SIZE = 64;

/** Campaigns and executions never change once written (no update exists), so reads can be cached. */
const CAMPAIGN_CACHE_SIZE = 1_000;

export class CampaignService {
  readonly #plans = new BoundedCache<number, InstrumentPlan>(PLAN_CACHE_SIZE);
  readonly #campaigns = new BoundedCache<number, Campaign>(CAMPAIGN_CACHE_SIZE);
  // An execution holds its whole HTML: keep as few as plans.
  readonly #executions = new BoundedCache<number, Execution>(PLAN_CACHE_SIZE);

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
    // Planning validates the content (size, parse) before anything is written.
    const plan = planInstrumentation({ html: content.html, text: content.text }, this.planOptions(campaign));
    const execution = await this.catalog.createExecution(campaign.id, content, plan.links, toStoredPlan(plan), this.clock.now());
    this.#plans.set(execution.id, plan);
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
    const execution = await this.#executions.getOrLoad(id, (key) => this.catalog.getExecution(key));
    if (!execution) throw notFound('execution', id);
    return execution;
  }

  /**
   * The instrumentation plan of an execution, as it was made at creation: from the edits stored with
   * it, checked against its stored link occurrences (the ones clicks are resolved by). Never planned
   * again from today's settings, which may leave out a link that was tracked then and so move every
   * later ordinal onto another link's destination.
   */
  async planFor(campaign: Campaign, execution: Execution): Promise<InstrumentPlan> {
    const cached = this.#plans.get(execution.id);
    if (cached) return cached;
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
    this.#plans.set(execution.id, plan);
    return plan;
  }

  /**
   * An execution created before plans were stored (migration 0006) is planned again, and used only if
   * the new plan finds exactly its stored link occurrences; then that plan is stored, so that later
   * changes of settings no longer matter to it. Otherwise no message of it can be rendered safely.
   */
  private async replanOlderExecution(campaign: Campaign, execution: Execution, links: LinkOccurrence[]): Promise<InstrumentPlan> {
    const plan = planInstrumentation({ html: execution.html, text: execution.text }, this.planOptions(campaign));
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
