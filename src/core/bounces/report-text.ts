/**
 * The human-readable part of a bounce: what the reporting server wrote, without the copy of the
 * returned message. Non-standard bounces (qmail, old sendmail, Exim, Exchange, providers' own texts)
 * say everything here; standard DSNs often say more here than in their Diagnostic-Code.
 */
import { isFieldLine } from './header-block.js';
import type { MimeEntity } from './mime-reader.js';

/**
 * Lines that announce the copy of the returned message, in the words MTAs use ("--- Below this line
 * is a copy of the message.", "------ This is a copy of the message, including all the headers.",
 * "----- Original message -----", "Unsent message follows", "Message headers follow"). Sendmail's
 * "The original message was received at ..." opens its report, so plain prose needs the dashes.
 */
const RETURNED_MESSAGE_MARKER =
  /^\s*(?:[-=_*]{2,}\s*(?:a |the )?(?:copy of|original (?:message|mail|headers?|text)|(?:unsent|returned|undelivered|rejected|bounced) (?:message|mail)|(?:message|original) (?:headers?|text|body) follows?|message follows|headers? of|your message|(?:start|begin(?:ning)?) of|rfc ?822|included message)|[-=_*\s]*(?:below this line is a copy|this is a copy of (?:the|your) message|(?:original|unsent|returned|undelivered) (?:message|mail) (?:follows|headers? follows?)|message headers? follows?|your message reads|included is a copy of (?:the|your) (?:message|original)|the (?:original )?message headers? (?:follows?|were|are)))/i;
/** Header fields that start a quoted message. */
const QUOTED_HEADER_START = /^(?:return-path|received|message-id|dkim-signature|x-[a-z0-9-]+|from|to|subject|date|mime-version|content-type|delivered-to|authentication-results|arc-seal|reply-to):/i;
/** Fields that only a message header has: a report quoting "To:", "Date:" and "Subject:" is still prose. */
const MESSAGE_ONLY_FIELD = /^(?:return-path|received|message-id|dkim-signature|x-[a-z0-9-]+|mime-version|content-type|delivered-to|authentication-results|arc-[a-z-]+):/i;

/** Where the copy of the returned message starts (its marker line or its first header line), or -1. */
function returnedMessageStart(lines: readonly string[]): { line: number; marker: boolean } | null {
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.length < 200 && RETURNED_MESSAGE_MARKER.test(line)) return { line: i, marker: true };
    if (QUOTED_HEADER_START.test(line) && (i === 0 || lines[i - 1]!.trim() === '') && startsHeaderRun(lines, i)) return { line: i, marker: false };
  }
  return null;
}

/** The report text with the returned message's copy cut off (line based, LF line endings). */
export function cutReturnedMessage(text: string): string {
  const lines = text.split('\n');
  const start = returnedMessageStart(lines);
  return start ? lines.slice(0, start.line).join('\n') : text;
}

/** The header lines of a returned message copied into a text body, or null when there is none. */
export function returnedHeaderLines(text: string): string[] | null {
  const lines = text.split('\n');
  const start = returnedMessageStart(lines);
  if (!start) return null;
  let first = start.marker ? start.line + 1 : start.line;
  while (first < lines.length && !isFieldLine(lines[first]!)) {
    if (first - start.line > 5) return null;
    first++;
  }
  const end = lines.indexOf('', first);
  return lines.slice(first, end < 0 ? lines.length : end);
}

/** Three field lines (or field and continuation lines) in a row, one of them a field only headers have. */
function startsHeaderRun(lines: readonly string[], start: number): boolean {
  let fields = 0;
  let messageOnly = false;
  for (let i = start; i < lines.length && i < start + 6; i++) {
    const line = lines[i]!;
    if (isFieldLine(line)) {
      fields++;
      messageOnly ||= MESSAGE_ONLY_FIELD.test(line);
    } else if (!/^[ \t]+\S/.test(line)) break;
  }
  return fields >= 3 && messageOnly;
}

/** Text of an HTML part, enough to read the words of a provider's formatted bounce. */
export function htmlToText(html: string): string {
  return html
    .replace(/<(script|style|head)\b[\s\S]*?<\/\1\s*>/gi, ' ')
    .replace(/<br\s*\/?>|<\/(?:p|div|tr|li|h\d|table)>/gi, '\n')
    .replace(/<[^>]*>/g, ' ')
    .replace(/&nbsp;/gi, ' ')
    .replace(/&lt;/gi, '<')
    .replace(/&gt;/gi, '>')
    .replace(/&quot;/gi, '"')
    .replace(/&#39;|&apos;/gi, "'")
    .replace(/&amp;/gi, '&')
    .replace(/[ \t]+/g, ' ');
}

/**
 * The human text of a bounce: the text parts outside any embedded message, in order (an HTML part
 * only when its multipart/alternative has no plain text), each cut before a returned message's copy.
 */
export function reportText(root: MimeEntity): string {
  const texts: string[] = [];
  collectText(root, texts);
  return texts.map(cutReturnedMessage).join('\n\n');
}

function collectText(entity: MimeEntity, texts: string[]): void {
  if (entity.parts.length > 0) {
    const alternative = entity.contentType === 'multipart/alternative';
    const hasPlain = entity.parts.some((part) => part.contentType === 'text/plain');
    for (const part of entity.parts) {
      if (alternative && hasPlain && part.contentType !== 'text/plain') continue;
      collectText(part, texts);
    }
    return;
  }
  // A multipart without parts (its boundary never occurs) is read as the text it is.
  if (entity.contentType === 'text/plain' || entity.contentType === 'text/enriched' || entity.contentType.startsWith('multipart/')) texts.push(entity.text);
  else if (entity.contentType === 'text/html') texts.push(htmlToText(entity.text));
}
