/**
 * RFC 5322 header blocks: the header of a message or a MIME part, and the field blocks of a
 * message/delivery-status or message/feedback-report body, which have the same syntax. Lines are
 * unfolded; values stay as written (binary strings) until a caller decodes them.
 */

export interface HeaderBlock {
  /** Field names lower-cased, values unfolded and trimmed, in the order written; repeated fields appear once each. */
  readonly fields: ReadonlyArray<readonly [name: string, value: string]>;
}

/** A field name: printable ASCII but colon and space (RFC 5322 2.2); a line without one is not a field. */
const FIELD_LINE = /^([!-9;-~]+)[ \t]*:[ \t]*(.*)$/;

/** Whether a line could start a header field: what tells a header block from prose. */
export function isFieldLine(line: string): boolean {
  return FIELD_LINE.test(line);
}

/** Fields of header lines (no blank line among them); lines that are neither a field nor a continuation are skipped. */
export function parseHeaderLines(lines: readonly string[]): HeaderBlock {
  const fields: Array<[string, string]> = [];
  let current: [string, string] | null = null;
  for (const line of lines) {
    const first = line.charCodeAt(0);
    if ((first === 32 || first === 9) && current) {
      current[1] += ' ' + line.trim();
      continue;
    }
    const match = FIELD_LINE.exec(line);
    if (!match) {
      current = null;
      continue;
    }
    current = [match[1]!.toLowerCase(), match[2]!.trimEnd()];
    fields.push(current);
  }
  for (const field of fields) field[1] = field[1].trim();
  return { fields };
}

/** The first value of a field, or null. */
export function headerValue(block: HeaderBlock, name: string): string | null {
  for (const [fieldName, value] of block.fields) if (fieldName === name) return value;
  return null;
}

/** Every value of a field, in order. */
export function headerValues(block: HeaderBlock, name: string): string[] {
  const values: string[] = [];
  for (const [fieldName, value] of block.fields) if (fieldName === name) values.push(value);
  return values;
}

/**
 * Splits text made of header blocks separated by blank lines (a delivery-status body) into blocks.
 * Lines of blanks only count as separators; empty blocks are dropped.
 */
export function parseHeaderBlocks(text: string): HeaderBlock[] {
  const blocks: HeaderBlock[] = [];
  let lines: string[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') {
      if (lines.length > 0) blocks.push(parseHeaderLines(lines));
      lines = [];
    } else {
      lines.push(line);
    }
  }
  if (lines.length > 0) blocks.push(parseHeaderLines(lines));
  return blocks.filter((block) => block.fields.length > 0);
}

export interface ParameterizedValue {
  /** The value before the first ";", lower-cased (a media type such as "multipart/report"). */
  value: string;
  /** Parameters with lower-cased names; RFC 2231 continuations and charsets are joined and dropped. */
  params: Record<string, string>;
}

/** Splits a structured value such as Content-Type: `type/subtype; name=value; name="quoted; value"`. */
export function parseParameterized(raw: string): ParameterizedValue {
  const params: Record<string, string> = {};
  let i = raw.indexOf(';');
  const head = (i < 0 ? raw : raw.slice(0, i)).trim().toLowerCase();
  // A missing ";" ("text/plain charset=...", seen in the wild) leaves the media type as the first word.
  const value = /^[\w.+-]+\/[\w.+-]+/.exec(head)?.[0] ?? head;
  while (i >= 0 && i < raw.length) {
    i++;
    while (raw[i] === ' ' || raw[i] === '\t' || raw[i] === ';') i++;
    const eq = raw.indexOf('=', i);
    if (eq < 0) break;
    const name = raw.slice(i, eq).trim().toLowerCase();
    let j = eq + 1;
    while (raw[j] === ' ' || raw[j] === '\t') j++;
    let paramValue: string;
    if (raw[j] === '"') {
      let k = j + 1;
      paramValue = '';
      while (k < raw.length && raw[k] !== '"') {
        if (raw[k] === '\\' && k + 1 < raw.length) k++;
        paramValue += raw[k];
        k++;
      }
      i = raw.indexOf(';', k);
    } else {
      const end = raw.indexOf(';', j);
      paramValue = (end < 0 ? raw.slice(j) : raw.slice(j, end)).trim();
      i = end;
    }
    addParameter(params, name, paramValue);
  }
  return { value, params };
}

/** RFC 2231: `name*0=`, `name*1*=`, `name*=charset''value`; joined under the plain name, charset dropped. */
function addParameter(params: Record<string, string>, name: string, value: string): void {
  const star = name.indexOf('*');
  if (star < 0) {
    if (!(name in params)) params[name] = value;
    return;
  }
  const base = name.slice(0, star);
  let text = value;
  if (name.endsWith('*')) {
    const quote = text.indexOf("''");
    if (quote >= 0 && (name === base + '*' || name.endsWith('*0*'))) text = text.slice(quote + 2);
    try {
      text = decodeURIComponent(text);
    } catch {
      // Not percent-encoded after all: keep it.
    }
  }
  params[base] = (params[base] ?? '') + text;
}
