/**
 * Campaign and execution reports, read from the report counters (core/report-counters.ts) kept with
 * the events: totals, rates from the one set of formulas, their warnings, clicks per link
 * occurrence, the reasons hits were not counted as human, the opens and clicks by hour and day since
 * the send, the figures by mailbox provider, and each execution's own. Every figure names the list
 * of messages behind it (core/drill-down.ts).
 */
import { deriveRates, type Rates } from '../core/rates.js';
import { deliverabilityWarnings, type DeliverabilityWarning } from '../core/warnings.js';
import { drillQuery, reportLists, type DrillList } from '../core/drill-down.js';
import type { CampaignService } from './campaigns.js';
import type { Campaign, CampaignTotals, CatalogStore, Execution, ExecutionSummary, LinkOccurrence, ReportStore } from './ports.js';
import {
  linkClicks,
  nonHumanHits,
  nonHumanSummary,
  providerFigures,
  providerFlagFigures,
  providerFlagSummary,
  sumCounters,
  timeline,
  totalsFromCounters,
  type Counters,
  type LinkClicks,
  type NonHumanHits,
  type ProviderFigures,
  type ProviderFlagFigures,
  type Timeline,
} from './report-figures.js';

export interface LinkReport extends LinkClicks {
  executionId: number;
  ordinal: number;
  url: string;
  text: string;
  part: string;
  condition: string | null;
  /** The list of the messages that clicked it (all hits). */
  list: string;
}

export interface ReportFigures {
  totals: CampaignTotals & { bounced: number };
  /** Rates over all hits, and over human hits only: reports always show both. */
  rates: Rates;
  humanRates: Rates;
  /** The deliverability thresholds the rates passed (core/warnings.ts): at most one per rate, each with what to do. */
  warnings: DeliverabilityWarning[];
}

/** A campaign's key figures, for the list of campaigns. */
export interface CampaignOverviewRow extends ReportFigures {
  campaign: Campaign;
  executions: number;
  /** When its newest execution was created; null before the first. */
  lastExecutionAt: number | null;
}

export interface ExecutionReport extends ReportFigures {
  execution: ExecutionSummary;
}

export interface CampaignReport extends ReportFigures {
  campaign: Campaign;
  /** The execution this report is about; null for a whole campaign (every execution added up). */
  execution: ExecutionSummary | null;
  links: LinkReport[];
  /** Hits not counted as human, by verdict and reason, and the same in sentences. */
  nonHuman: NonHumanHits[];
  nonHumanSummary: string[];
  timeline: Timeline;
  providers: ProviderFigures[];
  /** Opens and clicks the sending providers flagged as machines or bots, and whether mailsight's verdict on the same open or click agreed; the same in sentences. */
  providerFlags: ProviderFlagFigures[];
  providerFlagSummary: string[];
  /** Each execution's own figures (one for a one-off campaign; a recurring campaign's every send). */
  executions: ExecutionReport[];
  /** The list of messages behind each figure: figure key -> API path (GET it for the contacts, `.csv` for a file). */
  lists: Record<string, string>;
}

function figures(c: Counters): ReportFigures {
  const totals = totalsFromCounters(c);
  const bounced = totals.hardBounced + totals.softBounced;
  const rates = deriveRates({ ...totals, bounced });
  const humanRates = deriveRates({ ...totals, ...totals.byVerdict.human, bounced });
  return { totals: { ...totals, bounced }, rates, humanRates, warnings: deliverabilityWarnings(rates, totals) };
}

const summaryOf = (e: Execution | ExecutionSummary): ExecutionSummary => ({ id: e.id, campaignId: e.campaignId, subject: e.subject, createdAt: e.createdAt });

export class ReportService {
  constructor(
    private readonly reports: ReportStore,
    private readonly catalog: CatalogStore,
    private readonly campaigns: CampaignService,
  ) {}

  async campaignReport(campaignId: number): Promise<CampaignReport> {
    const campaign = await this.campaigns.requireCampaign(campaignId);
    const [counters, occurrences, executions] = await Promise.all([
      this.reports.counters({ campaignId }),
      this.catalog.getCampaignLinks(campaignId),
      this.catalog.listExecutionSummaries(campaignId),
    ]);
    return this.#report(campaign, null, counters, occurrences, executions, `/api/campaigns/${campaignId}`);
  }

  /** Every campaign with its key figures, newest first: one read of the counters per campaign. */
  async overview(): Promise<CampaignOverviewRow[]> {
    const campaigns = await this.campaigns.listCampaigns();
    return Promise.all(
      campaigns.map(async (campaign): Promise<CampaignOverviewRow> => {
        const [counters, executions] = await Promise.all([this.reports.counters({ campaignId: campaign.id }), this.catalog.listExecutionSummaries(campaign.id)]);
        return {
          campaign,
          executions: executions.length,
          lastExecutionAt: executions.reduce<number | null>((last, e) => (last === null || e.createdAt > last ? e.createdAt : last), null),
          ...figures(sumCounters(counters)),
        };
      }),
    );
  }

  async executionReport(executionId: number): Promise<CampaignReport> {
    const execution = await this.campaigns.requireExecution(executionId);
    const campaign = await this.campaigns.requireCampaign(execution.campaignId);
    const [counters, occurrences] = await Promise.all([this.reports.counters({ executionId }), this.catalog.getLinks(executionId)]);
    return this.#report(campaign, summaryOf(execution), counters, occurrences, [summaryOf(execution)], `/api/executions/${executionId}`);
  }

  #report(
    campaign: Campaign,
    execution: ExecutionSummary | null,
    byExecution: Map<number, Map<string, number>>,
    occurrences: readonly LinkOccurrence[],
    executions: readonly ExecutionSummary[],
    base: string,
  ): CampaignReport {
    const c = sumCounters(byExecution);
    const empty = new Map<string, number>();
    const list = (l: DrillList) => `${base}/contacts?${drillQuery(l)}`;
    // Every occurrence is listed, clicked or not: a link nobody clicked is a finding too.
    const links = occurrences.map((link): LinkReport => ({
      executionId: link.executionId,
      ordinal: link.ordinal,
      url: link.url,
      text: link.text,
      part: link.part,
      condition: link.condition,
      ...linkClicks(byExecution.get(link.executionId) ?? empty, link.ordinal),
      // A campaign's list of one occurrence is its execution's.
      list: `/api/executions/${link.executionId}/contacts?${drillQuery({ figure: 'link', scope: 'all', ordinal: link.ordinal })}`,
    }));
    const main = figures(c);
    const nonHuman = nonHumanHits(c);
    const flags = providerFlagFigures(c);
    return {
      campaign,
      execution,
      ...main,
      links,
      nonHuman,
      nonHumanSummary: nonHumanSummary(nonHuman),
      timeline: timeline(c),
      providers: providerFigures(c),
      providerFlags: flags,
      providerFlagSummary: providerFlagSummary(flags),
      executions: executions.map((e) => ({ execution: e, ...figures(byExecution.get(e.id) ?? empty) })),
      lists: Object.fromEntries(reportLists(main.totals).map(([key, l]) => [key, list(l)])),
    };
  }
}
