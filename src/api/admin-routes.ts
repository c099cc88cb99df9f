import type express from 'express';
import { z } from 'zod';
import type { QueueDirectory } from '../acd/queue-directory';
import type { QueueStore } from '../acd/queue-store';
import { FlowError } from '../ivr/flow-loader';
import { PromptCatalogError } from '../ivr/prompt-catalog';
import type { CrmWriteback } from '../outcomes/crm-writeback';
import { INTERVAL_PATTERN, isTimeZone } from '../org/business-hours';
import type { Models, Role } from '../store/models';
import { HttpError, parseBody, type authMiddleware } from './http-kit';
import { canSeeStore, requireStore, type Scoped } from './scope';

export interface AdminDeps {
  models: Models;
  queueDirectory: QueueDirectory;
  queues: QueueStore;
  reloadRouting: () => Promise<void>;
  writeback: CrmWriteback | undefined;
}

const code = z.string().regex(/^[a-z][a-z0-9_]{0,39}$/, 'disposition codes are lower-case letters, digits and _ (max 40)');
const queuePatch = z
  .strictObject({
    name: z.string().min(1).max(60),
    dispositionCodes: z
      .array(code)
      .min(1, 'a queue needs at least one disposition code')
      .max(40)
      .refine((c) => new Set(c).size === c.length, { message: 'disposition codes must not repeat' }),
    strategy: z.enum(['longest_idle', 'round_robin', 'fewest_calls', 'ring_all']),
    offerTimeoutMs: z.number().int().min(5_000).max(120_000),
    wrapUpMs: z.number().int().min(0).max(3_600_000),
    wrapUpExtendMaxMs: z.number().int().min(0).max(3_600_000),
    requireDisposition: z.boolean(),
    maxWaitMs: z.number().int().min(10_000).max(7_200_000).nullable(),
    preferredWaitMs: z.number().int().min(0).max(600_000),
    announceEveryMs: z.number().int().min(15_000).max(600_000).nullable(),
    callbackKey: z.enum(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '*', '#']).nullable(),
    overflow: z.union([z.strictObject({ kind: z.literal('queue'), queueId: z.string().min(1) }), z.strictObject({ kind: z.enum(['callback', 'voicemail', 'hangup']) })]).nullable(),
  })
  .partial()
  .refine((p) => Object.keys(p).length > 0, { message: 'nothing to change' });

const weekday = z.array(z.string().regex(INTERVAL_PATTERN, 'opening intervals are "HH:MM-HH:MM", e.g. "09:00-18:00"')).max(6);
const hoursBody = z.strictObject({
  timeZone: z.string().refine(isTimeZone, { message: 'must be an IANA time zone such as Asia/Shanghai' }),
  hours: z.strictObject({ '1': weekday, '2': weekday, '3': weekday, '4': weekday, '5': weekday, '6': weekday, '7': weekday }).partial(),
  holidays: z.array(z.iso.date({ error: 'holidays are dates, YYYY-MM-DD' })).max(366),
});

type Guard = ReturnType<ReturnType<typeof authMiddleware>>;

