/** Prints a campaign report as plain-text tables for the terminal: all hits and human hits side by side. */
import type { CampaignReport } from '../app/reports.js';
import type { Rates } from '../core/rates.js';

const pct = (rate: number | null) => (rate === null ? '-' : `${(rate * 100).toFixed(1)}%`);

/** "userunknown 12, mailboxfull 3": the most frequent reason first. */
function byReason(counts: Record<string, number>): string {
  return Object.entries(counts)
    .sort(([a, x], [b, y]) => y - x || (a < b ? -1 : 1))
    .map(([reason, n]) => `${reason} ${n}`)
    .join(', ');
}

export function printReport(report: CampaignReport, write: (line: string) => void = console.log): void {
  const t = report.totals;
  const h = t.byVerdict.human;
  const r = report.rates;
  const hr = report.humanRates;
  type Row = [label: string, all: number, allRate: string, human: number | null, humanRate: string, note: string];
  const same = (label: string, count: number, rate: keyof Rates | null, note: string): Row => [label, count, rate ? pct(r[rate]) : '', null, '', note];
  const rows: Row[] = [
    same('messages', t.messages, null, ''),
    same('sending', t.sending, null, 'with our relay, not accepted yet'),
    same('sent', t.sent, null, ''),
    same('delivered', t.delivered, 'deliveryRate', 'of sent'),
    same('bounced (hard)', t.hardBounced, null, ''),
    same('bounced (soft)', t.softBounced, 'bounceRate', 'all bounces, of sent'),
    same('deferred', t.deferred, null, ''),
    same('blocked (suppressed)', t.blocked, 'blockedRate', `of ${t.attempted} attempted`),
    ['opens, unique', t.uniqueOpens, pct(r.openRate), h.uniqueOpens, pct(hr.openRate), `of delivered; inferred from clicks: ${t.inferredOpens} all, ${h.inferredOpens} human`],
    ['opens, total', t.totalOpens, '', h.totalOpens, '', ''],
    ['clicks, unique', t.uniqueClicks, pct(r.clickRate), h.uniqueClicks, pct(hr.clickRate), 'of delivered'],
    ['clicks, total', t.totalClicks, pct(r.clickToOpenRate), h.totalClicks, pct(hr.clickToOpenRate), 'rate: click-to-open'],
    same('unsubscribed', t.unsubscribed, null, ''),
    ['unsubscribed, opened', t.unsubscribedOpens, pct(r.unsubscribeRate), h.unsubscribedOpens, pct(hr.unsubscribeRate), 'of unique opens'],
    same('complained', t.complained, 'complaintRate', 'of sent'),
  ];
  write(`campaign ${report.campaign.id}: ${report.campaign.name}`);
  for (const w of report.warnings) write(`  ${w.level.toUpperCase()}: ${w.message}`);
  write(`  ${''.padEnd(22)}${'all'.padStart(7)}  ${''.padStart(7)}  ${'human'.padStart(7)}  ${''.padStart(7)}`);
  for (const [label, all, allRate, human, humanRate, note] of rows) {
    write(`  ${label.padEnd(22)}${String(all).padStart(7)}  ${allRate.padStart(7)}  ${(human === null ? '' : String(human)).padStart(7)}  ${humanRate.padStart(7)}  ${note}`);
  }
  if (t.bounced > 0) write(`  bounces by reason: ${byReason(t.bouncesByReason)}`);
  if (t.blocked > 0) write(`  blocked by reason: ${byReason(t.blockedByReason)}`);
  const v = t.byVerdict;
  write(`  not counted as human: opens ${v.machine.totalOpens} machine, ${v.bot.totalOpens} bot, ${v.self.totalOpens} self; clicks ${v.bot.totalClicks} bot, ${v.self.totalClicks} self`);
  for (const sentence of report.nonHumanSummary) write(`    ${sentence}`);
  for (const sentence of report.providerFlagSummary) write(`    ${sentence}`);
  for (const w of report.warnings) write(`  what to do (${w.code}): ${w.action}`);
  if (report.providers.length > 0) {
    write('\n  by mailbox provider     messages  delivered  opened all | human   clicked all | human');
    for (const p of report.providers) {
      write(
        `  ${p.provider.padEnd(22)}${String(p.messages).padStart(9)}  ${pct(p.deliveryRate).padStart(9)}  ${pct(p.openRate).padStart(10)} | ${pct(p.humanOpenRate).padEnd(6)}  ${pct(p.clickRate).padStart(11)} | ${pct(p.humanClickRate)}`,
      );
    }
  }
  if (report.executions.length > 1) {
    write('\n  per execution: messages, delivered, unique opens all | human');
    for (const e of report.executions) {
      write(`  ${String(e.execution.id).padStart(5)}  ${e.execution.subject.slice(0, 30).padEnd(30)} ${String(e.totals.messages).padStart(7)} ${String(e.totals.delivered).padStart(7)} ${String(e.totals.uniqueOpens).padStart(7)} | ${e.totals.byVerdict.human.uniqueOpens}`);
    }
  }
  write('\n  clicks per link occurrence, unique / total (all | human):');
  for (const l of report.links) {
    const where = `${l.part}${l.condition ? `, ${l.condition}` : ''}`;
    const hv = l.byVerdict.human;
    write(
      `  ${String(l.ordinal).padStart(3)}. ${String(l.uniqueClicks).padStart(4)} / ${String(l.totalClicks).padEnd(4)} | ${String(hv.uniqueClicks).padStart(4)} / ${String(hv.totalClicks).padEnd(4)} ${l.url.slice(0, 60)}  (${where}) ${l.text ? `"${l.text.slice(0, 30)}"` : ''}`,
    );
  }
}
