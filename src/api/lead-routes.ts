import { z } from 'zod';
import { importDefeatedFromCrm, importLeadsCsv, LeadImportError } from '../dialer/lead-import';
import type { Models } from '../store/models';
import { HttpError } from './http-kit';
import { ok, type Reply, type RouteRegistry } from './route-registry';
import { canSeeStore, storeFilter, type Scope } from './scope';
import { ErrorBody, Id, IsoDate, Page, StoreId } from './schemas';

const Grade = z.enum(['A', 'B', 'C', 'H', 'O', 'F']);
const listParams = z.object({ listId: Id });
/** A list that does not exist yet is created by the import: it needs its store (and may be given a name). */
const newListQuery = {
  storeId: StoreId.optional().meta({ description: "the new list's store (required when the list does not exist yet; must be one of yours)" }),
  name: z.string().min(1).max(80).optional().meta({ description: "the new list's name (default: its id)" }),
};
const csvQuery = z.object({
  ...newListQuery,
  consent: z.literal('all').optional().meta({ description: 'all: you attest that every lead in the file agreed to be called (needed when the file has no consent column)' }),
});
const crmQuery = z.object(newListQuery);
const crmImport = z.strictObject({ storeIds: z.array(StoreId).max(50).optional(), grades: z.array(Grade).max(6).optional() }).optional();

const LeadListView = z
  .object({ listId: z.string(), name: z.string(), storeId: z.string(), createdBy: z.string(), createdAt: IsoDate, leads: z.number().int() })
  .meta({ id: 'LeadList' });
const ImportReport = z
  .object({
    listId: z.string(),
    rows: z.number().int(),
    accepted: z.number().int(),
    mergedInFile: z.number().int(),
    rejected: z.array(z.object({ line: z.number().int(), reason: z.string() })),
    rejectedTotal: z.number().int(),
  })
  .meta({ id: 'ImportReport' });
const LeadView = z
  .object({
    leadId: z.string(),
    phone: z.string(),
    name: z.string().optional(),
    grade: Grade.optional(),
    defeatReason: z.string().optional(),
    storeId: z.string().optional(),
    consultant: z.string().optional(),
    lastContactAt: IsoDate.optional(),
    timeZone: z.string(),
    consent: z.boolean(),
    status: z.enum(['new', 'in_progress', 'done', 'dnc']),
    attempts: z.number().int(),
    nextDialAt: IsoDate.optional(),
    lastOutcome: z.string().optional(),
  })
  .meta({ id: 'Lead' });

export type LeadListDoc = { _id: string; name: string; storeId: string; createdBy: string; createdAt: Date };

/** The list, when it is the caller's; or a new one of the store the caller names. */
export async function leadListFor(models: Models, s: Scope, listId: string, q: { storeId?: string | undefined; name?: string | undefined }): Promise<LeadListDoc> {
  const existing = await models.LeadList.findById(listId).lean();
  if (existing) {
    if (!canSeeStore(s, existing.storeId)) throw new HttpError(404, `no lead list ${listId} in your stores`);
    if (q.storeId && q.storeId !== existing.storeId) throw new HttpError(409, `lead list ${listId} belongs to store ${existing.storeId}, not ${q.storeId}`);
    return existing;
  }
  if (!q.storeId) throw new HttpError(404, `no lead list ${listId}: to create it, name its store (?storeId=)`);
  if (!canSeeStore(s, q.storeId) || !(await models.Store.exists({ _id: q.storeId }))) throw new HttpError(422, `storeId: no store ${q.storeId} in your stores`);
  try {
    await models.LeadList.create({ _id: listId, name: q.name ?? listId, storeId: q.storeId, createdBy: s.username });
  } catch (err) {
    if ((err as { code?: number }).code !== 11000) throw err; // created meanwhile by another import: use it
  }
  return leadListFor(models, s, listId, q);
}

/**
 * Lead lists for outbound campaigns, each of one store: CSV import (streamed from the request body)
 * and defeated leads from the CRM, into lists of the caller's stores only.
 */
