import { Readable } from 'node:stream';
import { parse } from 'csv-parse';
import ExcelJS from 'exceljs';
import iconv from 'iconv-lite';

/**
 * Uploaded lead files as rows: CSV in UTF-8 or GBK/GB18030 (what Excel on Chinese Windows writes
 * when it saves "CSV"), or XLSX (the first worksheet). Each row keeps the line number a manager sees
 * in their editor or spreadsheet, so a rejection names it.
 */

export type LeadFileFormat = 'csv' | 'xlsx';
export type LeadFileEncoding = 'utf-8' | 'gb18030';

export interface SourceRow {
  /** CSV: the line the record ends on; XLSX: the sheet's row number. */
  line: number;
  cells: string[];
}

/** XLSX files are ZIP archives: they start with "PK\x03\x04". */
export function detectFormat(data: Buffer, fileName = ''): LeadFileFormat {
  if (data.length >= 4 && data[0] === 0x50 && data[1] === 0x4b && data[2] === 0x03 && data[3] === 0x04) return 'xlsx';
  if (/\.xlsx$/i.test(fileName)) return 'xlsx';
  return 'csv';
}

/**
 * UTF-8 when the bytes are valid UTF-8 (a BOM or not); otherwise GB18030, the superset of GBK and
 * GB2312 that every Chinese Windows code page decodes with. A GBK file of Chinese text is almost never
 * valid UTF-8 (its lead bytes 0x81-0xFE followed by 0x40-0xFE break UTF-8's continuation rule).
 */
export function detectEncoding(data: Buffer): LeadFileEncoding {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(data);
    return 'utf-8';
  } catch {
    return 'gb18030';
  }
}

export class LeadFileError extends Error {}

/** Longest line the CSV parser buffers (a 20 MB "line" is refused, not read into memory). */
const MAX_RECORD_BYTES = 64 * 1024;

async function* csvRows(data: Buffer, encoding: LeadFileEncoding): AsyncGenerator<SourceRow> {
  const text = Readable.from([data]).pipe(iconv.decodeStream(encoding === 'utf-8' ? 'utf8' : 'gb18030'));
  const parser = text.pipe(parse({ bom: true, skip_empty_lines: true, relax_column_count: true, trim: true, info: true, max_record_size: MAX_RECORD_BYTES }));
  try {
    for await (const r of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) yield { line: r.info.lines, cells: r.record };
  } catch (err) {
    const e = err as { code?: string; lines?: number };
    throw new LeadFileError(`line ${e.lines ?? '?'}: the CSV cannot be read further (${e.code ?? 'unreadable'})`);
  }
}

/** A spreadsheet cell as text: dates as YYYY-MM-DD, formulas by their result, rich text joined. */
export function cellText(v: ExcelJS.CellValue): string {
  if (v === null || v === undefined) return '';
  if (v instanceof Date) return v.toISOString().slice(0, 10);
  if (typeof v === 'number') return Number.isInteger(v) ? v.toFixed(0) : String(v);
  if (typeof v === 'string' || typeof v === 'boolean') return String(v).trim();
  if ('richText' in v) return v.richText.map((t) => t.text).join('').trim();
  if ('result' in v) return cellText(v.result as ExcelJS.CellValue);
  if ('text' in v) return cellText(v.text as ExcelJS.CellValue);
  if ('error' in v) return '';
  return '';
}

async function* xlsxRows(data: Buffer): AsyncGenerator<SourceRow> {
  const reader = new ExcelJS.stream.xlsx.WorkbookReader(Readable.from([data]), { sharedStrings: 'cache', hyperlinks: 'ignore', styles: 'cache', worksheets: 'emit', entries: 'emit' });
  try {
    for await (const sheet of reader) {
      for await (const row of sheet) {
        const values = (row as ExcelJS.Row).values as ExcelJS.CellValue[];
        const cells = Array.from(values.slice(1), (v) => cellText(v));
        while (cells.length > 0 && cells[cells.length - 1] === '') cells.pop();
        if (cells.length === 0) continue;
        yield { line: (row as ExcelJS.Row).number, cells };
      }
      return; // the first worksheet only
    }
  } catch (err) {
    if (err instanceof LeadFileError) throw err;
    throw new LeadFileError(`the spreadsheet cannot be read (${(err as Error).message.slice(0, 80)})`);
  }
}

/** The file's rows in order, the header row first. */
export function rowsOf(data: Buffer, format: LeadFileFormat, encoding: LeadFileEncoding): AsyncGenerator<SourceRow> {
  return format === 'xlsx' ? xlsxRows(data) : csvRows(data, encoding);
}

/** The header and the first rows, for the manager to choose which column is which. */
export async function preview(data: Buffer, format: LeadFileFormat, encoding: LeadFileEncoding, sampleRows = 5): Promise<{ headers: string[]; sample: string[][] }> {
  let headers: string[] | undefined;
  const sample: string[][] = [];
  for await (const r of rowsOf(data, format, encoding)) {
    if (!headers) headers = r.cells;
    else sample.push(r.cells);
    if (sample.length >= sampleRows) break;
  }
  if (!headers) throw new LeadFileError('the file is empty: expected a header row');
  return { headers, sample };
}
