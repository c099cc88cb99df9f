import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { Schema, type Connection, type Model } from 'mongoose';
import type { Logger } from '../log';
import type { Models } from '../store/models';
import { detach } from '../util/detach';
import { importLeadRows, LeadImportError, mappingFromHeader, type ColumnMapping, type RowImportReport } from './lead-import';
import { detectEncoding, detectFormat, preview, rowsOf, type LeadFileEncoding, type LeadFileFormat } from './lead-sources';

/**
 * Lead files uploaded through the manager console, in two steps: the upload (kept in MongoDB, its
 * header and first rows shown so the manager maps the columns), then the import with that mapping,
 * run in the background with its progress written to the upload's record after every batch and
 * pushed to whoever watches. Rejected rows keep their line number and cells for the downloadable report.
 */

export const MAX_UPLOAD_BYTES = 15 * 1024 * 1024;
/** Rejected rows kept with their cells (more are counted). */
const MAX_REJECTED_KEPT = 10_000;
/** Rows per batch (each batch written, then progress reported). */
const BATCH_ROWS = 200;

export type UploadStatus = 'uploaded' | 'importing' | 'done' | 'failed';

export interface UploadProgress {
  uploadId: string;
  status: UploadStatus;
  listId?: string | undefined;
  /** Data rows in the file (header excluded). */
  total: number;
  /** Rows read so far. */
  rows: number;
  accepted: number;
  mergedInFile: number;
  rejectedTotal: number;
  error?: string | undefined;
}

const uploadSchema = new Schema(
  {
    _id: { type: String, required: true },
    createdBy: { type: String, required: true },
    /** The stores of the uploader: managers of these stores see it. */
    storeIds: { type: [String], default: [] },
    fileName: { type: String, default: '' },
    format: { type: String, enum: ['csv', 'xlsx'], required: true },
    encoding: { type: String, enum: ['utf-8', 'gb18030'], required: true },
    size: { type: Number, required: true },
    headers: { type: [String], default: [] },
    /** The first rows, as { cells } (FerretDB stores no arrays of arrays). */
    sample: { type: [{ _id: false, cells: [String] }], default: [] },
    total: { type: Number, default: 0 },
    status: { type: String, enum: ['uploaded', 'importing', 'done', 'failed'], default: 'uploaded' },
    listId: String,
    mapping: { type: Schema.Types.Mixed },
    progress: { rows: Number, accepted: Number, mergedInFile: Number, rejectedTotal: Number },
    rejected: { type: [{ _id: false, line: Number, reason: String, cells: [String] }], default: [] },
    error: String,
    startedAt: Date,
    finishedAt: Date,
  },
  { timestamps: true },
);
/** The file's bytes, apart from its record (whose progress is rewritten after every batch). */
const uploadFileSchema = new Schema({ _id: { type: String, required: true }, data: { type: Buffer, required: true } });

export interface UploadModels {
  LeadUpload: Model<{ _id: string; createdBy: string; storeIds: string[]; fileName: string; format: LeadFileFormat; encoding: LeadFileEncoding; size: number; headers: string[]; sample: { cells: string[] }[]; total: number; status: UploadStatus; listId?: string; mapping?: ColumnMapping; progress?: { rows?: number; accepted?: number; mergedInFile?: number; rejectedTotal?: number }; rejected: { line: number; reason: string; cells: string[] }[]; error?: string; startedAt?: Date; finishedAt?: Date; createdAt?: Date }>;
  LeadUploadFile: Model<{ _id: string; data: Buffer }>;
}

export function uploadModels(conn: Connection): UploadModels {
  return {
    LeadUpload: (conn.models.LeadUpload ?? conn.model('LeadUpload', uploadSchema)) as UploadModels['LeadUpload'],
    LeadUploadFile: (conn.models.LeadUploadFile ?? conn.model('LeadUploadFile', uploadFileSchema)) as UploadModels['LeadUploadFile'],
  };
}

export interface UploadPreview {
  uploadId: string;
  fileName: string;
  format: LeadFileFormat;
  encoding: LeadFileEncoding;
  size: number;
  headers: string[];
  sample: string[][];
  total: number;
  /** Column per lead field, as the header's names suggest. */
  suggested: ColumnMapping;
}

async function countRows(data: Buffer, format: LeadFileFormat, encoding: LeadFileEncoding): Promise<number> {
  let n = -1; // the header
  for await (const _ of rowsOf(data, format, encoding)) n++;
  return Math.max(0, n);
}

export class LeadUploads {
  readonly models: UploadModels;
  private readonly events = new EventEmitter();

  constructor(private readonly d: { models: Models; log: Logger }) {
    this.models = uploadModels(d.models.Lead.db);
    this.events.setMaxListeners(0);
  }

