import { describe, expect, it } from 'vitest';
import { CsvError, formatCsvRecord, neutralizeCell, parseCsv } from './csv.js';

describe('CSV (RFC 4180)', () => {
  it('quotes commas, quotes and line breaks, and reads them back with their lines', () => {
    const text = formatCsvRecord(['email', 'note']) + formatCsvRecord(['a@b.example', 'said "no", twice\r\nthen left']) + formatCsvRecord(['c@d.example', '']);
    expect(text).toBe('email,note\r\na@b.example,"said ""no"", twice\r\nthen left"\r\nc@d.example,\r\n');
    expect(parseCsv(text)).toEqual([
      { line: 1, fields: ['email', 'note'] },
      { line: 2, fields: ['a@b.example', 'said "no", twice\r\nthen left'] },
      { line: 4, fields: ['c@d.example', ''] },
    ]);
  });

  it('reads LF files, a BOM, skips empty lines, and a last line without a break', () => {
    expect(parseCsv('\ufeffa,b\n\nc,d')).toEqual([
      { line: 1, fields: ['a', 'b'] },
      { line: 3, fields: ['c', 'd'] },
    ]);
  });

  it('neutralises formulas on writing and takes the apostrophe off on reading', () => {
    for (const cell of ['=HYPERLINK("http://evil.example")', '+1', '-2+3', '@SUM(A1)', '\tx', '\rx']) {
      expect(neutralizeCell(cell)).toBe(`'${cell}`);
      expect(parseCsv(formatCsvRecord([cell, 'x']))[0]!.fields).toEqual([cell, 'x']);
    }
    expect(formatCsvRecord(['=1+1,2'])).toBe(`"'=1+1,2"\r\n`);
    expect(neutralizeCell("it's")).toBe("it's");
    expect(parseCsv("'plain\r\n")[0]!.fields).toEqual(["'plain"]);
  });

  it('refuses malformed quoting naming the line', () => {
    expect(() => parseCsv('a,b\nc,"d')).toThrow(new CsvError(2, 'a quoted field is never closed'));
    expect(() => parseCsv('a,b\nc,d"e\n')).toThrow(/^line 2: a quote inside an unquoted field/);
    expect(() => parseCsv('a\n"x"y,z\n')).toThrow(/^line 2: text after the closing quote/);
  });
});
