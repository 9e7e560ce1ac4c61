import type { InstrumentInput, InstrumentPlan, PlannedEdit, PlannedLink } from './plan.js';

/**
 * What an execution stores of its plan besides its content and link occurrences: the edits, with
 * their offsets, ordinals and quotes. A click token carries only an ordinal, resolved through the
 * stored link occurrences; rendering from stored edits keeps every message's ordinals where they
 * were at creation, whatever the settings (EXCLUDED_DESTINATIONS) or the planner say today.
 */
export interface StoredPlan {
  /** The format; a later one is read by code that knows it, never guessed at. */
  readonly version: typeof STORED_PLAN_VERSION;
  readonly htmlEdits: readonly PlannedEdit[];
  readonly textEdits: readonly PlannedEdit[];
}

export const STORED_PLAN_VERSION = 1;

export function toStoredPlan(plan: InstrumentPlan): StoredPlan {
  return { version: STORED_PLAN_VERSION, htmlEdits: plan.htmlEdits, textEdits: plan.textEdits };
}

/**
 * The plan an execution was created with, from its content, its stored edits and its stored link
 * occurrences (sorted by ordinal), or where they do not fit together (see planDisagreement).
 */
export function restorePlan(content: InstrumentInput, stored: StoredPlan, links: readonly PlannedLink[]): { plan: InstrumentPlan } | { disagreement: string } {
  if (stored.version !== STORED_PLAN_VERSION) return { disagreement: `the stored plan has format ${String(stored.version)}, not ${STORED_PLAN_VERSION}` };
  const plan: InstrumentPlan = {
    html: content.html ?? null,
    text: content.text ?? null,
    links: links.map(({ ordinal, url, raw, text, part, condition }) => ({ ordinal, url, raw, text, part, condition })),
    hasHoneypot: stored.htmlEdits.some((edit) => edit.kind === 'honeypot'),
    hasPixel: stored.htmlEdits.some((edit) => edit.kind === 'pixel'),
    htmlEdits: stored.htmlEdits,
    textEdits: stored.textEdits,
  };
  const disagreement = planDisagreement(plan, links);
  return disagreement === null ? { plan } : { disagreement };
}

/**
 * Where a plan disagrees with stored link occurrences, or null when it renders them: the same
 * occurrences (ordinal, part, destination, raw value) in the same order, every edit inside its part
 * and in order, every tracked edit naming an occurrence of its part, and each occurrence's primary
 * edit over the very text stored as its raw value. A message rendered from a plan that passes sends
 * each click to the link at that position in the content.
 */
export function planDisagreement(plan: InstrumentPlan, links: readonly PlannedLink[]): string | null {
  const count = Math.max(plan.links.length, links.length);
  for (let index = 0; index < count; index++) {
    const planned = plan.links[index];
    const stored = links[index];
    if (planned === undefined || stored === undefined) {
      return planned === undefined
        ? `stored ordinal ${stored!.ordinal} (${stored!.url}) is not found in the content`
        : `ordinal ${planned.ordinal} (${planned.url}) is found in the content but was not stored`;
    }
    for (const field of ['ordinal', 'part', 'url', 'raw'] as const) {
      if (planned[field] !== stored[field]) {
        return `ordinal ${stored.ordinal} is ${describe(stored)} as stored, ${describe(planned)} in the content`;
      }
    }
  }
  const byOrdinal = new Map(links.map((link) => [link.ordinal, link]));
  const primaries = new Set<number>();
  for (const [part, source, edits] of [['html', plan.html, plan.htmlEdits], ['text', plan.text, plan.textEdits]] as const) {
    let cursor = 0;
    for (const edit of edits) {
      if (source === null || !(Number.isInteger(edit.start) && edit.start >= cursor && edit.end >= edit.start && edit.end <= source.length)) {
        return `an edit of the ${part} part (${edit.start}-${edit.end}) is out of order or outside the part`;
      }
      cursor = edit.end;
      if (edit.kind !== 'href' && edit.kind !== 'text-url') continue;
      const link = byOrdinal.get(edit.ordinal);
      if (link === undefined || link.part !== part) return `an edit of the ${part} part names ordinal ${edit.ordinal}, which has no ${part} occurrence`;
      if (edit.kind === 'text-url' || edit.primary) {
        if (source.slice(edit.start, edit.end) !== link.raw) return `ordinal ${edit.ordinal}'s edit is not over its stored value ${JSON.stringify(link.raw)}`;
        primaries.add(edit.ordinal);
      }
    }
  }
  const unwritten = links.find((link) => !primaries.has(link.ordinal));
  return unwritten === undefined ? null : `ordinal ${unwritten.ordinal} (${unwritten.url}) has no edit`;
}

function describe(link: PlannedLink): string {
  return `${link.url} (${link.part}, written ${JSON.stringify(link.raw)})`;
}
