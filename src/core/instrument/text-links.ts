import type { LinkPolicy } from './url-rules.js';

/** A URL written in a plain-text part. */
export interface TextUrl {
  /** Offsets of the URL in the text, trailing punctuation excluded. */
  readonly start: number;
  readonly end: number;
  readonly url: string;
}

/**
 * A run that may be a URL: `http://` or `https://` not glued to a preceding
 * letter or digit, up to whitespace, a control character, or a character that
 * plain-text mail uses to delimit URLs (`<https://...>`, `"https://..."`).
 */
const URL_CANDIDATE = /(?<![A-Za-z0-9])https?:\/\/[^\s<>"\u0000-\u001f\u007f]*/gi;

/** Sentence punctuation and quotes a URL does not end with in running text. */
const TRAILING_PUNCTUATION = new Set(['.', ',', '!', '?', ';', ':', "'", '"', '\u2019', '\u201d']);
/** Closing brackets that belong to the URL only if it opened them: (see https://x.example/a_(b)). */
const BRACKET_PAIRS = new Map([
  [')', '('],
  [']', '['],
  ['}', '{'],
]);

/**
 * Finds the bare URLs of a text part that `policy` tracks, in order.
 */
export function findTextUrls(text: string, policy: LinkPolicy): TextUrl[] {
  const urls: TextUrl[] = [];
  for (const match of text.matchAll(URL_CANDIDATE)) {
    // A template expression anywhere in the run, even where the run is cut
    // below, means a template engine still has to fill it in.
    if (policy.isTemplated(match[0])) continue;
    const candidate = withoutTrailingPunctuation(match[0]);
    const url = policy.destination(candidate);
    if (url === null) continue;
    urls.push({ start: match.index, end: match.index + candidate.length, url });
  }
  return urls;
}

function withoutTrailingPunctuation(candidate: string): string {
  const balance = new Map<string, number>();
  for (const [close, open] of BRACKET_PAIRS) {
    balance.set(close, count(candidate, open) - count(candidate, close));
  }
  let end = candidate.length;
  while (end > 0) {
    const last = candidate.charAt(end - 1);
    const opensMinusCloses = balance.get(last);
    if (TRAILING_PUNCTUATION.has(last)) {
      end -= 1;
    } else if (opensMinusCloses !== undefined && opensMinusCloses < 0) {
      balance.set(last, opensMinusCloses + 1);
      end -= 1;
    } else {
      break;
    }
  }
  return candidate.slice(0, end);
}

function count(text: string, character: string): number {
  let total = 0;
  for (let index = text.indexOf(character); index !== -1; index = text.indexOf(character, index + 1)) total += 1;
  return total;
}
