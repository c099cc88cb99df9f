import { z } from 'zod';
import { toE164 } from '../crm/phone';
import { CampaignError, type CampaignRunner } from '../dialer/campaign-runner';
import type { DoNotCall } from '../dialer/dnc';
import type { Models } from '../store/models';
import { HttpError } from './http-kit';
import { created, ok, type RouteRegistry } from './route-registry';
import { canSeeStore, storeFilter, type Scope } from './scope';
import { Id, StoreId, Username } from './schemas';

const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'times are HH:MM');
const campaignBody = z
  .strictObject({
    campaignId: Id,
    name: z.string().min(1).max(80),
    storeIds: z.array(StoreId).min(1, 'a campaign belongs to at least one store').max(20),
    mode: z.enum(['preview', 'progressive', 'predictive']),
    callerId: z.string().regex(/^\+?[0-9]{5,20}$/, 'must be a phone number'),
    listIds: z.array(Id).min(1, 'name at least one lead list').max(50),
    /** Users of the campaign's stores who work it. */
    agents: z.array(Username).max(500).default([]),
    /** A team whose members work the campaign (added to `agents`). */
    teamId: Id.optional(),
    window: z.strictObject({ days: z.array(z.number().int().min(1).max(7)).min(1).max(7), from: hhmm, to: hhmm, holidays: z.array(z.iso.date()).max(366).default([]) }).optional(),
    retry: z.strictObject({ busyMs: z.number().int().min(60_000).max(30 * 86_400_000), noAnswerMs: z.number().int().min(60_000).max(30 * 86_400_000), failedMs: z.number().int().min(60_000).max(30 * 86_400_000), maxAttempts: z.number().int().min(1).max(20) }).optional(),
    machine: z.enum(['hangup', 'message']).default('hangup'),
    machinePrompt: z.string().regex(/^[a-z0-9_]{1,60}$/).optional(),
    abandonLimit: z.number().min(0).max(0.03, 'the legal abandon limit is 3%').default(0.03),
    wrapUpMs: z.number().int().min(0).max(600_000).default(30_000),
    dispositionCodes: z.array(z.string().regex(/^[a-z][a-z0-9_]{0,39}$/)).min(1).max(40).optional(),
    script: z.string().max(20_000).optional(),
    previewCountdownSeconds: z.number().int().min(5).max(300).optional(),
  })
  .refine((c) => !c.window || c.window.from < c.window.to, { message: 'window: from must be before to', path: ['window'] })
  .refine((c) => c.machine !== 'message' || c.machinePrompt, { message: 'machinePrompt: needed when machine is message', path: ['machinePrompt'] });

const recycleBody = z
  .strictObject({
    outcomes: z.array(z.enum(['no_answer', 'busy', 'machine', 'failed', 'abandoned', 'connected'])).min(1).default(['no_answer', 'busy', 'machine']),
    olderThanDays: z.number().int().min(0).max(365).default(14),
  })
  .optional();

const dncBody = z.strictObject({
  scope: z.union([z.literal('global'), z.strictObject({ campaignId: Id })]).meta({ description: 'global (admins only) or one campaign of your stores' }),
  /** Numbers as people write them (digits, +, spaces, brackets, dots, dashes); each becomes E.164 or is reported back. */
  phones: z.array(z.string().regex(/^[0-9+() .-]{1,30}$/, 'phone numbers are digits, +, spaces, brackets, dots or dashes')).min(1).max(10_000),
  remove: z.boolean().default(false),
});

const LiveView = z
  .object({
    campaignId: z.string(),
    status: z.enum(['draft', 'running', 'paused', 'stopped', 'exhausted']),
    mode: z.enum(['preview', 'progressive', 'predictive']),
    callsInProgress: z.number(),
    dialLevel: z.number(),
    placed: z.number(),
    answerRate: z.number(),
    abandonRateToday: z.number(),
    abandonRate30d: z.number(),
    agentsByState: z.record(z.string(), z.number()),
  })
  .meta({ id: 'CampaignLive' });