/** Queues, store hours, IVR reload and the CRM dead-letter list: for managers and admins, within their stores. */
export function adminRoutes(app: express.Express, deps: AdminDeps, requireAuth: (...roles: Role[]) => Guard, scope: express.RequestHandler): void {
  const managers = [requireAuth('manager', 'admin', 'supervisor'), scope];
  const changers = [requireAuth('manager', 'admin'), scope];

  app.get('/api/queues', requireAuth(), scope, async (req, res) => {
    const s = (req as Scoped).scope;
    const docs = await deps.models.Queue.find({}, { _id: 0, __v: 0 }).lean();
    const visible = docs.filter((q) => canSeeStore(s, q.storeId));
    const out = [];
    for (const q of visible) out.push({ ...q, waiting: await deps.queues.waitingCount(q.queueId), readyAgents: (await deps.queues.readyAgents(q.queueId)).length });
    res.json(out);
  });

  app.patch('/api/queues/:queueId', ...changers, async (req, res) => {
    const s = (req as Scoped).scope;
    const queueId = String(req.params.queueId);
    const doc = await deps.models.Queue.findOne({ queueId }).lean();
    requireStore(s, doc?.storeId, `queue ${queueId}`);
    const patch = parseBody(queuePatch, req.body);
    if (patch.overflow?.kind === 'queue') {
      if (patch.overflow.queueId === queueId) throw new HttpError(400, 'overflow.queueId: a queue cannot overflow into itself');
      if (!deps.queueDirectory.get(patch.overflow.queueId)) throw new HttpError(400, `overflow.queueId: no queue ${patch.overflow.queueId}`);
    }
    const set: Record<string, unknown> = {};
    const unset: Record<string, ''> = {};
    for (const [k, v] of Object.entries(patch)) {
      if (v === null) unset[k] = '';
      else set[k] = v;
    }
    await deps.models.Queue.updateOne({ queueId }, { ...(Object.keys(set).length ? { $set: set } : {}), ...(Object.keys(unset).length ? { $unset: unset } : {}) }, { runValidators: true });
    await deps.reloadRouting();
    res.json(await deps.models.Queue.findOne({ queueId }, { _id: 0, __v: 0 }).lean());
  });

  app.get('/api/stores', requireAuth(), scope, async (req, res) => {
    const s = (req as Scoped).scope;
    const docs = await deps.models.Store.find({}, { __v: 0 }).lean();
    res.json(docs.filter((d) => canSeeStore(s, d._id)).map(({ _id, ...rest }) => ({ storeId: _id, ...rest })));
  });

  app.put('/api/stores/:storeId/hours', ...changers, async (req, res) => {
    const s = (req as Scoped).scope;
    const storeId = String(req.params.storeId);
    const doc = await deps.models.Store.findById(storeId).lean();
    requireStore(s, doc ? storeId : undefined, `store ${storeId}`);
    const body = parseBody(hoursBody, req.body);
    for (const [day, intervals] of Object.entries(body.hours)) {
      for (const iv of intervals ?? []) {
        const [from, to] = iv.split('-');
        if ((from ?? '') >= (to ?? '')) throw new HttpError(400, `hours.${day}: "${iv}" ends before it starts`);
      }
    }
    await deps.models.Store.updateOne({ _id: storeId }, { $set: body });
    await deps.reloadRouting();
    res.json({ storeId, ...body });
  });

  app.get('/api/voicemails', ...managers, async (req, res) => {
    const s = (req as Scoped).scope;
    const open = req.query.all === '1' ? {} : { handledAt: { $exists: false } };
    const docs = await deps.models.Voicemail.find(open, { __v: 0 }).sort({ at: -1 }).limit(500).lean();
    res.json(docs.filter((v) => canSeeStore(s, v.storeId)).map(({ _id, ...v }) => v));
  });

  app.post('/api/voicemails/:callId/handled', ...managers, async (req, res) => {
    const s = (req as Scoped).scope;
    const v = await deps.models.Voicemail.findById(String(req.params.callId)).lean();
    requireStore(s, v?.storeId, `voicemail ${String(req.params.callId)}`);
    if (v?.handledAt) throw new HttpError(409, `already handled by ${v.handledBy ?? 'someone'}`);
    await deps.models.Voicemail.updateOne({ _id: v?._id }, { $set: { handledBy: s.username, handledAt: new Date() } });
    res.json({ ok: true });
  });

  app.post('/api/ivr/reload', requireAuth('admin'), async (_req, res) => {
    try {
      await deps.reloadRouting();
    } catch (err) {
      if (err instanceof FlowError || err instanceof PromptCatalogError) throw new HttpError(422, err.message);
      throw err;
    }
    res.json({ ok: true });
  });

  app.get('/api/outcomes/dead-letters', ...managers, async (_req, res) => {
    if (!deps.writeback) throw new HttpError(409, 'no external CRM is configured (CRM_URL)');
    res.json({ counts: await deps.writeback.counts(), deadLetters: await deps.writeback.deadLetters(500) });
  });

  app.post('/api/outcomes/dead-letters/replay', requireAuth('admin'), async (_req, res) => {
    if (!deps.writeback) throw new HttpError(409, 'no external CRM is configured (CRM_URL)');
    res.json({ replayed: await deps.writeback.replayDeadLetters() });
  });
}
