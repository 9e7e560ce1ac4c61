import { writeAttributeValue } from './attribute-value.js';
import { HONEYPOT_ORDINAL, honeypotMarkup } from './honeypot.js';
import { pixelMarkup } from './pixel.js';
import type { InstrumentPlan, PlannedEdit, PlannedLink } from './plan.js';

/** The per-message URLs, built by the caller (signing is not the core's business here). */
export interface TrackingUrls {
  /** Absolute https URL of the signed redirect for one occurrence. */
  click(ordinal: number): string;
  /** Absolute URL of the open pixel. */
  open(): string;
  /** URL of the honeypot link; ordinal 0 is reserved for it. */
  honeypot(): string;
}

export interface LinkOccurrence extends PlannedLink {
  /** The value written in place of `raw` (attribute-escaped in the HTML part). */
  tracked: string;
}

export interface InstrumentResult {
  html: string | null;
  text: string | null;
  /** The exact pixel markup inserted, or null. */
  pixel: string | null;
  /** Document order: HTML links, then text links. */
  links: LinkOccurrence[];
  honeypot: { ordinal: typeof HONEYPOT_ORDINAL; markup: string } | null;
}

/**
 * Writes one message's URLs into a plan: string splicing only, so it is cheap
 * to run for every recipient of an execution.
 */
export function applyPlan(plan: InstrumentPlan, urls: TrackingUrls): InstrumentResult {
  const clickUrls = new Map<number, string>();
  const clickUrl = (ordinal: number): string => {
    let url = clickUrls.get(ordinal);
    if (url === undefined) {
      url = urls.click(ordinal);
      clickUrls.set(ordinal, url);
    }
    return url;
  };
  const tracked = new Map<number, string>();
  const pixel = plan.hasPixel ? pixelMarkup(urls.open()) : null;
  const honeypot = plan.hasHoneypot ? honeypotMarkup(urls.honeypot()) : null;

  const replacement = (edit: PlannedEdit): string => {
    switch (edit.kind) {
      case 'href': {
        const written = writeAttributeValue(clickUrl(edit.ordinal), edit.quote);
        if (edit.primary) tracked.set(edit.ordinal, written.value);
        return written.markup;
      }
      case 'text-url': {
        const url = clickUrl(edit.ordinal);
        tracked.set(edit.ordinal, url);
        return url;
      }
      case 'remove':
        return '';
      case 'pixel':
        return pixel ?? '';
      case 'honeypot':
        return honeypot ?? '';
    }
  };

  const html = plan.html === null ? null : splice(plan.html, plan.htmlEdits, replacement);
  const text = plan.text === null ? null : splice(plan.text, plan.textEdits, replacement);
  return {
    html,
    text,
    pixel,
    // Every planned link has a primary edit, so `tracked` is always set by now.
    links: plan.links.map((link) => ({ ...link, tracked: tracked.get(link.ordinal) ?? clickUrl(link.ordinal) })),
    honeypot: honeypot === null ? null : { ordinal: HONEYPOT_ORDINAL, markup: honeypot },
  };
}

function splice(source: string, edits: readonly PlannedEdit[], replacement: (edit: PlannedEdit) => string): string {
  if (edits.length === 0) return source;
  const pieces: string[] = [];
  let cursor = 0;
  for (const edit of edits) {
    pieces.push(source.slice(cursor, edit.start), replacement(edit));
    cursor = edit.end;
  }
  pieces.push(source.slice(cursor));
  return pieces.join('');
}
