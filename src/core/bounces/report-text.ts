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
  /^\s*(?:[-=_*]{2,}\s*(?:a |the )?(?:copy of|original|unsent|returned|undelivered|rejected|header|message|your message|start|begin|rfc ?822)|[-=_*\s]*(?:below this line is a copy|this is a copy of (?:the|your) message|(?:original|unsent|returned|undelivered) (?:message|mail) (?:follows|headers? follows?)|message headers? follows?|your message reads|the (?:original )?message headers? (?:follows?|were|are)))/i;
/** Header fields that start a quoted message when two such lines follow one another. */
const QUOTED_HEADER_START = /^(?:return-path|received|message-id|dkim-signature|x-[a-z0-9-]+|from|to|subject|date|mime-version|content-type|delivered-to|authentication-results|arc-seal|reply-to):/i;

/** The report text with the returned message's copy cut off (line based, LF line endings). */
export function cutReturnedMessage(text: string): string {
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.length < 200 && RETURNED_MESSAGE_MARKER.test(line)) return lines.slice(0, i).join('\n');
    if (QUOTED_HEADER_START.test(line) && i + 1 < lines.length && startsHeaderRun(lines, i) && (i === 0 || lines[i - 1]!.trim() === '')) {
      return lines.slice(0, i).join('\n');
    }
  }
  return text;
}

/** Three field lines (or field and continuation lines) in a row: a header block, not prose. */
function startsHeaderRun(lines: readonly string[], start: number): boolean {
  let fields = 0;
  for (let i = start; i < lines.length && i < start + 3; i++) {
    const line = lines[i]!;
    if (isFieldLine(line) || /^[ \t]+\S/.test(line)) fields++;
    else return false;
  }
  return fields >= 3;
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
  if (entity.contentType === 'text/plain' || entity.contentType === 'text/enriched') texts.push(entity.text);
  else if (entity.contentType === 'text/html') texts.push(htmlToText(entity.text));
}
