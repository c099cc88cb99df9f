import type express from 'express';
import { z } from 'zod';
import { toE164 } from '../crm/phone';
import { CampaignError, type CampaignRunner } from '../dialer/campaign-runner';
import type { DoNotCall } from '../dialer/dnc';
import type { Models, Role } from '../store/models';
import { HttpError, parseBody, type authMiddleware } from './http-kit';
import { requireStore, type Scoped } from './scope';

type Guard = ReturnType<ReturnType<typeof authMiddleware>>;

const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'times are HH:MM');
const campaignBody = z
  .strictObject({
    campaignId: z.string().regex(/^[a-z0-9][a-z0-9-]{0,59}$/, 'lower-case letters, digits and - (max 60)'),
    name: z.string().min(1).max(80),
    storeIds: z.array(z.string().min(1)).min(1, 'a campaign belongs to at least one store'),
    mode: z.enum(['preview', 'progressive', 'predictive']),
    callerId: z.string().regex(/^\+?[0-9]{5,20}$/, 'must be a phone number'),
    listIds: z.array(z.string().min(1)).min(1, 'name at least one lead list'),
    agents: z.array(z.string().min(1)).default([]),
    /** A team whose members work the campaign (added to `agents`). */
    teamId: z.string().min(1).optional(),
    window: z.strictObject({ days: z.array(z.number().int().min(1).max(7)).min(1), from: hhmm, to: hhmm, holidays: z.array(z.iso.date()).default([]) }).optional(),
    retry: z.strictObject({ busyMs: z.number().int().min(60_000), noAnswerMs: z.number().int().min(60_000), failedMs: z.number().int().min(60_000), maxAttempts: z.number().int().min(1).max(20) }).optional(),
    machine: z.enum(['hangup', 'message']).default('hangup'),
    machinePrompt: z.string().regex(/^[a-z0-9_]+$/).optional(),
    abandonLimit: z.number().min(0).max(0.03, 'the legal abandon limit is 3%').default(0.03),
    wrapUpMs: z.number().int().min(0).max(600_000).default(30_000),
    dispositionCodes: z.array(z.string().regex(/^[a-z][a-z0-9_]{0,39}$/)).min(1).optional(),
    script: z.string().max(20_000).optional(),
    previewCountdownSeconds: z.number().int().min(5).max(300).optional(),
  })
  .refine((c) => !c.window || c.window.from < c.window.to, { message: 'window: from must be before to', path: ['window'] })
  .refine((c) => c.machine !== 'message' || c.machinePrompt, { message: 'machinePrompt: needed when machine is message', path: ['machinePrompt'] });

const recycleBody = z.strictObject({
  outcomes: z.array(z.enum(['no_answer', 'busy', 'machine', 'failed', 'abandoned', 'connected'])).min(1).default(['no_answer', 'busy', 'machine']),
  olderThanDays: z.number().int().min(0).max(365).default(14),
});

const dncBody = z.strictObject({ scope: z.union([z.literal('global'), z.strictObject({ campaignId: z.string().min(1) })]), phones: z.array(z.string()).min(1).max(10_000), remove: z.boolean().default(false) });

/** Outbound campaigns: define, start, pause, stop, watch; do-not-call lists. Managers and admins, within their stores. */
export function campaignRoutes(app: express.Express, d: { models: Models; runner: CampaignRunner; dnc: DoNotCall }, requireAuth: (...roles: Role[]) => Guard, scope: express.RequestHandler): void {
  const managers = [requireAuth('manager', 'admin'), scope];
  const watchers = [requireAuth('supervisor', 'manager', 'admin'), scope];

  /** The campaign named in the path, if it belongs to one of the caller's stores (404 otherwise). */
  const own = async (req: express.Request): Promise<string> => {
    const id = String(req.params.campaignId);
    const s = (req as Scoped).scope;
    const doc = await d.models.Campaign.findById(id, { storeIds: 1 }).lean();
    if (!doc || !(s.admin || doc.storeIds.some((st) => s.storeIds.includes(st)))) throw new HttpError(404, `no campaign ${id} in your stores`);
    return id;
  };
  const act = (fn: (id: string) => Promise<void>): express.RequestHandler => async (req, res) => {
    const id = await own(req);
    try {
      await fn(id);
    } catch (err) {
      if (err instanceof CampaignError) throw new HttpError(409, err.message);
      throw err;
    }
    res.json(await d.runner.live(id));
  };

  app.post('/api/campaigns', ...managers, async (req, res) => {
    const s = (req as Scoped).scope;
    const body = parseBody(campaignBody, req.body);
    for (const store of body.storeIds) requireStore(s, store, `store ${store}`);
    if (await d.models.Campaign.exists({ _id: body.campaignId })) throw new HttpError(409, `campaign ${body.campaignId} already exists`);
    const { campaignId, teamId, ...rest } = body;
    if (teamId) {
      const team = await d.models.Team.findById(teamId).lean();
      if (!team) throw new HttpError(400, `teamId: no team ${teamId}`);
      requireStore(s, team.storeId, `team ${teamId}`);
      rest.agents = [...new Set([...rest.agents, ...team.members])];
    }
    await d.models.Campaign.create({ _id: campaignId, teamId, ...rest });
    res.status(201).json(await d.runner.live(campaignId));
  });
  app.get('/api/campaigns/:campaignId', ...watchers, async (req, res) => {
    res.json(await d.runner.live(await own(req)));
  });
  app.post('/api/campaigns/:campaignId/start', ...managers, act((id) => d.runner.start(id)));
  app.post('/api/campaigns/:campaignId/pause', ...managers, act((id) => d.runner.pause(id)));
  app.post('/api/campaigns/:campaignId/stop', ...managers, act((id) => d.runner.stop(id)));

  app.post('/api/campaigns/:campaignId/recycle', ...managers, async (req, res) => {
    const id = await own(req);
    const body = parseBody(recycleBody, req.body ?? {});
    res.json({ recycled: await d.runner.recycle(id, body.outcomes, body.olderThanDays * 86_400_000) });
  });

  app.post('/api/dnc', ...managers, async (req, res) => {
    const body = parseBody(dncBody, req.body);
    const phones: string[] = [];
    const rejected: { index: number; phone: string }[] = [];
    body.phones.forEach((p, index) => {
      const e = toE164(p);
      if (e) phones.push(e);
      else rejected.push({ index, phone: p });
    });
    if (body.remove) await d.dnc.remove(body.scope, phones);
    else await d.dnc.add(body.scope, phones);
    res.json({ [body.remove ? 'removed' : 'added']: phones.length, rejected });
  });
}
