/**
 * How a bounce points back at the message it is about (delivery.md, "Correlate a bounce"): the
 * VERP token in the address the bounce was sent to, the DSN's Original-Envelope-Id, the Message-ID of
 * the returned original; and a stable id for each reported fact, so that the same mail ingested twice
 * gives the same ids.
 */
import { createHash } from 'node:crypto';
import type { MessageReference } from '../outcomes/reported-outcome.js';

/** The VERP local part before "+": bounces come back to `bounce+<token>@<domain>`. */
export const DEFAULT_VERP_LOCAL_PART = 'bounce';

/** Every address in a header value such as `"Name" <a@b>, c@d`, lower-cased, in order. */
export function addressesIn(value: string | null): string[] {
  if (!value) return [];
  const found: string[] = [];
  for (const match of value.matchAll(/[^\s<>()",;:[\]]+@[^\s<>()",;:[\]]+/g)) {
    const address = match[0].replace(/^['.]+|['.]+$/g, '').toLowerCase();
    if (!found.includes(address)) found.push(address);
  }
  return found;
}

/** The token of the first `<localPart>+<token>@domain` address among candidates, or null. */
export function verpToken(candidates: readonly string[], localPart: string = DEFAULT_VERP_LOCAL_PART): string | null {
  const prefix = localPart.toLowerCase() + '+';
  for (const candidate of candidates) {
    for (const address of addressesIn(candidate)) {
      if (!address.startsWith(prefix)) continue;
      const token = address.slice(prefix.length, address.indexOf('@'));
      if (token !== '') return token;
    }
  }
  return null;
}

/** A Message-ID without its angle brackets and blanks, or null when empty. */
export function bareMessageId(value: string | null): string | null {
  if (!value) return null;
  const bracketed = /<([^<>]+)>/.exec(value);
  const id = (bracketed ? bracketed[1]! : value).trim();
  return id === '' ? null : id;
}

export function makeReference(parts: MessageReference): MessageReference {
  return {
    token: parts.token ?? null,
    providerMessageId: parts.providerMessageId ?? null,
    messageIdHeader: parts.messageIdHeader ?? null,
    envelopeId: parts.envelopeId ?? null,
  };
}

/**
 * What identifies a report mail: its own Message-ID when it has one (a retried delivery of the same
 * bounce keeps it), otherwise a digest of its bytes.
 */
export function reportKey(messageId: string | null, raw: Buffer | string): string {
  if (messageId) return 'mid:' + messageId;
  return 'raw:' + createHash('sha256').update(raw).digest('hex');
}

/** A stable id for the fact about one recipient of a report: 32 hex characters. */
export function outcomeId(reportKeyValue: string, index: number, recipient: string | null): string {
  return createHash('sha256').update(`${reportKeyValue}\n${index}\n${recipient ?? ''}`).digest('hex').slice(0, 32);
}

/** Epoch ms of an RFC 5322 or ISO date, or null when it cannot be read. */
export function parseReportDate(value: string | null): number | null {
  if (!value) return null;
  const withoutComment = value.replace(/\([^)]*\)/g, ' ').trim();
  const parsed = Date.parse(withoutComment);
  return Number.isNaN(parsed) ? null : parsed;
}
