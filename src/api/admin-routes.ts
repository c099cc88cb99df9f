import { z } from 'zod';
import type { QueueDirectory } from '../acd/queue-directory';
import type { QueueStore } from '../acd/queue-store';
import { FlowError } from '../ivr/flow-loader';
import { PromptCatalogError } from '../ivr/prompt-catalog';
import type { CrmWriteback } from '../outcomes/crm-writeback';
import { INTERVAL_PATTERN, isTimeZone } from '../org/business-hours';
import type { Models } from '../store/models';
import { HttpError } from './http-kit';
import { created, ok, type RouteRegistry } from './route-registry';
import { canSeeStore, requireStore, storeFilter } from './scope';
import { Id, IsoDate, Ok, StoreId } from './schemas';

export interface AdminDeps {
  models: Models;
  queueDirectory: QueueDirectory;
  queues: QueueStore;
  reloadRouting: () => Promise<void>;
  writeback: CrmWriteback | undefined;
}

const code = z.string().regex(/^[a-z][a-z0-9_]{0,39}$/, 'disposition codes are lower-case letters, digits and _ (max 40)');
const strategies = ['longest_idle', 'round_robin', 'fewest_calls', 'ring_all'] as const;
const overflowSchema = z.union([z.strictObject({ kind: z.literal('queue'), queueId: Id }), z.strictObject({ kind: z.enum(['callback', 'voicemail', 'hangup']) })]);
const queuePatch = z
  .strictObject({
    name: z.string().min(1).max(60),
    dispositionCodes: z
      .array(code)
      .min(1, 'a queue needs at least one disposition code')
      .max(40)
      .refine((c) => new Set(c).size === c.length, { message: 'disposition codes must not repeat' })
      .meta({ override: { uniqueItems: true } }),
    strategy: z.enum(strategies),
    offerTimeoutMs: z.number().int().min(5_000).max(120_000),
    wrapUpMs: z.number().int().min(0).max(3_600_000),
    wrapUpExtendMaxMs: z.number().int().min(0).max(3_600_000),
    requireDisposition: z.boolean(),
    maxWaitMs: z.number().int().min(10_000).max(7_200_000).nullable(),
    preferredWaitMs: z.number().int().min(0).max(600_000),
    announceEveryMs: z.number().int().min(15_000).max(600_000).nullable(),
    callbackKey: z.enum(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '*', '#']).nullable(),
    overflow: overflowSchema.nullable(),
    active: z.boolean(),
  })
  .partial()
  .refine((p) => Object.keys(p).length > 0, { message: 'nothing to change' })
  .meta({ override: { minProperties: 1 } });

const newQueue = z.strictObject({
  queueId: Id,
  name: z.string().min(1).max(60),
  storeId: StoreId,
  numbers: z.array(z.string().regex(/^[0-9]{3,20}$/, 'dialled numbers are 3-20 digits')).max(20).default([]),
  strategy: z.enum(strategies).default('longest_idle'),
  dispositionCodes: z.array(code).min(1).max(40).optional(),
  requireDisposition: z.boolean().default(false),
  offerTimeoutMs: z.number().int().min(5_000).max(120_000).optional(),
  wrapUpMs: z.number().int().min(0).max(3_600_000).optional(),
  maxWaitMs: z.number().int().min(10_000).max(7_200_000).optional(),
  overflow: overflowSchema.optional(),
});

const QueueView = z
  .object({
    queueId: z.string(),
    name: z.string(),
    storeId: z.string().optional(),
    numbers: z.array(z.string()),
    greetingPrompt: z.string().optional(),
    strategy: z.enum(strategies).optional(),
    offerTimeoutMs: z.number().optional(),
    wrapUpMs: z.number().optional(),
    wrapUpExtendMaxMs: z.number().optional(),
    maxWaitMs: z.number().optional(),
    preferredWaitMs: z.number().optional(),
    announceEveryMs: z.number().optional(),
    callbackKey: z.string().optional(),
    overflow: z.object({ kind: z.string().optional(), queueId: z.string().optional() }).optional(),
    dispositionCodes: z.array(z.string()),
    requireDisposition: z.boolean().optional(),
    active: z.boolean().optional(),
    createdAt: IsoDate.optional(),
    updatedAt: IsoDate.optional(),
  })
  .meta({ id: 'Queue' });

