import type { Readable } from 'node:stream';
import { CsvError, parse } from 'csv-parse';
import { z } from 'zod';
import { toE164 } from '../crm/phone';
import { isTimeZone } from '../org/business-hours';
import type { Models } from '../store/models';
import { withWriteRetry } from '../store/retry';
import { LeadFileError } from './lead-sources';

/**
 * Lead lists from CSV, streamed: rows are parsed, checked and written in batches, so 100k rows
 * never sit in memory at once. A bad row is reported with its line number and reason and does not
 * stop the import; rows already written stay written. Phone numbers become E.164 (+86 by
 * default); a number that appears twice (in the file or an earlier import of the same list) is
 * one lead, with the later non-empty fields winning.
 * Headers may be English or Chinese (电话, 姓名, 等级, 战败原因, 门店, 顾问, 最后联系, 时区, 是否同意).
 * Consent to be called comes from the file's consent column (yes/no, 是/否, 1/0; an empty cell is
 * no); a file without one is refused unless the importer attests that every row consented
 * (`consentAll`).
 */

const HEADER_ALIASES: Record<string, string> = {
  phone: 'phone', mobile: 'phone', 电话: 'phone', 手机: 'phone', 手机号: 'phone',
  name: 'name', 姓名: 'name', 客户: 'name',
  grade: 'grade', 等级: 'grade', 级别: 'grade',
  defeat_reason: 'defeatReason', defeatreason: 'defeatReason', 战败原因: 'defeatReason',
  store_id: 'storeId', store: 'storeId', 门店: 'storeId',
  consultant: 'consultant', 顾问: 'consultant', 销售顾问: 'consultant',
  last_contact: 'lastContactAt', last_contact_at: 'lastContactAt', 最后联系: 'lastContactAt',
  time_zone: 'timeZone', timezone: 'timeZone', 时区: 'timeZone',
  consent: 'consent', 同意: 'consent', 是否同意: 'consent',
};

const empty = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : typeof v === 'string' ? v.trim() : v);

const rowSchema = z.object({
  phone: z.string({ error: 'phone is missing' }).transform((v, ctx) => {
    const e = toE164(v);
    if (!e) ctx.addIssue({ code: 'custom', message: `phone "${v}" is not a phone number` });
    return e ?? '';
  }),
  name: z.preprocess(empty, z.string().max(100).optional()),
  grade: z.preprocess((v) => (typeof empty(v) === 'string' ? String(empty(v)).toUpperCase() : undefined), z.enum(['A', 'B', 'C', 'H', 'O', 'F'], { error: 'grade must be one of A, B, C, H, O, F' }).optional()),
  defeatReason: z.preprocess(empty, z.string().max(500).optional()),
  storeId: z.preprocess(empty, z.string().max(60).optional()),
  consultant: z.preprocess(empty, z.string().max(64).optional()),
  lastContactAt: z.preprocess(
    empty,
    z
      .string()
      .refine((v) => !Number.isNaN(Date.parse(v)), { message: 'last contact is not a date (use YYYY-MM-DD)' })
      .transform((v) => new Date(v))
      .optional(),
  ),
  timeZone: z.preprocess(empty, z.string().refine(isTimeZone, { message: 'time zone is not an IANA zone such as Asia/Shanghai' }).optional()),
  consent: z.preprocess(
    (v) => {
      const s = typeof v === 'string' ? v.trim().toLowerCase() : v;
      if (s === undefined || s === '') return undefined;
      if (['1', 'true', 'yes', 'y', '是', '同意'].includes(String(s))) return true;
      if (['0', 'false', 'no', 'n', '否', '不同意'].includes(String(s))) return false;
      return s;
    },
    z.boolean({ error: 'consent must be yes or no' }).optional(),
  ),
});
type LeadRow = z.infer<typeof rowSchema>;

export interface ImportReport {
  /** Rows read (header excluded). */
  rows: number;
  /** Leads created or updated. */
  accepted: number;
  /** Rows that repeated a number seen earlier in the file (merged into that lead). */
  mergedInFile: number;
  rejected: { line: number; reason: string }[];
  /** Rejections beyond the first 1,000 are counted, not listed. */
  rejectedTotal: number;
}

export class LeadImportError extends Error {}

export interface CsvImportOptions {
  /** The importer attests that every row consented to be called (needed when the file has no consent column). */
  consentAll: boolean;
}

/** A header as an error may quote it: a few columns, each cut short (the header is the caller's input). */
function quoteHeader(cells: string[]): string {
  const shown = cells.slice(0, 12).map((c) => JSON.stringify(c.length > 40 ? `${c.slice(0, 40)}…` : c));
  return `${shown.join(', ')}${cells.length > 12 ? ` and ${cells.length - 12} more` : ''}`;
}

