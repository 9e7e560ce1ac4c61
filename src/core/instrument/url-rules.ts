import { InstrumentError } from './instrument-error.js';

/**
 * Decides which link destinations get a click-tracking URL. One policy serves
 * the HTML hrefs and the bare URLs of the text part, so both parts follow the
 * same rules.
 */
export interface LinkPolicy {
  /**
   * Returns the destination to record for an entity-decoded href (or a URL found
   * in plain text), trimmed the way browsers trim URL attributes, or null when
   * the value must be left as it is.
   */
  destination(value: string): string | null;
  /** Whether a value holds a template placeholder, built-in or declared by the caller. */
  isTemplated(value: string): boolean;
}

export interface LinkPolicyOptions {
  placeholderPatterns?: readonly RegExp[];
  excludedDestinations?: readonly string[];
}

/** The policy used when click tracking is off: nothing is a destination. */
export const NO_TRACKING: LinkPolicy = { destination: () => null, isTemplated: (value) => hasPlaceholder(value) };

/**
 * Template syntaxes of common sending platforms. A URL holding one is filled in
 * after us, per recipient: wrapping it would freeze the unexpanded template.
 * Half a pair is enough, because a URL in plain text stops at the first space
 * and `{{ name }}` is then cut in two. None of these sequences is valid
 * unescaped in a URL, so a real destination never matches.
 */
const BUILT_IN_PLACEHOLDERS: readonly RegExp[] = [
  /\{\{|\}\}/, // Handlebars, Mustache, Liquid, Jinja, Django
  /\{%|%\}/, // Liquid and Jinja tags
  /\$\{/, // JavaScript template literals, FreeMarker, Velocity
  /\*\||\|\*/, // Mailchimp merge tags *|FNAME|*
  /%%/, // Salesforce Marketing Cloud %%field%% and AMPscript %%=v(@x)=%%
  /\[\[|\]\]/, // Mailjet [[var:name]]
  /<%|%>/, // ERB, ASP, EJS
  /%7B%7B|%7D%7D/i, // editors that percent-encode the braces of {{ }}
];

/** HTML's "ASCII whitespace", which browsers strip around URL attributes. */
const SURROUNDING_ASCII_WHITESPACE = /^[\t\n\f\r ]+|[\t\n\f\r ]+$/g;

export function trimUrlAttribute(value: string): string {
  return value.replace(SURROUNDING_ASCII_WHITESPACE, '');
}

/**
 * `scheme://` directly followed by a host. The URL parser alone is lenient:
 * it reads `https:///path` as host "path" and `http:example.com` as host
 * "example.com", but in a message those are templates that lost their host,
 * and a click on them goes nowhere the sender meant.
 */
const HTTP_URL_WITH_AUTHORITY = /^https?:\/\/[^/\\?#]/i;

/** Parses an absolute http(s) URL with a host; anything else gives null. */
export function parseAbsoluteHttpUrl(value: string): URL | null {
  if (!HTTP_URL_WITH_AUTHORITY.test(value)) return null;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return null;
  }
  return url.hostname === '' ? null : url;
}

export function hasPlaceholder(value: string, extraPatterns: readonly RegExp[] = []): boolean {
  return BUILT_IN_PLACEHOLDERS.some((pattern) => pattern.test(value)) ||
    extraPatterns.some((pattern) => pattern.test(value));
}

type Exclusion =
  | { kind: 'host'; host: string }
  | { kind: 'prefix'; prefix: string };

export function createLinkPolicy(options: LinkPolicyOptions): LinkPolicy {
  const extraPatterns = (options.placeholderPatterns ?? []).map(withoutState);
  const exclusions = (options.excludedDestinations ?? [])
    .filter((entry) => entry.trim() !== '')
    .map(parseExclusion);
  return {
    isTemplated: (value) => hasPlaceholder(value, extraPatterns),
    destination(value) {
      const candidate = trimUrlAttribute(value);
      if (hasPlaceholder(candidate, extraPatterns)) return null;
      const url = parseAbsoluteHttpUrl(candidate);
      if (url === null || exclusions.some((exclusion) => excludes(exclusion, url))) return null;
      return candidate;
    },
  };
}

/**
 * A caller's /x/g pattern would remember `lastIndex` between calls and then
 * miss every other match; a stateless copy answers the same for every link.
 */
function withoutState(pattern: RegExp): RegExp {
  return new RegExp(pattern.source, pattern.flags.replace(/[gy]/g, ''));
}

/**
 * An entry with a scheme is a URL prefix; anything else is a host name, which
 * also covers its subdomains ("example.com" excludes "www.example.com").
 */
function parseExclusion(entry: string): Exclusion {
  const trimmed = entry.trim();
  if (trimmed.includes('://')) {
    const url = parseAbsoluteHttpUrl(trimmed);
    if (url === null) throw invalidExclusion(entry, 'it is not an absolute http(s) URL');
    return { kind: 'prefix', prefix: url.href };
  }
  const host = trimmed.replace(/^\*?\./, '');
  const url = parseAbsoluteHttpUrl(`http://${host}`);
  if (url === null || url.host !== url.hostname || url.pathname !== '/' || /[/?#@]/.test(host)) {
    throw invalidExclusion(entry, 'expected a host name such as "example.com" or a URL prefix such as "https://example.com/path"');
  }
  return { kind: 'host', host: url.hostname };
}

function invalidExclusion(entry: string, reason: string): InstrumentError {
  return new InstrumentError('INVALID_OPTION', `excludedDestinations entry ${JSON.stringify(entry)} is invalid: ${reason}`);
}

/**
 * Prefixes match at a boundary of the URL's structure, so that
 * "https://shop.example/p" excludes "https://shop.example/p/12" and
 * "https://shop.example/p?x" but not "https://shop.example/products".
 * Both sides are compared in the URL parser's normal form (lower-case scheme
 * and host, default port dropped).
 */
function excludes(exclusion: Exclusion, url: URL): boolean {
  if (exclusion.kind === 'host') {
    return url.hostname === exclusion.host || url.hostname.endsWith(`.${exclusion.host}`);
  }
  const { prefix } = exclusion;
  if (!url.href.startsWith(prefix)) return false;
  const next = url.href.charAt(prefix.length);
  return next === '' || prefix.endsWith('/') || next === '/' || next === '?' || next === '#';
}
