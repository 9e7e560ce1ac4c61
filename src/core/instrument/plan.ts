import { honeypotPosition } from './honeypot.js';
import { scanHtml, type HtmlLink, type HtmlScan } from './html-scan.js';
import { InstrumentError } from './instrument-error.js';
import { pixelPosition } from './pixel.js';
import type { AttributeQuote } from './source-parser.js';
import { findTextUrls, type TextUrl } from './text-links.js';
import { createLinkPolicy, NO_TRACKING } from './url-rules.js';

export interface PlanOptions {
  /** Rewrite links to click-tracking URLs. */
  trackClicks: boolean;
  /** Insert the open pixel (HTML part only). */
  trackOpens: boolean;
  /** Rewrite bare http(s) URLs of the text part; default true. */
  rewriteText?: boolean;
  /** Add one hidden honeypot link (needs trackClicks); default false. */
  honeypot?: boolean;
  /** Template placeholder patterns besides the built-in ones; links matching one are left alone. */
  placeholderPatterns?: RegExp[];
  /** Hosts ("example.com", subdomains included) or URL prefixes ("https://x.example/path") left alone. */
  excludedDestinations?: string[];
  /**
   * Refuse content over MAX_PART_LENGTH or MAX_LINKS_PER_EXECUTION; default true. False only for
   * content accepted before, when the limits were higher, which must still render.
   */
  checkLimits?: boolean;
}

export interface InstrumentInput {
  html?: string | null;
  text?: string | null;
}

export type LinkPart = 'html' | 'text';

/**
 * How many links of a message a reader can click: its HTML links, or its text links when it has no
 * HTML part (a message with both shows one of them, and the HTML part is the one that gets clicked).
 */
export function trackableLinkCount(links: readonly { part: LinkPart }[]): number {
  const html = links.filter((l) => l.part === 'html').length;
  return html > 0 ? html : links.length;
}

/** One link occurrence: what a click-tracking URL will stand for. */
export interface PlannedLink {
  /** 1-based: HTML links in document order, then text links. 0 is the honeypot's. */
  ordinal: number;
  /** The destination, entities decoded. */
  url: string;
  /** The href exactly as in the source (for text links, the URL as written). */
  raw: string;
  /** The visible label, whitespace collapsed; an image's alt; the URL itself for text links. */
  text: string;
  part: LinkPart;
  /** The innermost `data-condition` around the link, or null. */
  condition: string | null;
}

/**
 * A change to one part: replace `start..end` of the source (an insertion when
 * they are equal). Sorted by `start`; ranges never overlap.
 */
export type PlannedEdit =
  /** An href value; `primary` marks the one whose value is the occurrence's `raw`. */
  | { readonly kind: 'href'; readonly start: number; readonly end: number; readonly ordinal: number; readonly quote: AttributeQuote; readonly primary: boolean }
  /** A URL in the text part, replaced verbatim. */
  | { readonly kind: 'text-url'; readonly start: number; readonly end: number; readonly ordinal: number }
  /** A `data-notrack` attribute, dropped. */
  | { readonly kind: 'remove'; readonly start: number; readonly end: number }
  | { readonly kind: 'pixel' | 'honeypot'; readonly start: number; readonly end: number };

/**
 * Everything about a message that does not depend on the recipient, so one
 * plan serves every message of an execution and `applyPlan` only splices.
 */
export interface InstrumentPlan {
  readonly html: string | null;
  readonly text: string | null;
  links: PlannedLink[];
  readonly hasHoneypot: boolean;
  readonly hasPixel: boolean;
  readonly htmlEdits: readonly PlannedEdit[];
  readonly textEdits: readonly PlannedEdit[];
}

/**
 * Longest part (HTML or text) accepted, in characters (UTF-16 code units; bytes, for ASCII): 2 MiB.
 * Gmail clips a message past 102 KB and a large newsletter's HTML is a few hundred KB, so no real
 * message comes near; the bound keeps what one execution costs (planning, a rendered message and its
 * API answer, its cached plan) to a few MB. docs/benchmarks.md measures the largest accepted input.
 */
export const MAX_PART_LENGTH = 2 * 1024 * 1024;