const CampaignSummary = z
  .object({ campaignId: z.string(), name: z.string(), storeIds: z.array(z.string()), mode: z.string(), status: z.string(), listIds: z.array(z.string()), agents: z.array(z.string()), teamId: z.string().optional() })
  .meta({ id: 'CampaignSummary' });
const campaignParams = z.object({ campaignId: Id });
const notYours = { description: "no such campaign in the caller's stores" };

/** Outbound campaigns: define, list, start, pause, stop, watch; do-not-call lists. Managers and admins, within their stores. */
export function campaignRoutes(r: RouteRegistry, d: { models: Models; runner: CampaignRunner; dnc: DoNotCall }): void {
  const managers = ['manager', 'admin'] as const;
  const watchers = ['supervisor', 'manager', 'admin'] as const;

  /** The campaign, if it belongs to one of the caller's stores (404 otherwise). */
  const own = async (s: Scope, id: string): Promise<string> => {
    const doc = await d.models.Campaign.findById(id, { storeIds: 1 }).lean();
    if (!doc || !(s.admin || doc.storeIds.some((st) => s.storeIds.includes(st)))) throw new HttpError(404, `no campaign ${id} in your stores`);
    return id;
  };
  const act = (action: 'start' | 'pause' | 'stop', summary: string, fn: (id: string) => Promise<void>, conflict: string): void =>
    r.add({
      method: 'post',
      path: `/api/campaigns/:campaignId/${action}`,
      tag: 'outbound',
      summary,
      access: managers,
      params: campaignParams,
      responses: { 200: { description: 'live view', schema: LiveView }, 404: notYours, 409: { description: conflict } },
      handler: async ({ scope, params }) => {
        const id = await own(scope, params.campaignId);
        try {
          await fn(id);
        } catch (err) {
          if (err instanceof CampaignError) throw new HttpError(409, err.message, 'campaign_refused');
          throw err;
        }
        return ok(await d.runner.live(id));
      },
    });

  r.add({
    method: 'get',
    path: '/api/campaigns',
    tag: 'outbound',
    summary: "Campaigns of the caller's stores",
    access: watchers,
    responses: { 200: { description: 'campaigns', schema: z.array(CampaignSummary) } },
    handler: async ({ scope }) => {
      const docs = await d.models.Campaign.find(storeFilter(scope, 'storeIds')).sort({ _id: 1 }).lean();
      return ok(docs.map((c) => ({ campaignId: c._id, name: c.name, storeIds: c.storeIds, mode: c.mode, status: c.status ?? 'draft', listIds: c.listIds, agents: c.agents, ...(c.teamId ? { teamId: c.teamId } : {}) })));
    },
  });

  r.add({
    method: 'post',
    path: '/api/campaigns',
    tag: 'outbound',
    summary: 'Define an outbound campaign of your stores: mode, caller id, lead lists of those stores, agents (users of those stores) and/or a team, call window, retries, machine rule, abandon limit ≤ 3%, dispositions, script',
    access: managers,
    body: campaignBody,
    responses: { 201: { description: "the campaign's live view", schema: LiveView }, 409: { description: 'exists already' }, 422: { description: "a store, team, lead list or agent not in the campaign's (and your) stores, or a rule (window, machine prompt) broken" } },
    handler: async ({ scope, body }) => {
      for (const store of body.storeIds) {
        if (!canSeeStore(scope, store) || !(await d.models.Store.exists({ _id: store }))) throw new HttpError(422, `storeIds: no store ${store} in your stores`);
      }
      const { campaignId, teamId, ...rest } = body;
      if (teamId) {
        const team = await d.models.Team.findById(teamId).lean();
        if (!team || !body.storeIds.includes(team.storeId)) throw new HttpError(422, `teamId: no team ${teamId} in the campaign's stores`);
        rest.agents = [...new Set([...rest.agents, ...team.members])];
      }
      for (const listId of body.listIds) {
        const list = await d.models.LeadList.findById(listId, { storeId: 1 }).lean();
        if (!list || !body.storeIds.includes(list.storeId)) throw new HttpError(422, `listIds: no lead list ${listId} in the campaign's stores`);
      }
      rest.agents = [...new Set(rest.agents)];
      for (const username of rest.agents) {
        if (!(await d.models.User.exists({ username, storeIds: { $in: body.storeIds } }))) throw new HttpError(422, `agents: no user ${username} in the campaign's stores`);
      }
      if (await d.models.Campaign.exists({ _id: campaignId })) throw new HttpError(409, `campaign ${campaignId} already exists`);
      await d.models.Campaign.create({ _id: campaignId, teamId, ...rest });
      return created(await d.runner.live(campaignId));
    },
  });

  r.add({
    method: 'get',
    path: '/api/campaigns/:campaignId',
    tag: 'outbound',
    summary: 'Live view: status, dial level, calls in progress, answer rate, abandon rate today and over 30 days, agents by state',
    access: watchers,
    params: campaignParams,
    responses: { 200: { description: 'live view', schema: LiveView }, 404: notYours },
    handler: async ({ scope, params }) => ok(await d.runner.live(await own(scope, params.campaignId))),
  });
  act('start', 'Start (or resume) dialling; the status is kept in MongoDB and resumed after a restart', (id) => d.runner.start(id), 'cannot start (e.g. preview mode, or running on another instance)');
  act('pause', 'Pause: no new calls; calls in progress finish', (id) => d.runner.pause(id), 'not running');
  act('stop', 'Stop the campaign', (id) => d.runner.stop(id), 'cannot stop now');

  r.add({
    method: 'post',
    path: '/api/campaigns/:campaignId/recycle',
    tag: 'outbound',
    summary: 'Recycle finished leads: those whose last outcome is one of `outcomes` (default no_answer, busy, machine) and not tried for `olderThanDays` (default 14) start over; DNC leads never',
    access: managers,
    params: campaignParams,
    body: recycleBody,
    responses: { 200: { description: 'how many', schema: z.object({ recycled: z.number().int() }) }, 404: notYours },
    handler: async ({ scope, params, body }) => {
      const id = await own(scope, params.campaignId);
      const b = body ?? { outcomes: ['no_answer', 'busy', 'machine'] as const, olderThanDays: 14 };
      return ok({ recycled: await d.runner.recycle(id, [...b.outcomes], b.olderThanDays * 86_400_000) });
    },
  });

  r.add({
    method: 'post',
    path: '/api/dnc',
    tag: 'outbound',
    summary: "Add numbers to (or remove them from) the global do-not-call list (admins) or a campaign's (managers of its stores); checked at dial time",
    access: managers,
    body: dncBody,
    responses: {
      200: { description: 'how many, and the entries that are not phone numbers', schema: z.object({ added: z.number().int().optional(), removed: z.number().int().optional(), rejected: z.array(z.object({ index: z.number().int(), phone: z.string() })) }) },
      403: { description: 'the global list is for admins only' },
      404: notYours,
    },
    handler: async ({ scope, body }) => {
      if (body.scope === 'global') {
        if (!scope.admin) throw new HttpError(403, 'only admins change the global do-not-call list');
      } else await own(scope, body.scope.campaignId);
      const phones: string[] = [];
      const rejected: { index: number; phone: string }[] = [];
      body.phones.forEach((p, index) => {
        const e = toE164(p);
        if (e) phones.push(e);
        else rejected.push({ index, phone: p });
      });
      if (body.remove) await d.dnc.remove(body.scope, phones);
      else await d.dnc.add(body.scope, phones);
      return ok({ [body.remove ? 'removed' : 'added']: phones.length, rejected });
    },
  });
}