/** Longest line the parser buffers (a header of 20 MB is refused, not read into memory). */
const MAX_RECORD_BYTES = 64 * 1024;

function definedFields(r: LeadRow): Partial<LeadRow> {
  return Object.fromEntries(Object.entries(r).filter(([, v]) => v !== undefined)) as Partial<LeadRow>;
}

const BATCH = 500;
const MAX_LISTED = 1000;

/** The lead fields a column can be mapped to. */
export const LEAD_FIELDS = ['phone', 'name', 'grade', 'defeatReason', 'storeId', 'consultant', 'lastContactAt', 'timeZone', 'consent'] as const;
export type LeadField = (typeof LEAD_FIELDS)[number];
/** Which column (0-based) holds which field. */
export type ColumnMapping = Partial<Record<LeadField, number>>;

/** The mapping the header suggests (English or Chinese names). */
export function mappingFromHeader(header: readonly string[]): ColumnMapping {
  const m: ColumnMapping = {};
  header.forEach((h, i) => {
    const f = (HEADER_ALIASES[h.trim().toLowerCase()] ?? HEADER_ALIASES[h.trim()]) as LeadField | undefined;
    if (f && m[f] === undefined) m[f] = i;
  });
  return m;
}

export interface RowImportOptions extends CsvImportOptions {
  /** Column per field; left out: from the header's names. */
  mapping?: ColumnMapping | undefined;
  /** Called after each batch is written (and at the end) with the report so far. */
  onProgress?: ((report: ImportReport) => void | Promise<void>) | undefined;
  /** Rows per batch (default 500). */
  batch?: number | undefined;
  /** Rejections kept in the report's list (default 1,000). */
  maxListed?: number | undefined;
  /** The rejected rows' own cells are kept beside their reasons (for the downloadable report). */
  keepRejectedCells?: boolean | undefined;
}

export interface RowImportReport extends ImportReport {
  rejected: { line: number; reason: string; cells?: string[] }[];
}

/**
 * Imports rows (the header row first, then data rows with their line numbers) into a list. Bad rows
 * are reported and skipped; accepted rows are written in batches as they come, so what was
 * accepted before a bad row, or before a file that breaks off, stays written.
 */
export async function importLeadRows(models: Models, listId: string, rows: AsyncIterable<{ line: number; cells: string[] }>, options: RowImportOptions): Promise<RowImportReport> {
  const report: RowImportReport = { rows: 0, accepted: 0, mergedInFile: 0, rejected: [], rejectedTotal: 0 };
  const batchSize = options.batch ?? BATCH;
  const maxListed = options.maxListed ?? MAX_LISTED;
  /** The row's own answer; an empty cell is no, unless the importer attested consent for every row. */
  const consentOf = (r: LeadRow): boolean => r.consent ?? options.consentAll;
  let mapping: ColumnMapping | undefined;
  let batch = new Map<string, LeadRow>();
  const seen = new Set<string>();
  const reject = (line: number, reason: string, cells: string[]) => {
    report.rejectedTotal++;
    if (report.rejected.length < maxListed) report.rejected.push({ line, reason, ...(options.keepRejectedCells ? { cells } : {}) });
  };
  const flush = async () => {
    if (batch.size === 0) return;
    const rows = [...batch.values()];
    batch = new Map();
    // New leads are inserted in one go (cheap); numbers the list already has are merged one by one.
    const docs = rows.map((r) => ({ ...definedFields(r), consent: consentOf(r), _id: `${listId}:${r.phone}`, listId, status: 'new' as const, attempts: 0 }));
    let existing: LeadRow[] = [];
    try {
      await withWriteRetry(() => models.Lead.insertMany(docs, { ordered: false }));
    } catch (err) {
      const writeErrors = (err as { writeErrors?: { index?: number; err?: { index?: number; code?: number }; code?: number }[] }).writeErrors;
      if (!writeErrors) throw err;
      const dupes = writeErrors.filter((w) => (w.code ?? w.err?.code) === 11000).map((w) => w.index ?? w.err?.index ?? -1);
      if (dupes.length !== writeErrors.length) throw err;
      existing = dupes.map((i) => rows[i]).filter((r): r is LeadRow => r !== undefined);
    }
    for (const r of existing) await withWriteRetry(() => models.Lead.updateOne({ _id: `${listId}:${r.phone}` }, { $set: { ...definedFields(r), consent: consentOf(r) } }).exec());
    report.accepted += rows.length;
    await options.onProgress?.(report);
  };

  let rowsInBatch = 0;
  try {
    for await (const record of rows) {
      const line = record.line;
      if (!mapping) {
        mapping = options.mapping ?? mappingFromHeader(record.cells);
        if (mapping.phone === undefined) throw new LeadImportError(`line ${line}: the header has no phone column (电话); columns found: ${quoteHeader(record.cells)}`);
        if (mapping.consent === undefined && !options.consentAll) {
          throw new LeadImportError(`line ${line}: the file has no consent column (是否同意 / consent: yes or no per row); add one, or declare ?consent=all to attest that every lead agreed to be called`);
        }
        continue;
      }
      report.rows++;
      const raw: Record<string, string> = {};
      for (const [field, i] of Object.entries(mapping)) {
        const v = record.cells[i];
        if (v !== undefined) raw[field] = v;
      }
      const parsed = rowSchema.safeParse(raw);
      if (!parsed.success) {
        reject(line, parsed.error.issues.map((i) => i.message).join('; '), record.cells);
      } else {
        const row = parsed.data;
        if (seen.has(row.phone)) report.mergedInFile++;
        seen.add(row.phone);
        const prev = batch.get(row.phone);
        batch.set(row.phone, prev ? { ...prev, ...Object.fromEntries(Object.entries(row).filter(([, v]) => v !== undefined)) } : row);
      }
      if (++rowsInBatch >= batchSize) {
        rowsInBatch = 0;
        if (batch.size > 0) await flush();
        else await options.onProgress?.(report);
      }
    }
  } catch (err) {
    await flush(); // what was accepted before a broken file stays
    if (err instanceof LeadImportError) throw err;
    const e = err as { code?: string; lines?: number; message: string };
    if (e.code === 'CSV_MAX_RECORD_SIZE') throw new LeadImportError(`line ${e.lines ?? '?'}: a line is longer than ${MAX_RECORD_BYTES} bytes; ${report.accepted} leads before it were imported`);
    // csv-parse's codes (CSV_… or not), or an unreadable file: named, without echoing the offending text
    if (err instanceof CsvError) throw new LeadImportError(`line ${e.lines ?? '?'}: the CSV cannot be read further (${e.code ?? 'unreadable'}); ${report.accepted} leads before it were imported`);
    if (err instanceof LeadFileError) throw new LeadImportError(`${err.message}; ${report.accepted} leads before it were imported`);
    throw err;
  }
  await flush();
  if (!mapping) throw new LeadImportError('the file is empty: expected a header line with at least a phone column');
  await options.onProgress?.(report);
  return report;
}

