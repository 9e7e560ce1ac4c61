/**
 * CSV as RFC 4180 writes it: fields separated by commas, records by CRLF (LF accepted on reading),
 * a field quoted when it holds a comma, a quote or a line break, a quote inside doubled.
 *
 * Cells are neutralised against formula injection (OWASP "CSV injection"): a spreadsheet runs a cell
 * that starts with = + - @ (or a tab or carriage return) as a formula, so such a cell is written with
 * a leading apostrophe, which spreadsheets show as text. Reading takes that apostrophe off again, so
 * that what was exported imports as it was (an address may start with - or +).
 */

export class CsvError extends Error {
  override name = 'CsvError';
  constructor(
    readonly line: number,
    readonly problem: string,
  ) {
    super(`line ${line}: ${problem}`);
  }
}

/** A record and the line it starts on (1-based; a quoted field may span lines). */
export interface CsvRecord {
  line: number;
  fields: string[];
}

const FORMULA_START = /^[=+\-@\t\r]/;

/** The cell as written: an apostrophe before what a spreadsheet would run as a formula. */
export function neutralizeCell(value: string): string {
  return FORMULA_START.test(value) ? `'${value}` : value;
}

/** The cell as read: the apostrophe neutralizeCell added taken off. */
function restoreCell(value: string): string {
  return value.startsWith("'") && FORMULA_START.test(value.slice(1)) ? value.slice(1) : value;
}

function quoteField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** One record, neutralised and quoted, with its CRLF. */
export function formatCsvRecord(fields: readonly string[]): string {
  return `${fields.map((f) => quoteField(neutralizeCell(f))).join(',')}\r\n`;
}

/**
 * Every record of the text, with the line it starts on; empty lines are skipped. A quote inside an
 * unquoted field, text after a closing quote, or a quoted field never closed is refused naming its line.
 */
export function parseCsv(text: string): CsvRecord[] {
  const input = text.startsWith('\ufeff') ? text.slice(1) : text;
  const records: CsvRecord[] = [];
  let line = 1;
  let i = 0;
  while (i < input.length) {
    const start = line;
    const fields: string[] = [];
    let endOfRecord = false;
    while (!endOfRecord) {
      let value = '';
      if (input[i] === '"') {
        i++;
        for (;;) {
          if (i >= input.length) throw new CsvError(start, 'a quoted field is never closed');
          const c = input[i]!;
          if (c === '"') {
            if (input[i + 1] === '"') {
              value += '"';
              i += 2;
              continue;
            }
            i++;
            break;
          }
          if (c === '\n') line++;
          value += c;
          i++;
        }
        const next = input[i];
        if (next !== undefined && next !== ',' && next !== '\n' && next !== '\r') throw new CsvError(line, 'text after the closing quote of a field');
        fields.push(value);
      } else {
        while (i < input.length && input[i] !== ',' && input[i] !== '\n' && input[i] !== '\r') {
          if (input[i] === '"') throw new CsvError(line, 'a quote inside an unquoted field (quote the whole field and double the quote)');
          value += input[i];
          i++;
        }
        fields.push(value);
      }
      if (i >= input.length) {
        endOfRecord = true;
      } else if (input[i] === ',') {
        i++;
      } else {
        if (input[i] === '\r') i++;
        if (input[i] === '\n') i++;
        line++;
        endOfRecord = true;
      }
    }
    // Quoted fields too: a neutralised cell holding a comma was quoted.
    const restored = fields.map(restoreCell);
    if (!(restored.length === 1 && restored[0] === '')) records.push({ line: start, fields: restored });
  }
  return records;
}