  /** Keeps the file, reads its header and first rows. Throws LeadFileError when it cannot be read. */
  async upload(data: Buffer, o: { fileName: string; createdBy: string; storeIds: string[] }): Promise<UploadPreview> {
    const format = detectFormat(data, o.fileName);
    const encoding = format === 'csv' ? detectEncoding(data) : 'utf-8';
    const { headers, sample } = await preview(data, format, encoding);
    const total = await countRows(data, format, encoding);
    const uploadId = randomUUID();
    await this.models.LeadUploadFile.create({ _id: uploadId, data });
    await this.models.LeadUpload.create({ _id: uploadId, createdBy: o.createdBy, storeIds: o.storeIds, fileName: o.fileName, format, encoding, size: data.length, headers, sample: sample.map((cells) => ({ cells })), total });
    return { uploadId, fileName: o.fileName, format, encoding, size: data.length, headers, sample, total, suggested: mappingFromHeader(headers) };
  }

  progressOf(doc: { _id: string; status: UploadStatus; listId?: string | null; total: number; progress?: { rows?: number | null; accepted?: number | null; mergedInFile?: number | null; rejectedTotal?: number | null } | null; error?: string | null }): UploadProgress {
    const p = doc.progress ?? {};
    return {
      uploadId: doc._id,
      status: doc.status,
      ...(doc.listId ? { listId: doc.listId } : {}),
      total: doc.total,
      rows: p.rows ?? 0,
      accepted: p.accepted ?? 0,
      mergedInFile: p.mergedInFile ?? 0,
      rejectedTotal: p.rejectedTotal ?? 0,
      ...(doc.error ? { error: doc.error } : {}),
    };
  }

  /** Starts the import into a list (which the caller checked is theirs); resolves once it has started. */
  async start(uploadId: string, o: { listId: string; mapping: ColumnMapping; consentAll: boolean }): Promise<UploadProgress> {
    const claimed = await this.models.LeadUpload.findOneAndUpdate(
      { _id: uploadId, status: 'uploaded' },
      { $set: { status: 'importing', listId: o.listId, mapping: o.mapping, startedAt: new Date(), progress: { rows: 0, accepted: 0, mergedInFile: 0, rejectedTotal: 0 } } },
      { new: true },
    ).lean();
    if (!claimed) throw new LeadImportError('this upload was imported already (upload the file again to import it again)');
    const file = await this.models.LeadUploadFile.findById(uploadId);
    if (!file) throw new LeadImportError('the uploaded file is gone: upload it again');
    const log = this.d.log.child({ uploadId, listId: o.listId });
    detach(this.run(claimed, file.data, o, log), log, 'lead import failed');
    return this.progressOf(claimed);
  }

  private async run(doc: { _id: string; format: LeadFileFormat; encoding: LeadFileEncoding; total: number }, data: Buffer, o: { listId: string; mapping: ColumnMapping; consentAll: boolean }, log: Logger): Promise<void> {
    const id = doc._id;
    let keptRejected = 0;
    const save = async (r: RowImportReport, status: UploadStatus, error?: string): Promise<void> => {
      const fresh = r.rejected.slice(keptRejected);
      keptRejected = r.rejected.length;
      await this.models.LeadUpload.updateOne(
        { _id: id },
        {
          $set: { status, progress: { rows: r.rows, accepted: r.accepted, mergedInFile: r.mergedInFile, rejectedTotal: r.rejectedTotal }, ...(error ? { error } : {}), ...(status !== 'importing' ? { finishedAt: new Date() } : {}) },
          ...(fresh.length > 0 ? { $push: { rejected: { $each: fresh.map((x) => ({ line: x.line, reason: x.reason, cells: x.cells ?? [] })) } } } : {}),
        },
      );
      this.events.emit(id, { uploadId: id, status, listId: o.listId, total: doc.total, rows: r.rows, accepted: r.accepted, mergedInFile: r.mergedInFile, rejectedTotal: r.rejectedTotal, ...(error ? { error } : {}) } satisfies UploadProgress);
    };
    let last: RowImportReport = { rows: 0, accepted: 0, mergedInFile: 0, rejected: [], rejectedTotal: 0 };
    try {
      const report = await importLeadRows(this.d.models, o.listId, rowsOf(data, doc.format, doc.encoding), {
        consentAll: o.consentAll,
        mapping: o.mapping,
        batch: BATCH_ROWS,
        maxListed: MAX_REJECTED_KEPT,
        keepRejectedCells: true,
        onProgress: async (r) => {
          last = r;
          await save(r, 'importing');
        },
      });
      await save(report, 'done');
      log.info({ rows: report.rows, accepted: report.accepted, rejected: report.rejectedTotal }, 'lead import done');
    } catch (err) {
      const message = err instanceof LeadImportError ? err.message : 'the import failed on the server; what was accepted before is kept';
      await save(last, 'failed', message);
      if (!(err instanceof LeadImportError)) throw err;
    }
  }

  /** Progress events of one upload while this process runs its import. */
  watch(uploadId: string, fn: (p: UploadProgress) => void): () => void {
    this.events.on(uploadId, fn);
    return () => this.events.off(uploadId, fn);
  }
}
