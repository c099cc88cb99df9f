import { z } from 'zod';
import { toE164 } from '../crm/phone';
import { CampaignError, type CampaignRunner } from '../dialer/campaign-runner';
import type { DoNotCall } from '../dialer/dnc';
import type { DialOutcome } from '../dialer/ports';
import type { CampaignDoc, Models } from '../store/models';
import { HttpError } from './http-kit';
import { created, ok, type RouteRegistry } from './route-registry';
import { canSeeStore, storeFilter, type Scope } from './scope';
import { Id, IsoDate, Page, StoreId, Username } from './schemas';

const RecycleRule = z
  .strictObject({
    outcomes: z.array(z.enum(['no_answer', 'busy', 'machine', 'failed', 'abandoned', 'connected'])).min(1).max(6).default(['no_answer', 'busy', 'machine']),
    olderThanDays: z.number().int().min(0).max(365).default(14),
  })
  .meta({ id: 'RecycleRule' });
const recycleBody = RecycleRule.optional();
const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'times are HH:MM');
const campaignFields = {
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
    /** The campaign's recycling rule: what POST /recycle uses when its body is left out. */
    recycle: RecycleRule.optional(),
};
const windowRule = (c: { window?: { from: string; to: string } | undefined }) => !c.window || c.window.from < c.window.to;
const machineRule = (c: { machine?: string | undefined; machinePrompt?: string | undefined }) => c.machine !== 'message' || c.machinePrompt !== undefined;
const campaignBody = z
  .strictObject({ campaignId: Id, ...campaignFields })
  .refine(windowRule, { message: 'window: from must be before to', path: ['window'] })
  .refine(machineRule, { message: 'machinePrompt: needed when machine is message', path: ['machinePrompt'] });
/** An edit: any of the fields (defaults are not applied: what is left out stays as it is). */
const campaignPatch = z
  .strictObject({
    name: campaignFields.name,
    mode: campaignFields.mode,
    callerId: campaignFields.callerId,
    listIds: campaignFields.listIds,
    agents: z.array(Username).max(500),
    teamId: Id.nullable(),
    window: campaignFields.window.unwrap().nullable(),
    retry: campaignFields.retry.unwrap().nullable(),
    machine: z.enum(['hangup', 'message']),
    machinePrompt: campaignFields.machinePrompt.unwrap().nullable(),
    abandonLimit: z.number().min(0).max(0.03, 'the legal abandon limit is 3%'),
    wrapUpMs: z.number().int().min(0).max(600_000),
    dispositionCodes: campaignFields.dispositionCodes.unwrap(),
    script: campaignFields.script.unwrap().nullable(),
    previewCountdownSeconds: campaignFields.previewCountdownSeconds.unwrap().nullable(),
    recycle: RecycleRule.nullable(),
  })
  .partial()
  .refine((p) => Object.keys(p).length > 0, { message: 'nothing to change' })
  .refine((p) => !p.window || windowRule({ window: p.window }), { message: 'window: from must be before to', path: ['window'] })
  .meta({ override: { minProperties: 1 } });


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
  .object({
    campaignId: z.string(),
    name: z.string(),
    storeIds: z.array(z.string()),
    mode: z.string(),
    status: z.string(),
    listIds: z.array(z.string()),
    agents: z.array(z.string()),
    teamId: z.string().optional(),
    callerId: z.string(),
    window: z.object({ days: z.array(z.number()), from: z.string(), to: z.string(), holidays: z.array(z.string()) }).optional(),
    retry: z.object({ busyMs: z.number(), noAnswerMs: z.number(), failedMs: z.number(), maxAttempts: z.number() }).optional(),
    machine: z.string(),
    machinePrompt: z.string().optional(),
    abandonLimit: z.number(),
    wrapUpMs: z.number(),
    dispositionCodes: z.array(z.string()),
    script: z.string().optional(),
    previewCountdownSeconds: z.number().optional(),
    recycle: z.object({ outcomes: z.array(z.string()), olderThanDays: z.number() }).optional(),
    createdAt: IsoDate.optional(),
    updatedAt: IsoDate.optional(),
  })
  .meta({ id: 'CampaignSummary' });
