/** Campaign reports: totals, rates from the one set of formulas, their warnings, and clicks per link occurrence. */
import { deriveRates, type Rates } from '../core/rates.js';
import { deliverabilityWarnings, type DeliverabilityWarning } from '../core/warnings.js';
import type { CampaignService } from './campaigns.js';
import type { Campaign, CampaignTotals, CatalogStore, LinkClickTotals, ReportStore } from './ports.js';

export interface LinkReport {
  executionId: number;
  ordinal: number;
  url: string;
  text: string;
  part: string;
  condition: string | null;
  uniqueClicks: number;
  totalClicks: number;
  byVerdict: LinkClickTotals['byVerdict'];
}

export interface CampaignReport {
  campaign: Campaign;
  totals: CampaignTotals & { bounced: number };
  /** Rates over all hits, and over human hits only: reports always show both. */
  rates: Rates;
  humanRates: Rates;
  /** The deliverability thresholds the campaign's rates passed (core/warnings.ts): at most one per rate. */
  warnings: DeliverabilityWarning[];
  links: LinkReport[];
}

const NO_CLICKS: LinkClickTotals['byVerdict'] = {
  human: { uniqueClicks: 0, totalClicks: 0 },
  machine: { uniqueClicks: 0, totalClicks: 0 },
  bot: { uniqueClicks: 0, totalClicks: 0 },
  self: { uniqueClicks: 0, totalClicks: 0 },
};

export class ReportService {
  constructor(
    private readonly reports: ReportStore,
    private readonly catalog: CatalogStore,
    private readonly campaigns: CampaignService,
  ) {}

  async campaignReport(campaignId: number): Promise<CampaignReport> {
    const campaign = await this.campaigns.requireCampaign(campaignId);
    const [totals, clicks, occurrences] = await Promise.all([
      this.reports.campaignTotals(campaignId),
      this.reports.linkClickTotals(campaignId),
      this.catalog.getCampaignLinks(campaignId),
    ]);
    const bounced = totals.hardBounced + totals.softBounced;
    const rates = deriveRates({ ...totals, bounced });
    const humanRates = deriveRates({ ...totals, ...totals.byVerdict.human, bounced });
    const clicksByLink = new Map(clicks.map((c) => [`${c.executionId}:${c.ordinal}`, c]));
    // Every occurrence is listed, clicked or not: a link nobody clicked is a finding too.
    const links = occurrences.map((link): LinkReport => {
      const c = clicksByLink.get(`${link.executionId}:${link.ordinal}`);
      return {
        executionId: link.executionId,
        ordinal: link.ordinal,
        url: link.url,
        text: link.text,
        part: link.part,
        condition: link.condition,
        uniqueClicks: c?.uniqueClicks ?? 0,
        totalClicks: c?.totalClicks ?? 0,
        byVerdict: c?.byVerdict ?? NO_CLICKS,
      };
    });
    const warnings = deliverabilityWarnings(rates, totals);
    return { campaign, totals: { ...totals, bounced }, rates, humanRates, warnings, links };
  }
}