/** The documented fields of a queue record (a field added to the model is not sent until documented here). */
const QUEUE_FIELDS = Object.keys(QueueView.shape);
function queueView(doc: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(doc).filter(([k, v]) => QUEUE_FIELDS.includes(k) && v !== null && v !== undefined));
}
const QueueLive = QueueView.extend({ waiting: z.number().int(), readyAgents: z.number().int() }).meta({ id: 'QueueLive' });

const weekday = z.array(z.string().regex(INTERVAL_PATTERN, 'opening intervals are "HH:MM-HH:MM", e.g. "09:00-18:00"')).max(6);
const TimeZone = z
  .string()
  .max(60)
  .refine(isTimeZone, { message: 'must be an IANA time zone such as Asia/Shanghai' })
  .meta({ examples: ['Asia/Shanghai', 'Asia/Urumqi'] });
const IsoDay = z.iso.date({ error: 'holidays are dates, YYYY-MM-DD' });
const hoursBody = z.strictObject({
  timeZone: TimeZone,
  hours: z.strictObject({ '1': weekday, '2': weekday, '3': weekday, '4': weekday, '5': weekday, '6': weekday, '7': weekday }).partial(),
  holidays: z.array(IsoDay).max(366),
});
const E164Prefix = z.string().regex(/^\+[1-9][0-9]{0,14}$/, 'transfer prefixes are E.164 prefixes such as +86400800');
const storePatch = z.strictObject({ transferAllow: z.array(E164Prefix).max(200) });

const StoreView = z
  .object({
    storeId: z.string(),
    groupId: z.string(),
    name: z.string(),
    city: z.string().optional(),
    timeZone: z.string(),
    hours: z.record(z.string(), z.array(z.string())),
    holidays: z.array(z.string()),
    transferAllow: z.array(z.string()),
    createdAt: IsoDate.optional(),
    updatedAt: IsoDate.optional(),
  })
  .meta({ id: 'Store' });

const VoicemailView = z
  .object({
    callId: z.string(),
    queueId: z.string(),
    storeId: z.string().optional(),
    from: z.string(),
    customerId: z.string().optional(),
    durationMs: z.number(),
    file: z.string(),
    at: IsoDate,
    handledBy: z.string().optional(),
    handledAt: IsoDate.optional(),
    createdAt: IsoDate.optional(),
    updatedAt: IsoDate.optional(),
  })
  .meta({ id: 'Voicemail' });

const DeadLetters = z.object({
  counts: z.object({ waiting: z.number(), delayed: z.number(), active: z.number(), completed: z.number(), failed: z.number(), dead: z.number() }),
  deadLetters: z.array(z.looseObject({})),
});

const queueParams = z.object({ queueId: Id });
const storeParams = z.object({ storeId: StoreId });
const callParams = z.object({ callId: z.string().min(1).max(100) });

type StoreDocLean = { _id: string; groupId: string; name: string; city?: string | null; timeZone?: string | null; hours?: unknown; holidays?: string[]; transferAllow?: string[]; createdAt?: Date; updatedAt?: Date };
const iso = (d: Date | null | undefined): string | undefined => (d ? d.toISOString() : undefined);
function storeView(d: StoreDocLean): z.infer<typeof StoreView> {
  return {
    storeId: d._id,
    groupId: d.groupId,
    name: d.name,
    ...(d.city ? { city: d.city } : {}),
    timeZone: d.timeZone ?? 'Asia/Shanghai',
    hours: (d.hours ?? {}) as Record<string, string[]>,
    holidays: d.holidays ?? [],
    transferAllow: d.transferAllow ?? [],
    ...(d.createdAt ? { createdAt: iso(d.createdAt) } : {}),
    ...(d.updatedAt ? { updatedAt: iso(d.updatedAt) } : {}),
  };
}