export function leadRoutes(r: RouteRegistry, models: Models): void {
  const managers = ['manager', 'admin'] as const;

  const listFor = (s: Scope, listId: string, q: { storeId?: string | undefined; name?: string | undefined }): Promise<LeadListDoc> => leadListFor(models, s, listId, q);
  const listView = async (l: LeadListDoc) => ({ listId: l._id, name: l.name, storeId: l.storeId, createdBy: l.createdBy, createdAt: l.createdAt.toISOString(), leads: await models.Lead.countDocuments({ listId: l._id }) });

  r.add({
    method: 'get',
    path: '/api/lead-lists',
    tag: 'outbound',
    summary: "Lead lists of the caller's stores, with how many leads each has",
    access: ['supervisor', ...managers],
    responses: { 200: { description: 'lead lists', schema: z.array(LeadListView) } },
    handler: async ({ scope }) => {
      const lists = await models.LeadList.find(storeFilter(scope, 'storeId')).sort({ _id: 1 }).lean();
      const out = [];
      for (const l of lists) out.push(await listView(l));
      return ok(out);
    },
  });

  r.add({
    method: 'get',
    path: '/api/lead-lists/:listId/leads',
    tag: 'outbound',
    summary: 'The leads of a list, a page at a time (by phone number), optionally by status, grade, or part of the phone number or name',
    access: ['supervisor', ...managers],
    params: listParams,
    query: Page.extend({ status: z.enum(['new', 'in_progress', 'done', 'dnc']).optional(), grade: Grade.optional(), q: z.string().min(1).max(40).optional().meta({ description: 'part of the phone number or the name' }) }),
    responses: {
      200: { description: 'a page of leads', schema: z.object({ listId: z.string(), total: z.number().int(), page: z.number().int(), limit: z.number().int(), leads: z.array(LeadView) }) },
      404: { description: "no such list in the caller's stores" },
    },
    handler: async ({ scope, params, query }) => {
      const list = await models.LeadList.findById(params.listId).lean();
      if (!list || !canSeeStore(scope, list.storeId)) throw new HttpError(404, `no lead list ${params.listId} in your stores`);
      const filter: Record<string, unknown> = { listId: params.listId };
      if (query.status) filter.status = query.status === 'new' ? { $in: ['new', null] } : query.status;
      if (query.grade) filter.grade = query.grade;
      if (query.q) {
        const like = new RegExp(query.q.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'i');
        filter.$or = [{ phone: like }, { name: like }];
      }
      const [total, docs] = await Promise.all([
        models.Lead.countDocuments(filter),
        models.Lead.find(filter).sort({ _id: 1 }).skip((query.page - 1) * query.limit).limit(query.limit).lean(),
      ]);
      const leads = docs.map((l) => ({
        leadId: l._id,
        phone: l.phone,
        ...(l.name ? { name: l.name } : {}),
        ...(l.grade ? { grade: l.grade } : {}),
        ...(l.defeatReason ? { defeatReason: l.defeatReason } : {}),
        ...(l.storeId ? { storeId: l.storeId } : {}),
        ...(l.consultant ? { consultant: l.consultant } : {}),
        ...(l.lastContactAt ? { lastContactAt: l.lastContactAt.toISOString() } : {}),
        timeZone: l.timeZone ?? 'Asia/Shanghai',
        consent: l.consent === true,
        status: l.status ?? 'new',
        attempts: l.attempts ?? 0,
        ...(l.nextDialAt ? { nextDialAt: l.nextDialAt.toISOString() } : {}),
        ...(l.lastOutcome ? { lastOutcome: l.lastOutcome } : {}),
      }));
      return ok({ listId: params.listId, total, page: query.page, limit: query.limit, leads });
    },
  });

  r.add({
    method: 'post',
    path: '/api/lead-lists/:listId/import',
    tag: 'outbound',
    summary:
      'Import leads from CSV into a list of your stores (streamed; headers phone/电话, name/姓名, grade/等级, defeat_reason/战败原因, store_id/门店, consultant/顾问, last_contact/最后联系, time_zone/时区, consent/是否同意). A new list needs ?storeId=.',
    description:
      'Consent: a consent column (yes/no, 是/否, 1/0; an empty cell is no) gives each lead its own answer; a file without one is refused unless ?consent=all attests that every lead agreed to be called. Bad rows are reported with their line number; good rows are kept; a number already in the list is merged.',
    access: managers,
    params: listParams,
    query: csvQuery,
    rawBody: { contentType: 'text/csv', description: 'UTF-8 CSV, a header line first' },
    responses: {
      200: { description: 'the import report', schema: ImportReport },
      404: { description: "no such list (or store for a new one) in the caller's stores" },
      409: { description: 'the list belongs to another store than ?storeId= says' },
      422: { description: 'the file cannot be imported (no phone or consent column, empty, unreadable: { error, code }), or no row could be (the import report says why)', schema: z.union([ImportReport, ErrorBody]) },
    },
    handler: async ({ scope, params, query, req }): Promise<Reply> => {
      const list = await listFor(scope, params.listId, query);
      try {
        const report = await importLeadsCsv(models, list._id, req, { consentAll: query.consent === 'all' });
        return { status: report.accepted > 0 || report.rejectedTotal === 0 ? 200 : 422, body: { listId: list._id, ...report } };
      } catch (err) {
        // the body is a string as documented; what it says is the problem
        if (err instanceof LeadImportError) throw new HttpError(422, err.message, 'invalid_request');
        throw err;
      }
    },
  });

  r.add({
    method: 'post',
    path: '/api/lead-lists/:listId/import-crm',
    tag: 'outbound',
    summary: "Add the built-in CRM's defeated customers of the list's store (optionally of some grades) to a list of your stores; a new list needs ?storeId=",
    description: "A lead gets consent only when the customer's record says they agreed to be called (consent.call). With storeIds, only when it includes the list's store.",
    access: managers,
    params: listParams,
    query: crmQuery,
    body: crmImport,
    responses: {
      200: { description: 'how many leads were written', schema: z.object({ listId: z.string(), accepted: z.number().int() }) },
      404: { description: "no such list (or store for a new one) in the caller's stores" },
      409: { description: 'the list belongs to another store than ?storeId= says' },
    },
    handler: async ({ scope, params, query, body }) => {
      const list = await listFor(scope, params.listId, query);
      const stores = body?.storeIds ? body.storeIds.filter((st) => st === list.storeId) : [list.storeId];
      const accepted = stores.length === 0 ? 0 : await importDefeatedFromCrm(models, list._id, { storeIds: stores, ...(body?.grades ? { grades: body.grades } : {}) });
      return ok({ listId: list._id, accepted });
    },
  });
}
