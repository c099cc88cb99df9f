import type { Request } from 'express';
import { z } from 'zod';
import { LEAD_FIELDS, LeadImportError, type ColumnMapping } from '../dialer/lead-import';
import { LeadFileError } from '../dialer/lead-sources';
import { MAX_UPLOAD_BYTES, type LeadUploads, type UploadProgress } from '../dialer/lead-uploads';
import type { Models } from '../store/models';
import { HttpError } from './http-kit';
import { leadListFor } from './lead-routes';
import { created, type RouteRegistry } from './route-registry';
import type { Scope } from './scope';
import { Id, StoreId } from './schemas';

const uploadParams = z.object({ uploadId: z.uuid() });
const Mapping = z
  .strictObject(Object.fromEntries(LEAD_FIELDS.map((f) => [f, z.number().int().min(0).max(200).optional()])) as Record<(typeof LEAD_FIELDS)[number], z.ZodOptional<z.ZodNumber>>)
  .meta({ id: 'LeadColumnMapping', description: 'the column (0-based) holding each lead field; phone is required' });
const Progress = z
  .object({
    uploadId: z.string(),
    status: z.enum(['uploaded', 'importing', 'done', 'failed']),
    listId: z.string().optional(),
    total: z.number().int(),
    rows: z.number().int(),
    accepted: z.number().int(),
    mergedInFile: z.number().int(),
    rejectedTotal: z.number().int(),
    error: z.string().optional(),
  })
  .meta({ id: 'LeadUploadProgress' });
const Preview = z
  .object({
    uploadId: z.string(),
    fileName: z.string(),
    format: z.enum(['csv', 'xlsx']),
    encoding: z.enum(['utf-8', 'gb18030']),
    size: z.number().int(),
    headers: z.array(z.string()),
    sample: z.array(z.array(z.string())),
    total: z.number().int(),
    suggested: Mapping,
  })
  .meta({ id: 'LeadUploadPreview' });
const importBody = z.strictObject({
  listId: Id,
  storeId: StoreId.optional().meta({ description: "a new list's store (one of yours)" }),
  listName: z.string().min(1).max(80).optional(),
  mapping: Mapping,
  consentAll: z.boolean().default(false).meta({ description: 'you attest that every lead in the file agreed to be called (needed without a consent column)' }),
});