/** Queues, stores (hours, transfer allow-list), voicemails, IVR reload and the CRM dead-letter list: managers and admins, within their stores. */
export function adminRoutes(r: RouteRegistry, deps: AdminDeps): void {
  const changers = ['manager', 'admin'] as const;
  const overseers = ['supervisor', 'manager', 'admin'] as const;
  const noCrm = { description: 'no external CRM is configured (CRM_URL)' };

  r.add({
    method: 'get',
    path: '/api/queues',
    tag: 'queues',
    summary: "Queues of the caller's stores, with calls waiting and agents ready now (active ones; ?all=1 also the deactivated)",
    access: 'signed-in',
    query: z.object({ all: z.enum(['0', '1']).optional() }),
    responses: { 200: { description: 'queues', schema: z.array(QueueLive) } },
    handler: async ({ scope, query }) => {
      const docs = await deps.models.Queue.find({ ...storeFilter(scope, 'storeId'), ...(query.all === '1' ? {} : { active: { $ne: false } }) }, { _id: 0, __v: 0 }).lean();
      const out = [];
      for (const q of docs) out.push({ ...queueView(q), waiting: await deps.queues.waitingCount(q.queueId), readyAgents: (await deps.queues.readyAgents(q.queueId)).length });
      return ok(out);
    },
  });

  r.add({
    method: 'post',
    path: '/api/queues',
    tag: 'queues',
    summary: 'Create a queue of one of your stores (its dialled numbers must not belong to another queue); takes effect at once on every instance',
    access: changers,
    body: newQueue,
    responses: { 201: { description: 'the queue as saved', schema: QueueView }, 409: { description: 'the queue id, or one of its numbers, is taken' }, 422: { description: "a store, or an overflow queue, not in the caller's stores" } },
    handler: async ({ scope, body }) => {
      if (!canSeeStore(scope, body.storeId) || !(await deps.models.Store.exists({ _id: body.storeId }))) throw new HttpError(422, `storeId: no store ${body.storeId} in your stores`);
      if (await deps.models.Queue.exists({ queueId: body.queueId })) throw new HttpError(409, `queue ${body.queueId} already exists`);
      for (const n of body.numbers) {
        const taken = await deps.models.Queue.findOne({ numbers: n, active: { $ne: false } }, { queueId: 1 }).lean();
        if (taken) throw new HttpError(409, `number ${n} already routes to queue ${taken.queueId}`);
      }
      if (body.overflow?.kind === 'queue') {
        const target = deps.queueDirectory.get(body.overflow.queueId);
        if (!target || !canSeeStore(scope, target.storeId)) throw new HttpError(422, `overflow.queueId: no queue ${body.overflow.queueId} in your stores`);
      }
      try {
        await deps.models.Queue.create(body);
      } catch (err) {
        if ((err as { code?: number }).code === 11000) throw new HttpError(409, `queue ${body.queueId} already exists`);
        throw err;
      }
      await deps.reloadRouting();
      return created(queueView((await deps.models.Queue.findOne({ queueId: body.queueId }, { _id: 0, __v: 0 }).lean().orFail()) as Record<string, unknown>));
    },
  });

  r.add({
    method: 'post',
    path: '/api/queues/:queueId/deactivate',
    tag: 'queues',
    summary: 'Deactivate a queue: its numbers no longer route to it and it leaves the lists (calls waiting in it are served); reactivate with PATCH active: true',
    access: changers,
    params: queueParams,
    responses: { 200: { description: 'the queue, inactive', schema: QueueView }, 404: { description: "no such queue in the caller's stores" }, 409: { description: 'another queue overflows into it' } },
    handler: async ({ scope, params }) => {
      const doc = await deps.models.Queue.findOne({ queueId: params.queueId }).lean();
      if (!doc) throw new HttpError(404, `no queue ${params.queueId} in your stores`);
      requireStore(scope, doc.storeId, `queue ${params.queueId}`);
      const feeder = await deps.models.Queue.findOne({ 'overflow.kind': 'queue', 'overflow.queueId': params.queueId, active: { $ne: false } }, { queueId: 1 }).lean();
      if (feeder) throw new HttpError(409, `queue ${feeder.queueId} overflows into ${params.queueId}: change its overflow first`);
      await deps.models.Queue.updateOne({ queueId: params.queueId }, { $set: { active: false } });
      await deps.reloadRouting();
      return ok(queueView((await deps.models.Queue.findOne({ queueId: params.queueId }, { _id: 0, __v: 0 }).lean().orFail()) as Record<string, unknown>));
    },
  });

  r.add({
    method: 'patch',
    path: '/api/queues/:queueId',
    tag: 'queues',
    summary: 'Change a queue (disposition set, whether a disposition is required, strategy, timers, overflow, announcements); takes effect at once on every instance',
    access: changers,
    params: queueParams,
    body: queuePatch,
    responses: { 200: { description: 'the queue as saved', schema: QueueView }, 404: { description: "no such queue in the caller's stores" }, 422: { description: "overflow into itself, or into a queue not in the caller's stores" } },
    handler: async ({ scope, params, body: patch }) => {
      const { queueId } = params;
      const doc = await deps.models.Queue.findOne({ queueId }).lean();
      if (!doc) throw new HttpError(404, `no queue ${queueId} in your stores`);
      requireStore(scope, doc.storeId, `queue ${queueId}`);
      if (patch.overflow?.kind === 'queue') {
        if (patch.overflow.queueId === queueId) throw new HttpError(422, 'overflow.queueId: a queue cannot overflow into itself');
        const target = deps.queueDirectory.get(patch.overflow.queueId);
        if (!target || !canSeeStore(scope, target.storeId)) throw new HttpError(422, `overflow.queueId: no queue ${patch.overflow.queueId} in your stores`);
      }
      const set: Record<string, unknown> = {};
      const unset: Record<string, ''> = {};
      for (const [k, v] of Object.entries(patch)) {
        if (v === null) unset[k] = '';
        else set[k] = v;
      }
      await deps.models.Queue.updateOne({ queueId }, { ...(Object.keys(set).length ? { $set: set } : {}), ...(Object.keys(unset).length ? { $unset: unset } : {}) }, { runValidators: true });
      await deps.reloadRouting();
      return ok(queueView((await deps.models.Queue.findOne({ queueId }, { _id: 0, __v: 0 }).lean().orFail()) as Record<string, unknown>));
    },
  });

  r.add({
    method: 'get',
    path: '/api/stores',
    tag: 'stores',
    summary: "The caller's stores with hours, holidays and transfer allow-list",
    access: 'signed-in',
    responses: { 200: { description: 'stores', schema: z.array(StoreView) } },
    handler: async ({ scope }) => ok((await deps.models.Store.find(scope.admin ? {} : { _id: { $in: scope.storeIds } }, { __v: 0 }).lean()).map(storeView)),
  });

  r.add({
    method: 'patch',
    path: '/api/stores/:storeId',
    tag: 'stores',
    summary: "Set the numbers a store's agents may transfer calls to (E.164 prefixes; colleagues of the store are always allowed)",
    access: changers,
    params: storeParams,
    body: storePatch,
    responses: { 200: { description: 'the store as saved', schema: StoreView }, 404: { description: "no such store in the caller's stores" } },
    handler: async ({ scope, params, body }) => {
      const doc = await deps.models.Store.findById(params.storeId).lean();
      if (!doc) throw new HttpError(404, `no store ${params.storeId} in your stores`);
      requireStore(scope, params.storeId, `store ${params.storeId}`);
      await deps.models.Store.updateOne({ _id: params.storeId }, { $set: { transferAllow: [...new Set(body.transferAllow)] } });
      await deps.reloadRouting();
      return ok(storeView(await deps.models.Store.findById(params.storeId).lean().orFail()));
    },
  });

  r.add({
    method: 'put',
    path: '/api/stores/:storeId/hours',
    tag: 'stores',
    summary: "Set a store's time zone, weekly hours and holidays (used by IVR opening-hours branches)",
    access: changers,
    params: storeParams,
    body: hoursBody,
    responses: { 200: { description: 'saved', schema: hoursBody.extend({ storeId: z.string() }) }, 404: { description: "no such store in the caller's stores" }, 422: { description: 'an opening interval ends before it starts' } },
    handler: async ({ scope, params, body }) => {
      const { storeId } = params;
      const doc = await deps.models.Store.findById(storeId).lean();
      if (!doc) throw new HttpError(404, `no store ${storeId} in your stores`);
      requireStore(scope, storeId, `store ${storeId}`);
      for (const [day, intervals] of Object.entries(body.hours)) {
        for (const iv of intervals ?? []) {
          const [from, to] = iv.split('-');
          if ((from ?? '') >= (to ?? '')) throw new HttpError(422, `hours.${day}: "${iv}" ends before it starts`);
        }
      }
      await deps.models.Store.updateOne({ _id: storeId }, { $set: body });
      await deps.reloadRouting();
      return ok({ storeId, ...body });
    },
  });

  r.add({
    method: 'get',
    path: '/api/voicemails',
    tag: 'queues',
    summary: "Voicemails left when a queue overflowed, newest first (not yet handled; ?all=1 for all), in the caller's stores",
    access: overseers,
    query: z.object({ all: z.enum(['0', '1']).optional() }),
    responses: { 200: { description: 'voicemails (at most 500)', schema: z.array(VoicemailView) } },
    handler: async ({ scope, query }) => {
      const open = query.all === '1' ? {} : { handledAt: { $exists: false } };
      const docs = await deps.models.Voicemail.find({ ...open, ...storeFilter(scope, 'storeId') }, { __v: 0 }).sort({ at: -1 }).limit(500).lean();
      return ok(docs.map(({ _id, customerId, ...v }) => ({ ...v, ...(customerId ? { customerId: String(customerId) } : {}) })));
    },
  });

  r.add({
    method: 'post',
    path: '/api/voicemails/:callId/handled',
    tag: 'queues',
    summary: 'Mark a voicemail as called back',
    access: overseers,
    params: callParams,
    responses: { 200: { description: 'done', schema: Ok }, 404: { description: "no such voicemail in the caller's stores" }, 409: { description: 'already handled' } },
    handler: async ({ scope, params }) => {
      const v = await deps.models.Voicemail.findById(params.callId).lean();
      if (!v) throw new HttpError(404, `no voicemail ${params.callId} in your stores`);
      requireStore(scope, v.storeId, `voicemail ${params.callId}`);
      if (v.handledAt) throw new HttpError(409, `already handled by ${v.handledBy ?? 'someone'}`);
      await deps.models.Voicemail.updateOne({ _id: v._id }, { $set: { handledBy: scope.username, handledAt: new Date() } });
      return ok({ ok: true });
    },
  });

  r.add({
    method: 'post',
    path: '/api/ivr/reload',
    tag: 'queues',
    summary: 'Re-read ivr/flows and ivr/prompts.yaml; an invalid file is refused (422, naming file and node) and the running flows stay',
    access: ['admin'],
    responses: { 200: { description: 'reloaded', schema: Ok }, 422: { description: 'invalid flow or prompt catalogue' } },
    handler: async () => {
      try {
        await deps.reloadRouting();
      } catch (err) {
        if (err instanceof FlowError || err instanceof PromptCatalogError) throw new HttpError(422, err.message);
        throw err;
      }
      return ok({ ok: true });
    },
  });

  r.add({
    method: 'get',
    path: '/api/outcomes/dead-letters',
    tag: 'queues',
    summary: 'CRM write-back queue counts and the outcomes the CRM refused or that outlived the retry window',
    access: overseers,
    responses: { 200: { description: 'counts and dead letters', schema: DeadLetters }, 409: noCrm },
    handler: async () => {
      if (!deps.writeback) throw new HttpError(409, 'no external CRM is configured (CRM_URL)');
      return ok({ counts: await deps.writeback.counts(), deadLetters: await deps.writeback.deadLetters(500) });
    },
  });

  r.add({
    method: 'post',
    path: '/api/outcomes/dead-letters/replay',
    tag: 'queues',
    summary: 'Queue every dead-lettered outcome again (same idempotency key)',
    access: ['admin'],
    responses: { 200: { description: 'how many were replayed', schema: z.object({ replayed: z.number().int() }) }, 409: noCrm },
    handler: async () => {
      if (!deps.writeback) throw new HttpError(409, 'no external CRM is configured (CRM_URL)');
      return ok({ replayed: await deps.writeback.replayDeadLetters() });
    },
  });
}
