/**
 * A report's funnel: each figure with its rate and the rate's denominator in words, every number a
 * link to the contacts it counts. Engagement figures (opens, clicks, unsubscribes after opening)
 * follow the chosen scope: human hits only, or all hits.
 */
import type { CampaignReport } from '../api.js';
import { drillHref } from '../api-live.js';
import { count, percent } from '../format.js';
import { Link } from '../router.js';
import { deriveFunnelRates } from '../../../src/core/rates.js';
import type { Scope } from './series-chart.js';

export interface FunnelFigure {
  /** Key of the report's `lists` for the value. */
  list: string;
  label: string;
  value: number;
  rate: number | null;
  /** The rate's denominator in words: "of 480 delivered". */
  base: string;
  /** A second rate with its own list, when the figure has one (click-to-open, unsubscribes after opening). */
  also?: { list: string; rate: number | null; base: string; text: string };
  /** A note on the figure, such as its total hits. */
  note?: string;
}

/** The figures counted from hits in a scope: every hit, or human ones only. */
export function scoped(report: CampaignReport, scope: Scope) {
  return {
    engagement: scope === 'human' ? report.totals.byVerdict.human : report.totals,
    rates: scope === 'human' ? report.humanRates : report.rates,
  };
}

/** The list of a figure in a scope: `opened:human` when the report has it, else the figure's own. */
export function listPath(report: CampaignReport, key: string, scope: Scope): string | undefined {
  return (scope === 'human' ? report.lists[`${key}:human`] : undefined) ?? report.lists[key];
}

/** The main funnel (messages to clicks) and the outcomes beside it (bounces, blocks, complaints, unsubscribes). */
export function funnelFigures(report: CampaignReport, scope: Scope): { funnel: FunnelFigure[]; outcomes: FunnelFigure[] } {
  const t = report.totals;
  const { engagement: e, rates: r } = scoped(report, scope);
  // Sent, bounces and unsubscribes do not depend on the scope: always from the report's totals.
  const f = deriveFunnelRates(t);
  const who = scope === 'human' ? 'human ' : '';
  const of = (n: number, what: string) => `of ${count(n)} ${what}`;
  return {
    funnel: [
      { list: 'messages', label: 'Messages', value: t.messages, rate: null, base: 'every message created: the base of the funnel' },
      { list: 'sent', label: 'Sent', value: t.sent, rate: f.sentRate, base: of(t.messages, 'messages'), note: t.sending > 0 ? `${count(t.sending)} still with the relay` : undefined },
      { list: 'delivered', label: 'Delivered', value: t.delivered, rate: r.deliveryRate, base: of(t.sent, 'sent') },
      {
        list: 'opened',
        label: `Opened (${scope === 'human' ? 'human' : 'all hits'})`,
        value: e.uniqueOpens,
        rate: r.openRate,
        base: of(t.delivered, 'delivered'),
        note: `${count(e.totalOpens)} ${who}opens in all; ${count(e.inferredOpens)} known only from a click`,
      },
      {
        list: 'clicked',
        label: `Clicked (${scope === 'human' ? 'human' : 'all hits'})`,
        value: e.uniqueClicks,
        rate: r.clickRate,
        base: of(t.delivered, 'delivered'),
        also: { list: 'clicked', rate: r.clickToOpenRate, base: of(e.uniqueOpens, 'opened'), text: 'click-to-open' },
        note: `${count(e.totalClicks)} ${who}clicks in all`,
      },
    ],
    outcomes: [
      { list: 'bounced', label: 'Bounced', value: t.bounced, rate: r.bounceRate, base: of(t.sent, 'sent') },
      { list: 'hard-bounced', label: 'Bounced hard', value: t.hardBounced, rate: f.hardBounceRate, base: of(t.sent, 'sent') },
      { list: 'soft-bounced', label: 'Bounced soft', value: t.softBounced, rate: f.softBounceRate, base: of(t.sent, 'sent') },
      { list: 'blocked', label: 'Blocked', value: t.blocked, rate: r.blockedRate, base: of(t.attempted, 'attempted') },
      { list: 'complained', label: 'Complained', value: t.complained, rate: r.complaintRate, base: of(t.sent, 'sent') },
      {
        list: 'unsubscribed',
        label: 'Unsubscribed',
        value: t.unsubscribed,
        rate: f.unsubscribedOfDeliveredRate,
        base: of(t.delivered, 'delivered'),
        also: { list: 'unsubscribed-open', rate: r.unsubscribeRate, base: of(e.uniqueOpens, 'opened'), text: `unsubscribed after opening (${count(e.unsubscribedOpens)})` },
      },
    ],
  };
}

/** A number that leads to the contacts behind it, when the report names their list. */
export function DrillNumber({ path, label, children, class: className }: { path: string | undefined; label: string; children: string; class?: string }) {
  if (!path) return <span class={className}>{children}</span>;
  return (
    <Link href={drillHref(path, label)} class={className} aria-label={`${children} ${label}: see the contacts`}>
      {children}
    </Link>
  );
}

function FigureCard({ figure, report, scope, context }: { figure: FunnelFigure; report: CampaignReport; scope: Scope; context: string }) {
  const path = listPath(report, figure.list, scope);
  const label = `${figure.label.toLowerCase()}, ${context}`;
  return (
    <li class="figure">
      <div class="label">{figure.label}</div>
      <DrillNumber path={path} label={label} class="value">
        {count(figure.value)}
      </DrillNumber>
      <div class="rate">
        {figure.rate !== null ? (
          <>
            <DrillNumber path={path} label={label}>
              {percent(figure.rate)}
            </DrillNumber>{' '}
          </>
        ) : (
          figure.list !== 'messages' && <span title="no denominator yet">– </span>
        )}
        <span class="base">{figure.base}</span>
      </div>
      {figure.also && (
        <div class="also">
          <DrillNumber path={listPath(report, figure.also.list, scope)} label={`${figure.also.text}, ${context}`}>
            {percent(figure.also.rate)}
          </DrillNumber>{' '}
          <span class="base">
            {figure.also.text} {figure.also.base}
          </span>
        </div>
      )}
      {figure.note && <div class="note">{figure.note}</div>}
    </li>
  );
}

export function Funnel({ report, scope, context }: { report: CampaignReport; scope: Scope; context: string }) {
  const { funnel, outcomes } = funnelFigures(report, scope);
  return (
    <>
      <ol class="figures funnel" aria-label="Funnel, from messages to clicks">
        {funnel.map((f) => (
          <FigureCard key={f.list} figure={f} report={report} scope={scope} context={context} />
        ))}
      </ol>
      <ul class="figures outcomes" aria-label="Bounces, blocks, complaints and unsubscribes">
        {outcomes.map((f) => (
          <FigureCard key={f.list} figure={f} report={report} scope={scope} context={context} />
        ))}
      </ul>
    </>
  );
}