/**
 * Most link occurrences (HTML and text parts together) in one execution: a huge newsletter has a few
 * hundred. Each is a stored row, a tracking URL in every message and an entry in its API answer.
 */
export const MAX_LINKS_PER_EXECUTION = 5_000;

export function planInstrumentation(input: InstrumentInput, options: PlanOptions): InstrumentPlan {
  const html = input.html ?? null;
  const text = input.text ?? null;
  const checkLimits = options.checkLimits !== false;
  if (checkLimits) {
    assertWithinLimit('html', html);
    assertWithinLimit('text', text);
  }

  const policy = options.trackClicks ? createLinkPolicy(options) : NO_TRACKING;
  const scan = html === null ? null : scanHtml(html, policy);
  const textUrls = text !== null && options.trackClicks && options.rewriteText !== false
    ? findTextUrls(text, policy)
    : [];
  const htmlLinks = scan?.links ?? [];
  if (checkLimits) assertFewEnoughLinks(htmlLinks.length, textUrls.length);
  const hasHoneypot = scan !== null && options.trackClicks && options.honeypot === true;
  const hasPixel = scan !== null && options.trackOpens;
  const htmlEdits = scan === null ? [] : htmlEditsOf(scan, { honeypot: hasHoneypot, pixel: hasPixel });

  const firstTextOrdinal = htmlLinks.length + 1;
  return {
    html,
    text,
    links: [
      ...htmlLinks.map((link, index) => htmlPlannedLink(link, index + 1)),
      ...textUrls.map((url, index) => textPlannedLink(url, firstTextOrdinal + index)),
    ],
    hasHoneypot,
    hasPixel,
    htmlEdits,
    textEdits: textUrls.map((url, index) => ({ kind: 'text-url', start: url.start, end: url.end, ordinal: firstTextOrdinal + index })),
  };
}

function assertWithinLimit(part: LinkPart, value: string | null): void {
  if (value !== null && value.length > MAX_PART_LENGTH) {
    throw new InstrumentError(
      'INPUT_TOO_LARGE',
      `${part}: the part is ${value.length} characters long; the limit is ${MAX_PART_LENGTH} (2 MiB)`,
    );
  }
}

function assertFewEnoughLinks(html: number, text: number): void {
  if (html + text > MAX_LINKS_PER_EXECUTION) {
    const fields = [html > 0 ? 'html' : null, text > 0 ? 'text' : null].filter((field) => field !== null).join(', ');
    throw new InstrumentError(
      'TOO_MANY_LINKS',
      `${fields}: ${html + text} links to track (html ${html}, text ${text}); the limit is ${MAX_LINKS_PER_EXECUTION} per execution`,
    );
  }
}

/**
 * The edits of the HTML part, sorted. `data-notrack` markers are dropped even
 * when clicks are not tracked: they are instructions to us, not content.
 */
function htmlEditsOf(scan: HtmlScan, insert: { honeypot: boolean; pixel: boolean }): PlannedEdit[] {
  const edits: PlannedEdit[] = [];
  if (insert.honeypot) {
    const at = honeypotPosition(scan.landmarks);
    edits.push({ kind: 'honeypot', start: at, end: at });
  }
  scan.links.forEach((link, index) => edits.push(...hrefEdits(link, index + 1)));
  for (const range of scan.notrackAttributes) edits.push({ kind: 'remove', ...range });
  if (insert.pixel) {
    const at = pixelPosition(scan.landmarks);
    edits.push({ kind: 'pixel', start: at, end: at });
  }
  // Stable: at one offset the honeypot (pushed first) precedes the pixel.
  return edits.sort((a, b) => a.start - b.start);
}

function hrefEdits(link: HtmlLink, ordinal: number): PlannedEdit[] {
  return link.sites.map((site): PlannedEdit => ({
    kind: 'href',
    start: site.start,
    end: site.end,
    ordinal,
    quote: site.quote,
    primary: site === link.primary,
  }));
}

function htmlPlannedLink(link: HtmlLink, ordinal: number): PlannedLink {
  return { ordinal, url: link.url, raw: link.raw, text: link.text, part: 'html', condition: link.condition };
}

function textPlannedLink(url: TextUrl, ordinal: number): PlannedLink {
  return { ordinal, url: url.url, raw: url.url, text: url.url, part: 'text', condition: null };
}
