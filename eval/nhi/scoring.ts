/**
 * Scoring verdicts against ground truth: confusion matrices (truth rows x verdict columns),
 * precision and recall per verdict, and the headline rates the NHI work is judged by.
 */
import { VERDICTS, type Verdict } from './scenario-schema.js';

/** counts[truth][verdict] */
export type Matrix = Record<Verdict, Record<Verdict, number>>;

export interface Judged {
  truth: Verdict;
  verdict: Verdict;
}

export function emptyMatrix(): Matrix {
  const row = () => Object.fromEntries(VERDICTS.map((v) => [v, 0])) as Record<Verdict, number>;
  return Object.fromEntries(VERDICTS.map((t) => [t, row()])) as Matrix;
}

export function confusion(items: Iterable<Judged>): Matrix {
  const matrix = emptyMatrix();
  for (const { truth, verdict } of items) matrix[truth][verdict]++;
  return matrix;
}

export function rowTotal(m: Matrix, truth: Verdict): number {
  return VERDICTS.reduce((sum, v) => sum + m[truth][v], 0);
}

export function columnTotal(m: Matrix, verdict: Verdict): number {
  return VERDICTS.reduce((sum, t) => sum + m[t][verdict], 0);
}

/** A ratio, or null when nothing was there to measure. */
function ratio(part: number, whole: number): number | null {
  return whole === 0 ? null : part / whole;
}

/** Of the hits judged `verdict`, the share that truly were. */
export function precision(m: Matrix, verdict: Verdict): number | null {
  return ratio(m[verdict][verdict], columnTotal(m, verdict));
}

/** Of the hits that truly were `verdict`, the share judged so. */
export function recall(m: Matrix, verdict: Verdict): number | null {
  return ratio(m[verdict][verdict], rowTotal(m, verdict));
}

/** Of the hits that truly were `truth`, the share judged `verdict`. */
export function judgedAs(m: Matrix, truth: Verdict, verdict: Verdict): number | null {
  return ratio(m[truth][verdict], rowTotal(m, truth));
}

export interface Headline {
  botClickPrecision: number | null;
  botClickRecall: number | null;
  humanClickAsBot: number | null;
  machineOpenRecall: number | null;
  humanOpenAsMachine: number | null;
  /** Scanner opens (pixel fetches by security products) called bot. */
  botOpenRecall: number | null;
  humanOpenAsBot: number | null;
}

export function headline(opens: Matrix, clicks: Matrix): Headline {
  return {
    botClickPrecision: precision(clicks, 'bot'),
    botClickRecall: recall(clicks, 'bot'),
    humanClickAsBot: judgedAs(clicks, 'human', 'bot'),
    machineOpenRecall: recall(opens, 'machine'),
    humanOpenAsMachine: judgedAs(opens, 'human', 'machine'),
    botOpenRecall: recall(opens, 'bot'),
    humanOpenAsBot: judgedAs(opens, 'human', 'bot'),
  };
}

/** Three decimals, or n/a for an empty denominator. */
export function formatRate(value: number | null): string {
  return value === null ? 'n/a' : value.toFixed(3);
}

/** `<label>: bot_click_precision=0.991 bot_click_recall=0.934 ...`: the line scripts grep for. */
export function formatHeadline(label: string, h: Headline): string {
  return (
    `${label}: bot_click_precision=${formatRate(h.botClickPrecision)} bot_click_recall=${formatRate(h.botClickRecall)} ` +
    `human_click_as_bot=${formatRate(h.humanClickAsBot)} machine_open_recall=${formatRate(h.machineOpenRecall)} ` +
    `human_open_as_machine=${formatRate(h.humanOpenAsMachine)} bot_open_recall=${formatRate(h.botOpenRecall)} human_open_as_bot=${formatRate(h.humanOpenAsBot)}`
  );
}
