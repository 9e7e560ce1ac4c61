/** The evaluation report: matrices, per-verdict precision and recall, misclassified examples. */
import type { HitResult } from './replay.js';
import { VERDICTS, type Verdict } from './scenario-schema.js';
import { columnTotal, confusion, formatRate, precision, recall, rowTotal, type Matrix } from './scoring.js';

export interface ScoredSet {
  opens: Matrix;
  clicks: Matrix;
}

/** Opens and clicks scored apart; unsubscribe-page hits are evidence only. */
export function scoreHits(results: readonly HitResult[], judge: (r: HitResult) => Verdict): ScoredSet {
  const judged = (kind: 'open' | 'click') => results.filter((r) => r.hit.kind === kind).map((r) => ({ truth: r.hit.truth, verdict: judge(r) }));
  return { opens: confusion(judged('open')), clicks: confusion(judged('click')) };
}

export function formatMatrix(title: string, m: Matrix): string[] {
  const total = VERDICTS.reduce((sum, t) => sum + rowTotal(m, t), 0);
  const cell = (text: string | number) => String(text).padStart(8);
  const lines = [`${title} (n=${total})`, `  ${'truth \\ verdict'.padEnd(16)}${VERDICTS.map(cell).join('')}${cell('total')}${cell('recall')}`];
  for (const truth of VERDICTS) {
    lines.push(`  ${truth.padEnd(16)}${VERDICTS.map((v) => cell(m[truth][v])).join('')}${cell(rowTotal(m, truth))}${cell(formatRate(recall(m, truth)))}`);
  }
  lines.push(`  ${'total'.padEnd(16)}${VERDICTS.map((v) => cell(columnTotal(m, v))).join('')}`);
  lines.push(`  ${'precision'.padEnd(16)}${VERDICTS.map((v) => cell(formatRate(precision(m, v)))).join('')}`);
  return lines;
}

export function formatDelta(ms: number): string {
  const sign = ms < 0 ? '-' : '+';
  const abs = Math.abs(ms);
  if (abs < 60_000) return `${sign}${(abs / 1000).toFixed(1)}s`;
  if (abs < 3_600_000) return `${sign}${(abs / 60_000).toFixed(1)}m`;
  if (abs < 86_400_000) return `${sign}${(abs / 3_600_000).toFixed(1)}h`;
  return `${sign}${(abs / 86_400_000).toFixed(1)}d`;
}

function describe(r: HitResult): string {
  const since = r.deliveredAt === null ? `${formatDelta(r.hit.at - r.sentAt)} after send (no delivery)` : `${formatDelta(r.hit.at - r.deliveredAt)} after delivery`;
  const link = r.hit.kind !== 'click' ? '' : r.hit.link === 'honeypot' ? ' honeypot' : ` link ${r.hit.link}`;
  const headers = Object.keys(r.hit.headers).length > 0 ? ` headers=${JSON.stringify(r.hit.headers)}` : '';
  return `    ${r.message} ${r.hit.method}${link} ${since} ip=${r.hit.ip} verdict=${r.verdict} reasons=[${r.reasons.join(',')}] ua=${JSON.stringify(r.hit.ua)}${headers}`;
}

/** Up to `count` items, one per message first, so that one message's burst does not fill the list. */
function spread(list: readonly HitResult[], count: number): HitResult[] {
  const seen = new Set<string>();
  const firsts = list.filter((r) => !seen.has(r.message) && seen.add(r.message));
  const rest = list.filter((r) => !firsts.includes(r));
  return [...firsts, ...rest].slice(0, count);
}

/** Up to `perCell` examples of every error cell (truth != verdict), opens and clicks. */
export function formatExamples(results: readonly HitResult[], perCell = 10): string[] {
  const cells = new Map<string, HitResult[]>();
  for (const r of results) {
    if (r.hit.kind === 'unsubscribe-page' || r.hit.truth === r.verdict) continue;
    const key = `${r.hit.kind}s truly ${r.hit.truth} judged ${r.verdict}`;
    const list = cells.get(key) ?? [];
    list.push(r);
    cells.set(key, list);
  }
  const lines: string[] = [];
  for (const [key, list] of [...cells].sort(([a], [b]) => a.localeCompare(b))) {
    lines.push(`  ${key}: ${list.length}${list.length > perCell ? ` (first ${perCell})` : ''}`);
    for (const r of spread(list, perCell)) lines.push(describe(r));
  }
  return lines.length > 0 ? lines : ['  none'];
}
