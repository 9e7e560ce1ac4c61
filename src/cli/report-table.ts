/** Prints a campaign report as plain-text tables for the terminal. */
import type { CampaignReport } from '../app/reports.js';

const pct = (rate: number | null) => (rate === null ? '-' : `${(rate * 100).toFixed(1)}%`);

export function printReport(report: CampaignReport, write: (line: string) => void = console.log): void {
  const t = report.totals;
  const r = report.rates;
  const rows: [string, number | string, string, string][] = [
    ['messages', t.messages, '', ''],
    ['sent', t.sent, '', ''],
    ['delivered', t.delivered, pct(r.deliveryRate), 'of sent'],
    ['bounced (hard)', t.hardBounced, '', ''],
    ['bounced (soft)', t.softBounced, pct(r.bounceRate), 'all bounces, of sent'],
    ['deferred', t.deferred, '', ''],
    ['blocked (suppressed)', t.blocked, pct(r.blockedRate), 'of attempts'],
    ['opens, unique', t.uniqueOpens, pct(r.openRate), `of delivered; ${t.inferredOpens} inferred from clicks`],
    ['opens, total', t.totalOpens, '', ''],
    ['clicks, unique', t.uniqueClicks, pct(r.clickRate), 'of delivered'],
    ['clicks, total', t.totalClicks, pct(r.clickToOpenRate), 'click-to-open'],
    ['unsubscribed', t.unsubscribed, pct(r.unsubscribeRate), 'of unique opens'],
    ['complained', t.complained, pct(r.complaintRate), 'of sent'],
  ];
  write(`campaign ${report.campaign.id}: ${report.campaign.name}`);
  for (const [label, count, rate, note] of rows) {
    write(`  ${label.padEnd(22)}${String(count).padStart(7)}  ${rate.padStart(7)}  ${note}`);
  }
  write('\n  clicks per link occurrence (unique / total):');
  for (const l of report.links) {
    const where = `${l.part}${l.condition ? `, ${l.condition}` : ''}`;
    write(`  ${String(l.ordinal).padStart(3)}. ${String(l.uniqueClicks).padStart(4)} / ${String(l.totalClicks).padEnd(4)} ${l.url.slice(0, 70)}  (${where}) ${l.text ? `"${l.text.slice(0, 30)}"` : ''}`);
  }
}
