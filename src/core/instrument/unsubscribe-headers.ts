import { InstrumentError } from './instrument-error.js';

export interface UnsubscribeTargets {
  /** The one-click endpoint. RFC 8058 requires https; see unsubscribeHeaders for http. */
  httpsUrl: string;
  /** An address (with or without `mailto:`) for clients that only send mail. */
  mailto?: string | null;
}

const ONE_CLICK = { 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' } as const;

/**
 * `List-Unsubscribe` (RFC 2369) with the one-click POST marker (RFC 8058),
 * which Gmail and Yahoo require of bulk senders. The web target comes first:
 * clients use the first target they support. An http URL (a server on
 * localhost, the demo) still gets `List-Unsubscribe`, but not the one-click
 * marker, which RFC 8058 allows only with an https URL.
 */
export function unsubscribeHeaders(opts: UnsubscribeTargets): Record<string, string> {
  const web = headerSafe('httpsUrl', opts.httpsUrl);
  if (!/^https?:\/\/[^/?#]/i.test(web)) {
    throw new InstrumentError('INVALID_OPTION', `httpsUrl must be an absolute https URL (http only for a local server), got ${JSON.stringify(opts.httpsUrl)}`);
  }
  const targets = [`<${web}>`];
  const mailto = opts.mailto?.trim();
  if (mailto) {
    const address = headerSafe('mailto', mailto);
    targets.push(`<${/^mailto:/i.test(address) ? address : `mailto:${address}`}>`);
  }
  const listUnsubscribe = { 'List-Unsubscribe': targets.join(', ') };
  return /^https:/i.test(web) ? { ...listUnsubscribe, ...ONE_CLICK } : listUnsubscribe;
}

/**
 * A target goes between angle brackets in a header line: whitespace, line
 * breaks or brackets would end it early or inject another header.
 */
function headerSafe(field: string, value: string): string {
  const trimmed = value.trim();
  if (trimmed === '' || /[\s<>]/.test(trimmed)) {
    throw new InstrumentError('INVALID_OPTION', `${field} must be a non-empty URI without whitespace or angle brackets, got ${JSON.stringify(value)}`);
  }
  return trimmed;
}