export async function importLeadsCsv(models: Models, listId: string, input: Readable, options: CsvImportOptions): Promise<ImportReport> {
  const parser = input.pipe(parse({ bom: true, skip_empty_lines: true, relax_column_count: true, trim: true, info: true, max_record_size: MAX_RECORD_BYTES }));
  async function* rows(): AsyncGenerator<{ line: number; cells: string[] }> {
    for await (const r of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) yield { line: r.info.lines, cells: r.record };
  }
  const { rejected, ...rest } = await importLeadRows(models, listId, rows(), options);
  return { ...rest, rejected: rejected.map(({ line, reason }) => ({ line, reason })) };
}

/**
 * Leads from the built-in CRM: customers of the given stores whose funnel ended defeated (optionally
 * of some grades), with grade, defeat reason, owning store and consultant, last contact. A lead has
 * consent only when the customer's record says they agreed to be called. A customer already in the
 * list is updated, not duplicated. Returns how many leads were written.
 */
export async function importDefeatedFromCrm(models: Models, listId: string, filter: { storeIds: string[]; grades?: string[] }): Promise<number> {
  const query: Record<string, unknown> = { status: 'defeated', owningStoreId: { $in: filter.storeIds } };
  if (filter.grades?.length) query.grade = { $in: filter.grades };
  let n = 0;
  let batch: Map<string, LeadRow> = new Map();
  const write = async () => {
    for (const r of batch.values()) {
      const fields = definedFields(r);
      await withWriteRetry(() => models.Lead.updateOne({ _id: `${listId}:${r.phone}` }, { $set: { ...fields, listId }, $setOnInsert: { status: 'new' as const, attempts: 0 } }, { upsert: true }).exec());
    }
    n += batch.size;
    batch = new Map();
  };
  for await (const c of models.Customer.find(query, { name: 1, phones: 1, grade: 1, defeatReason: 1, owningStoreId: 1, owningUser: 1, funnel: 1, consent: 1 }).lean().cursor({ batchSize: 500 })) {
    const phone = c.phones[0];
    if (!phone) continue;
    const last = c.funnel.reduce<Date | undefined>((acc, f) => (!acc || f.at > acc ? f.at : acc), undefined);
    batch.set(phone, { phone, name: c.name, grade: (c.grade ?? undefined) as LeadRow['grade'], defeatReason: c.defeatReason ?? undefined, storeId: c.owningStoreId ?? undefined, consultant: c.owningUser ?? undefined, lastContactAt: last, timeZone: undefined, consent: c.consent?.call === true });
    if (batch.size >= BATCH) await write();
  }
  await write();
  return n;
}