const campaignsQuery = z.object({
  status: z.enum(['draft', 'running', 'paused', 'stopped', 'exhausted']).optional(),
  storeId: StoreId.optional(),
  q: z.string().max(80).optional().meta({ description: 'part of the id or name' }),
});
type CampaignLean = CampaignDoc & { _id: string; createdAt?: Date; updatedAt?: Date };
function summary(c: CampaignLean): z.infer<typeof CampaignSummary> {
  const w = c.window;
  const r = c.retry;
  return {
    campaignId: c._id,
    name: c.name,
    storeIds: c.storeIds,
    mode: c.mode,
    status: c.status ?? 'draft',
    listIds: c.listIds,
    agents: c.agents,
    ...(c.teamId ? { teamId: c.teamId } : {}),
    callerId: c.callerId,
    ...(w?.from && w.to ? { window: { days: w.days, from: w.from, to: w.to, holidays: w.holidays } } : {}),
    ...(r?.maxAttempts ? { retry: { busyMs: r.busyMs ?? 0, noAnswerMs: r.noAnswerMs ?? 0, failedMs: r.failedMs ?? 0, maxAttempts: r.maxAttempts } } : {}),
    machine: c.machine,
    ...(c.machinePrompt ? { machinePrompt: c.machinePrompt } : {}),
    abandonLimit: c.abandonLimit,
    wrapUpMs: c.wrapUpMs,
    dispositionCodes: c.dispositionCodes,
    ...(c.script ? { script: c.script } : {}),
    ...(c.previewCountdownSeconds ? { previewCountdownSeconds: c.previewCountdownSeconds } : {}),
    ...(c.recycle?.outcomes?.length ? { recycle: { outcomes: c.recycle.outcomes, olderThanDays: c.recycle.olderThanDays ?? 14 } } : {}),
    ...(c.createdAt ? { createdAt: c.createdAt.toISOString() } : {}),
    ...(c.updatedAt ? { updatedAt: c.updatedAt.toISOString() } : {}),
  };
}
const escapeRegex = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
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
    query: campaignsQuery,
    responses: { 200: { description: 'campaigns with their definitions', schema: z.array(CampaignSummary) } },
    handler: async ({ scope, query }) => {
      const filter: Record<string, unknown> = { ...storeFilter(scope, 'storeIds') };
      if (query.storeId) filter.storeIds = canSeeStore(scope, query.storeId) ? query.storeId : '\u0000';
      if (query.status) filter.status = query.status === 'draft' ? { $in: ['draft', null] } : query.status;
      const docs = (await d.models.Campaign.find(filter).sort({ _id: 1 }).limit(2000).lean()) as CampaignLean[];
      const q = query.q ? new RegExp(escapeRegex(query.q), 'i') : undefined;
      return ok(docs.filter((c) => !q || q.test(c._id) || q.test(c.name)).map(summary));
    },
  });

  /** Checks that a campaign's team, lead lists and agents are of its stores; returns the agents with the team's members. */
  const checkRefs = async (storeIds: string[], f: { teamId?: string | null | undefined; listIds?: string[] | undefined; agents?: string[] | undefined }): Promise<string[] | undefined> => {
    let agents = f.agents;
    if (f.teamId) {
      const team = await d.models.Team.findById(f.teamId).lean();
      if (!team || !storeIds.includes(team.storeId) || (team as { active?: boolean }).active === false) throw new HttpError(422, `teamId: no active team ${f.teamId} in the campaign's stores`);
      agents = [...(agents ?? []), ...team.members];
    }
    for (const listId of f.listIds ?? []) {
      const list = await d.models.LeadList.findById(listId, { storeId: 1 }).lean();
      if (!list || !storeIds.includes(list.storeId)) throw new HttpError(422, `listIds: no lead list ${listId} in the campaign's stores`);
    }
    if (!agents) return undefined;
    agents = [...new Set(agents)];
    for (const username of agents) {
      if (!(await d.models.User.exists({ username, storeIds: { $in: storeIds } }))) throw new HttpError(422, `agents: no user ${username} in the campaign's stores`);
    }
    return agents;
  };

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
      rest.agents = (await checkRefs(body.storeIds, { teamId, listIds: body.listIds, agents: rest.agents })) ?? [];
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
  r.add({
    method: 'patch',
    path: '/api/campaigns/:campaignId',
    tag: 'outbound',
    summary: "Edit a campaign (its stores stay): name, mode, caller id, lead lists, agents or team, window, retries, machine rule, abandon limit, wrap-up, dispositions, script, recycling rule; null clears an optional field",
    description: 'Mode and lead lists change only while the campaign is not running (pause or stop it first); the other fields take effect at its next start.',
    access: managers,
    params: campaignParams,
    body: campaignPatch,
    responses: { 200: { description: 'the campaign as saved', schema: CampaignSummary }, 404: notYours, 409: { description: 'mode or lead lists changed while running' }, 422: { description: "a team, lead list or agent not in the campaign's stores, or a rule broken" } },
    handler: async ({ scope, params, body }) => {
      const id = await own(scope, params.campaignId);
      const doc = (await d.models.Campaign.findById(id).lean().orFail()) as CampaignLean;
      if (doc.status === 'running' && (body.mode !== undefined || body.listIds !== undefined)) throw new HttpError(409, 'pause or stop the campaign before changing its mode or lead lists', 'campaign_refused');
      const machine = body.machine ?? doc.machine;
      const prompt = body.machinePrompt === null ? undefined : (body.machinePrompt ?? doc.machinePrompt ?? undefined);
      if (!machineRule({ machine, machinePrompt: prompt })) throw new HttpError(422, 'machinePrompt: needed when machine is message');
      const set: Record<string, unknown> = {};
      const unset: Record<string, ''> = {};
      for (const [k, v] of Object.entries(body)) {
        if (k === 'teamId' || k === 'agents') continue;
        if (v === null) unset[k] = '';
        else set[k] = v;
      }
      if (body.teamId !== undefined || body.agents !== undefined) {
        const agents = await checkRefs(doc.storeIds, { teamId: body.teamId, agents: body.agents ?? doc.agents });
        set.agents = agents ?? doc.agents;
        if (body.teamId === null) unset.teamId = '';
        else if (body.teamId) set.teamId = body.teamId;
      }
      if (body.listIds) await checkRefs(doc.storeIds, { listIds: body.listIds });
      await d.models.Campaign.updateOne({ _id: id }, { ...(Object.keys(set).length ? { $set: set } : {}), ...(Object.keys(unset).length ? { $unset: unset } : {}) }, { runValidators: true });
      return ok(summary((await d.models.Campaign.findById(id).lean().orFail()) as CampaignLean));
    },
  });

  act('start', 'Start (or resume) dialling; the status is kept in MongoDB and resumed after a restart', (id) => d.runner.start(id), 'cannot start (e.g. preview mode, or running on another instance)');
  act('pause', 'Pause: no new calls; calls in progress finish', (id) => d.runner.pause(id), 'not running');
  act('stop', 'Stop the campaign', (id) => d.runner.stop(id), 'cannot stop now');

  r.add({
    method: 'post',
    path: '/api/campaigns/:campaignId/recycle',
    tag: 'outbound',
    summary: "Recycle finished leads: those whose last outcome is one of `outcomes` and not tried for `olderThanDays` start over; without a body the campaign's own recycling rule (else no_answer, busy, machine after 14 days); DNC leads never",
    access: managers,
    params: campaignParams,
    body: recycleBody,
    responses: { 200: { description: 'how many', schema: z.object({ recycled: z.number().int() }) }, 404: notYours },
    handler: async ({ scope, params, body }) => {
      const id = await own(scope, params.campaignId);
      const rule = body ?? (await d.models.Campaign.findById(id, { recycle: 1 }).lean())?.recycle;
      const outcomes = (rule?.outcomes?.length ? rule.outcomes : ['no_answer', 'busy', 'machine']) as DialOutcome[];
      return ok({ recycled: await d.runner.recycle(id, outcomes, (rule?.olderThanDays ?? 14) * 86_400_000) });
    },
  });

  r.add({
    method: 'get',
    path: '/api/dnc',
    tag: 'outbound',
    summary: "The do-not-call list: global (without campaignId) or one campaign's of your stores, a page at a time, sorted; ?contains= filters by digits",
    access: managers,
    query: Page.extend({ campaignId: Id.optional(), contains: z.string().regex(/^[0-9+]{1,20}$/, 'digits only').optional() }),
    responses: { 200: { description: 'a page of numbers (E.164)', schema: z.object({ scope: z.string(), total: z.number().int(), page: z.number().int(), limit: z.number().int(), phones: z.array(z.string()) }) }, 404: notYours },
    handler: async ({ scope, query }) => {
      const which = query.campaignId ? { campaignId: await own(scope, query.campaignId) } : ('global' as const);
      const found = await d.dnc.list(which, { offset: (query.page - 1) * query.limit, limit: query.limit, contains: query.contains });
      return ok({ scope: query.campaignId ?? 'global', total: found.total, page: query.page, limit: query.limit, phones: found.phones });
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