async function readBody(req: Request, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new HttpError(413, `the file is larger than ${Math.round(limit / 1024 / 1024)} MB: split it`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** A cell for the rejected-rows CSV: quoted when it needs to be. */
function csvCell(v: string | number): string {
  const s = String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/**
 * Lead files from the manager console: upload (CSV in UTF-8 or GBK/GB18030, or XLSX) → header and
 * sample rows → import with the manager's column mapping, progress pushed as server-sent events →
 * the rejected rows, with their line numbers, as a CSV to download.
 */
export function leadUploadRoutes(r: RouteRegistry, d: { models: Models; uploads: LeadUploads }): void {
  const managers = ['manager', 'admin'] as const;
  const notYours = { description: "no such upload by you or your stores' managers" };

  const mine = async (s: Scope, uploadId: string) => {
    const doc = await d.uploads.models.LeadUpload.findById(uploadId).lean();
    if (!doc || !(s.admin || doc.createdBy === s.username || doc.storeIds.some((st) => s.storeIds.includes(st)))) throw new HttpError(404, `no upload ${uploadId}`);
    return doc;
  };

  r.add({
    method: 'post',
    path: '/api/lead-uploads',
    tag: 'outbound',
    summary: 'Upload a lead file (CSV in UTF-8 or GBK/GB18030, detected; or XLSX, its first sheet): answers its header, first rows, row count and the column mapping its header names suggest',
    access: managers,
    query: z.object({ fileName: z.string().max(200).optional() }),
    rawBody: { contentType: 'application/octet-stream', description: `the file's bytes as they are (at most ${MAX_UPLOAD_BYTES / 1024 / 1024} MB)` },
    responses: { 201: { description: 'the upload, to map and import', schema: Preview }, 413: { description: 'the file is too large' }, 422: { description: 'the file cannot be read (empty, not CSV or XLSX)' } },
    handler: async ({ scope, query, req }) => {
      const data = await readBody(req, MAX_UPLOAD_BYTES);
      if (data.length === 0) throw new HttpError(422, 'the file is empty');
      try {
        return created(await d.uploads.upload(data, { fileName: query.fileName ?? '', createdBy: scope.username, storeIds: scope.storeIds }));
      } catch (err) {
        if (err instanceof LeadFileError) throw new HttpError(422, err.message);
        throw err;
      }
    },
  });

  r.add({
    method: 'get',
    path: '/api/lead-uploads/:uploadId',
    tag: 'outbound',
    summary: "An upload's progress (rows read of the total, accepted, merged, rejected)",
    access: managers,
    params: uploadParams,
    responses: { 200: { description: 'progress', schema: Progress }, 404: notYours },
    handler: async ({ scope, params }) => ({ status: 200, body: d.uploads.progressOf(await mine(scope, params.uploadId)) }),
  });

  r.add({
    method: 'post',
    path: '/api/lead-uploads/:uploadId/import',
    tag: 'outbound',
    summary: 'Import an upload into a lead list of your stores with your column mapping; runs in the background (follow it at /events)',
    description: 'Bad rows are rejected with their line number (download them at /rejected.csv); rows accepted are kept whatever follows. A number already in the list is merged.',
    access: managers,
    params: uploadParams,
    body: importBody,
    responses: {
      202: { description: 'the import started', schema: Progress },
      404: { description: "no such upload, or list (or store for a new one) in the caller's stores" },
      409: { description: 'imported already, or the list belongs to another store' },
      422: { description: 'the mapping has no phone column, names a column the file does not have, or has no consent column without consentAll' },
    },
    handler: async ({ scope, params, body }) => {
      const doc = await mine(scope, params.uploadId);
      const mapping = Object.fromEntries(Object.entries(body.mapping).filter(([, v]) => v !== undefined)) as ColumnMapping;
      if (mapping.phone === undefined) throw new HttpError(422, 'mapping.phone: choose the column with the phone numbers');
      for (const [field, i] of Object.entries(mapping)) if (i >= doc.headers.length) throw new HttpError(422, `mapping.${field}: the file has ${doc.headers.length} columns`);
      if (mapping.consent === undefined && !body.consentAll) throw new HttpError(422, 'mapping.consent: choose the consent column (是否同意), or attest with consentAll that every lead agreed to be called');
      if (doc.status !== 'uploaded') throw new HttpError(409, 'this upload was imported already');
      const list = await leadListFor(d.models, scope, body.listId, { storeId: body.storeId, name: body.listName });
      try {
        return { status: 202, body: await d.uploads.start(params.uploadId, { listId: list._id, mapping, consentAll: body.consentAll }) };
      } catch (err) {
        if (err instanceof LeadImportError) throw new HttpError(409, err.message);
        throw err;
      }
    },
  });

  r.add({
    method: 'get',
    path: '/api/lead-uploads/:uploadId/events',
    tag: 'outbound',
    summary: "An import's progress as server-sent events (event: progress, data: the progress), pushed after every batch of rows until it is done or failed",
    access: managers,
    params: uploadParams,
    responses: { 200: { description: 'text/event-stream of progress events', contentType: 'text/event-stream' }, 404: notYours },
    handler: async ({ scope, params, req, res }) => {
      const doc = await mine(scope, params.uploadId);
      res.status(200).set({ 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' });
      res.flushHeaders();
      let lastSent = '';
      const send = (p: UploadProgress): void => {
        const json = JSON.stringify(p);
        if (json === lastSent) return;
        lastSent = json;
        res.write(`event: progress\ndata: ${json}\n\n`);
        if (p.status === 'done' || p.status === 'failed') finish();
      };
      // this process pushes its own imports' batches; an import run by another instance is read from its record
      const stop = d.uploads.watch(params.uploadId, send);
      const poll = setInterval(() => {
        d.uploads.models.LeadUpload.findById(params.uploadId)
          .lean()
          .then((fresh) => fresh && send(d.uploads.progressOf(fresh)))
          .catch(() => undefined);
      }, 1000);
      const finish = (): void => {
        stop();
        clearInterval(poll);
        res.end();
      };
      req.on('close', finish);
      send(d.uploads.progressOf(doc));
      return undefined;
    },
  });

  r.add({
    method: 'get',
    path: '/api/lead-uploads/:uploadId/rejected.csv',
    tag: 'outbound',
    summary: 'The rejected rows as CSV (UTF-8 with BOM, opens in Excel): line number, reason, then the row as it was',
    access: managers,
    params: uploadParams,
    responses: { 200: { description: 'CSV', contentType: 'text/csv' }, 404: notYours },
    handler: async ({ scope, params, res }) => {
      const doc = await mine(scope, params.uploadId);
      const lines = [['行号 line', '原因 reason', ...doc.headers].map(csvCell).join(',')];
      for (const x of doc.rejected) lines.push([x.line, x.reason, ...x.cells].map(csvCell).join(','));
      res
        .status(200)
        .type('text/csv; charset=utf-8')
        .set('content-disposition', `attachment; filename="rejected-${params.uploadId.slice(0, 8)}.csv"`)
        .send(`\uFEFF${lines.join('\r\n')}\r\n`);
      return undefined;
    },
  });
}
