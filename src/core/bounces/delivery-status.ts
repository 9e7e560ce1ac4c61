/**
 * The fields of a message/delivery-status body (RFC 3464 2.2, 2.3; RFC 6533 for the UTF-8 form):
 * one per-message block, then one block per recipient. Real reports bend the syntax (no blank line
 * between blocks, two recipients in one block, missing address types), so recipients are cut where a
 * recipient field repeats as well as at blank lines.
 */
import { parseHeaderBlocks } from './header-block.js';
import { decodeHeaderValue } from './text-decoding.js';

export interface DeliveryStatusFields {
  reportingMta: string | null;
  envelopeId: string | null;
  arrivalDate: string | null;
  recipients: RecipientStatusFields[];
}

export interface RecipientStatusFields {
  finalRecipient: string | null;
  originalRecipient: string | null;
  /** The comment after the Status code ("5.0.0 (host name lookup failure)"): a diagnostic when there is no Diagnostic-Code. */
  statusComment: string | null;
  /** failed, delayed, delivered, relayed, expanded (lower-cased), or what the report wrote. */
  action: string | null;
  status: string | null;
  diagnosticCode: string | null;
  remoteMta: string | null;
  lastAttemptDate: string | null;
}

function emptyRecipient(): RecipientStatusFields {
  return { finalRecipient: null, originalRecipient: null, statusComment: null, action: null, status: null, diagnosticCode: null, remoteMta: null, lastAttemptDate: null };
}

/** Drops the type of a typed value: "rfc822; a@b" -> "a@b", "smtp; 550 ..." -> "550 ...". */
export function stripValueType(value: string): string {
  const semicolon = value.indexOf(';');
  if (semicolon < 0 || semicolon > 20) return value.trim();
  return value.slice(semicolon + 1).trim();
}

/** An address as written in a recipient field, without type, brackets and trailing junk; lower-cased. */
export function cleanAddress(value: string): string | null {
  const bare = stripValueType(value);
  const bracketed = /<([^<>\s]+@[^<>\s]+)>/.exec(bare);
  const address = bracketed ? bracketed[1]! : (/[^\s<>()"',;:]+@[^\s<>()"',;:]+/.exec(bare)?.[0] ?? '');
  const trimmed = address.replace(/^['"]+|['".]+$/g, '').toLowerCase();
  return trimmed.includes('@') ? trimmed : null;
}

/**
 * RFC 3463's titles of the X.Y.0 codes ("other or undefined network or routing status"), which some
 * MTAs write after the code: they repeat the code and say nothing about this recipient.
 */
const GENERIC_STATUS_TITLE = /^other (?:or )?undefined\b|^other address status$/i;

/** The comment after a Status code, unless it only titles the code. */
function statusComment(value: string): string | null {
  const comment = /\((.+)\)/.exec(value)?.[1]?.trim();
  return comment && !GENERIC_STATUS_TITLE.test(comment) ? comment : null;
}

export function parseDeliveryStatus(text: string): DeliveryStatusFields {
  const result: DeliveryStatusFields = { reportingMta: null, envelopeId: null, arrivalDate: null, recipients: [] };
  let current = emptyRecipient();
  let touched = false;
  const flush = (): void => {
    if (touched && (current.finalRecipient || current.originalRecipient)) result.recipients.push(current);
    current = emptyRecipient();
    touched = false;
  };
  for (const block of parseHeaderBlocks(text)) {
    flush();
    for (const [name, rawValue] of block.fields) {
      const value = decodeHeaderValue(rawValue);
      switch (name) {
        case 'reporting-mta':
          result.reportingMta ??= stripValueType(value);
          break;
        case 'original-envelope-id':
          result.envelopeId ??= value.trim();
          break;
        case 'arrival-date':
          result.arrivalDate ??= value.trim();
          break;
        case 'final-recipient':
          if (current.finalRecipient) flush();
          current.finalRecipient = cleanAddress(value);
          touched = true;
          break;
        case 'original-recipient':
          // After a Final-Recipient it belongs to the same recipient, unless that one's fields were already given.
          if (current.originalRecipient || (current.finalRecipient && (current.status || current.diagnosticCode))) flush();
          current.originalRecipient = cleanAddress(value);
          touched = true;
          break;
        case 'action':
          current.action = value.trim().toLowerCase().split(/[\s(;]/)[0] ?? null;
          break;
        case 'status':
          current.status = /\d\.\d{1,3}\.\d{1,3}/.exec(value)?.[0] ?? null;
          current.statusComment = statusComment(value);
          break;
        case 'diagnostic-code':
          current.diagnosticCode = stripValueType(value) || null;
          break;
        case 'remote-mta':
          current.remoteMta = stripValueType(value) || null;
          break;
        case 'last-attempt-date':
          current.lastAttemptDate = value.trim();
          break;
      }
    }
  }
  flush();
  return result;
}
