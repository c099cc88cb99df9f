import { Types } from 'mongoose';
import { z } from 'zod';
import type { QueueDirectory } from '../acd/queue-directory';
import type { AgentService } from '../agents/agent-service';
import type { Clock } from '../clock/clock';
import { toE164 } from '../crm/phone';
import type { CustomerDirectory } from '../crm/screen-pop';
import type { CampaignRunner } from '../dialer/campaign-runner';
import type { Models } from '../store/models';
import {
  createCustomerSchema,
  statsRangeSchema,
  type CallbackItem,
  type CallbackList,
  type Colleague,
  type ConsultantDay,
  type DeskCampaign,
  type MeProfile,
  type MyStats,
  type RoleName,
  type SoftphoneMode,
  type StatsRange,
} from '../shared/desk-api';
import { HttpError } from './http-kit';
import { created, ok, type RouteRegistry } from './route-registry';
import { canSeeStore } from './scope';
import { CustomerCardView, Role, StoreId } from './schemas';

export interface DeskDeps {
  models: Models;
  clock: Clock;
  agents: AgentService;
  campaigns: CampaignRunner;
  crm: CustomerDirectory;
  queueDirectory: QueueDirectory;
  notReadyReasons: readonly string[];
  softphone: SoftphoneMode;
}

const DAY_MS = 86_400_000;
const DEFAULT_TZ = 'Asia/Shanghai';

/** Minutes the zone is ahead of UTC at `at`. */
function zoneOffsetMs(at: number, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' }).formatToParts(new Date(at));
  const get = (type: string): number => Number(parts.find((p) => p.type === type)?.value ?? 0);
  const asUtc = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  return asUtc - Math.floor(at / 1000) * 1000;
}

/** The local date (YYYY-MM-DD) of `at` in the zone. */
export function localDate(at: number, timeZone: string): string {
  return new Date(at + zoneOffsetMs(at, timeZone)).toISOString().slice(0, 10);
}

/** The instant local midnight of `date` (YYYY-MM-DD) begins in the zone. */
export function startOfLocalDay(date: string, timeZone: string): number {
  const guess = Date.parse(`${date}T00:00:00Z`);
  return guess - zoneOffsetMs(guess, timeZone);
}

/** [from, to) of today or of this week (Monday first) in the zone. */
export function statsWindow(range: StatsRange, now: number, timeZone: string): { from: number; to: number } {
  const today = localDate(now, timeZone);
  const start = startOfLocalDay(today, timeZone);
  if (range === 'today') return { from: start, to: start + DAY_MS };
  const weekday = (new Date(`${today}T00:00:00Z`).getUTCDay() + 6) % 7; // Monday 0
  const monday = startOfLocalDay(new Date(Date.parse(`${today}T00:00:00Z`) - weekday * DAY_MS).toISOString().slice(0, 10), timeZone);
  return { from: monday, to: monday + 7 * DAY_MS };
}

const dateQuery = z.object({ date: z.iso.date({ error: 'date must be YYYY-MM-DD' }).optional() });
const rangeQuery = z.object({ range: statsRangeSchema.default('today') });

// What the routes answer, as the document describes it (the types in src/shared/desk-api.ts are the web app's).
const MeProfileView = z
  .object({
    username: z.string(),
    displayName: z.string(),
    roles: z.array(Role),
    extension: z.string().optional(),
    stores: z.array(z.object({ storeId: z.string(), name: z.string(), timeZone: z.string() })),
    queues: z.array(z.object({ queueId: z.string(), name: z.string(), storeId: z.string().optional(), dispositionCodes: z.array(z.string()) })),
    notReadyReasons: z.array(z.string()),
    softphone: z.enum(['webrtc', 'sim', 'none']),
    serverTime: z.number(),
  })
  .meta({ id: 'MeProfile' });
const DeskCampaignView = z.object({
  campaignId: z.string(),
  name: z.string(),
  mode: z.enum(['preview', 'progressive', 'predictive']),
  status: z.string(),
  callerId: z.string(),
  dispositionCodes: z.array(z.string()),
  script: z.string().optional(),
  previewCountdownSeconds: z.number().optional(),
});
const ColleagueView = z.object({ username: z.string(), displayName: z.string(), extension: z.string().optional(), roles: z.array(Role), state: z.string() });
const CallbackItemView = z.object({
  leadId: z.string(),
  campaignId: z.string(),
  campaignName: z.string(),
  phone: z.string(),
  name: z.string().optional(),
  grade: z.string().optional(),
  defeatReason: z.string().optional(),
  dueAt: z.string(),
  scope: z.enum(['personal', 'team']),
  lastOutcome: z.string().optional(),
});
const MyStatsView = z.object({
  range: statsRangeSchema,
  from: z.string(),
  to: z.string(),
  callsHandled: z.number().int(),
  inbound: z.number().int(),
  outbound: z.number().int(),
  talkMs: z.number(),
  ahtMs: z.number(),
  appointments: z.number().int(),
  wonBack: z.number().int(),
  series: z.array(z.object({ label: z.string(), calls: z.number().int(), appointments: z.number().int() })),
});
const ConsultantDayView = z.object({ username: z.string(), displayName: z.string(), bookings: z.array(z.object({ at: z.string(), customerName: z.string().optional(), bookedBy: z.string() })) });
const staff = ['agent', 'sales_consultant', 'supervisor', 'manager', 'admin'] as const;

/**
 * What the agent desk reads over REST: the signed-in user's profile for the shell, their campaigns,
 * colleagues with presence (transfers), scheduled callbacks, their day in figures; customers created
 * from the desk; a store's sales consultants with their bookings of a day (appointment picker).
 */
export function deskRoutes(r: RouteRegistry, d: DeskDeps): void {
  const timeZoneOf = async (storeIds: readonly string[]): Promise<string> => {
    const first = storeIds[0];
    if (!first) return DEFAULT_TZ;
    return (await d.models.Store.findById(first, { timeZone: 1 }).lean())?.timeZone ?? DEFAULT_TZ;
  };
  const myCampaigns = (username: string) => d.models.Campaign.find({ agents: username }, { __v: 0 }).lean();

  r.add({
    method: 'get',
    path: '/api/me',
    tag: 'desk',
    summary: "The logged-in user as their record says now, with what the desk's shell needs (stores, queues, not-ready reasons, softphone mode, server time)",
    access: 'signed-in',
    responses: { 200: { description: 'the user', schema: MeProfileView } },
    handler: async ({ me: caller }) => {
    const user = await d.models.User.findOne({ username: caller.username }, { passwordHash: 0 }).lean();
    if (!user) throw new HttpError(401, 'this account no longer exists', 'unauthorized');
    const admin = user.roles.includes('admin');
    const stores = await d.models.Store.find(admin ? {} : { _id: { $in: user.storeIds } }).lean();
    const queues = user.queueIds.flatMap((q) => {
      const c = d.queueDirectory.get(q);
      return c ? [{ queueId: c.queueId, name: c.name, storeId: c.storeId, dispositionCodes: c.dispositionCodes }] : [];
    });
    const me: MeProfile = {
      username: user.username,
      displayName: user.displayName,
      roles: user.roles as RoleName[],
      extension: user.extension ?? undefined,
      stores: stores.map((s) => ({ storeId: s._id, name: s.name, timeZone: s.timeZone ?? DEFAULT_TZ })),
      queues,
      notReadyReasons: [...d.notReadyReasons],
      softphone: d.softphone,
      serverTime: d.clock.now(),
    };
    return ok(me);
    },
  });

  r.add({
    method: 'get',
    path: '/api/me/campaigns',
    tag: 'desk',
    summary: 'The campaigns the caller works',
    access: staff,
    responses: { 200: { description: 'campaigns', schema: z.array(DeskCampaignView) } },
    handler: async ({ scope }) => {
    const docs = await myCampaigns(scope.username);
    const out: DeskCampaign[] = docs.map((c) => ({
      campaignId: c._id,
      name: c.name,
      mode: c.mode,
      status: c.status,
      callerId: c.callerId,
      dispositionCodes: c.dispositionCodes,
      script: c.script ?? undefined,
      previewCountdownSeconds: c.previewCountdownSeconds ?? undefined,
    }));
    return ok(out);
    },
  });

  r.add({
    method: 'get',
    path: '/api/me/colleagues',
    tag: 'desk',
    summary: "Colleagues at the caller's stores who take calls, with their agent state (transfer targets)",
    access: staff,
    responses: { 200: { description: 'colleagues', schema: z.array(ColleagueView) } },
    handler: async ({ scope: s }) => {
    const users = await d.models.User.find({ storeIds: { $in: s.storeIds }, roles: { $in: ['agent', 'sales_consultant', 'supervisor'] } }, { username: 1, displayName: 1, extension: 1, roles: 1 }).lean();
    const out: Colleague[] = [];
    for (const u of users) {
      if (u.username === s.username) continue;
      out.push({ username: u.username, displayName: u.displayName, extension: u.extension ?? undefined, roles: u.roles as RoleName[], state: (await d.agents.get(u.username)).state });
    }
    out.sort((a, b) => a.displayName.localeCompare(b.displayName, 'zh-CN'));
    return ok(out);
    },
  });

  r.add({
    method: 'get',
    path: '/api/me/callbacks',
    tag: 'desk',
    summary: "Scheduled callbacks of the caller's campaigns: their own (personal) and the team's",
    access: staff,
    responses: { 200: { description: 'callbacks', schema: z.object({ personal: z.array(CallbackItemView), team: z.array(CallbackItemView) }) } },
    handler: async ({ scope }) => {
    const me = scope.username;
    const campaigns = await myCampaigns(me);
    const campaignOfList = new Map<string, { campaignId: string; name: string }>();
    for (const c of campaigns) for (const l of c.listIds) if (!campaignOfList.has(l)) campaignOfList.set(l, { campaignId: c._id, name: c.name });
    const lists = [...campaignOfList.keys()];
    const fields = { listId: 1, phone: 1, name: 1, grade: 1, defeatReason: 1, nextDialAt: 1, callbackAgent: 1, lastOutcome: 1 };
    const personal = await d.models.Lead.find({ callbackAgent: me, status: 'in_progress', listId: { $in: lists } }, fields).sort({ nextDialAt: 1 }).limit(200).lean();
    const team = (await d.models.Lead.find({ listId: { $in: lists }, status: 'in_progress', lastOutcome: 'connected' }, fields).sort({ nextDialAt: 1 }).limit(400).lean()).filter((l) => !l.callbackAgent);
    const item = (scope: 'personal' | 'team') =>
      (l: (typeof personal)[number]): CallbackItem[] => {
        const c = campaignOfList.get(l.listId);
        if (!c || !l.nextDialAt) return [];
        return [{ leadId: l._id, campaignId: c.campaignId, campaignName: c.name, phone: l.phone, name: l.name ?? undefined, grade: l.grade ?? undefined, defeatReason: l.defeatReason ?? undefined, dueAt: l.nextDialAt.toISOString(), scope, lastOutcome: l.lastOutcome ?? undefined }];
      };
    const out: CallbackList = { personal: personal.flatMap(item('personal')), team: team.slice(0, 200).flatMap(item('team')) };
    return ok(out);
    },
  });

  r.add({
    method: 'get',
    path: '/api/me/stats',
    tag: 'desk',
    summary: "The caller's day or week in figures (calls, talk, handle time, appointments, won back) with a series for the chart",
    access: staff,
    query: rangeQuery,
    responses: { 200: { description: 'figures', schema: MyStatsView } },
    handler: async ({ scope: s, query }) => {
    const range = query.range;
    const tz = await timeZoneOf(s.storeIds);
    const { from, to } = statsWindow(range, d.clock.now(), tz);
    const records = await d.models.CallRecord.find({ agentUsername: s.username, connectedAt: { $gte: new Date(from), $lt: new Date(to) } }, { direction: 1, connectedAt: 1, endedAt: 1, talkMs: 1, disposition: 1 }).lean();
    const dispositions = await d.models.Disposition.find({ agentUsername: s.username, at: { $gte: new Date(from), $lt: new Date(to) } }, { appointment: 1, customerId: 1, at: 1 }).lean();
    const booked = dispositions.filter((x) => x.appointment?.at && x.appointment.consultant);
    const bookedCustomers = [...new Set(booked.flatMap((x) => (x.customerId ? [String(x.customerId)] : [])))];
    const defeated = bookedCustomers.length ? await d.models.Customer.countDocuments({ _id: { $in: bookedCustomers.map((id) => new Types.ObjectId(id)) }, status: 'defeated' }) : 0;
    const ended = records.filter((r) => r.endedAt && typeof r.talkMs === 'number');
    const handle = ended.map((r) => (r.talkMs ?? 0) + (r.disposition?.at && r.endedAt ? Math.max(0, r.disposition.at.getTime() - r.endedAt.getTime()) : 0));
    const buckets = range === 'today' ? Array.from({ length: 24 }, (_, h) => ({ label: `${String(h).padStart(2, '0')}:00`, start: from + h * 3600_000, ms: 3600_000 })) : Array.from({ length: 7 }, (_, i) => ({ label: localDate(from + i * DAY_MS + 12 * 3600_000, tz), start: from + i * DAY_MS, ms: DAY_MS }));
    const inBucket = (at: number, b: { start: number; ms: number }): boolean => at >= b.start && at < b.start + b.ms;
    let series = buckets.map((b) => ({ label: b.label, calls: records.filter((r) => r.connectedAt && inBucket(r.connectedAt.getTime(), b)).length, appointments: booked.filter((x) => inBucket(x.at.getTime(), b)).length }));
    // the working day, not the night: 08:00–20:00 plus any hour with activity
    if (range === 'today') series = series.filter((x, h) => (h >= 8 && h <= 20) || x.calls > 0 || x.appointments > 0);
    const out: MyStats = {
      range,
      from: new Date(from).toISOString(),
      to: new Date(to).toISOString(),
      callsHandled: records.length,
      inbound: records.filter((r) => r.direction === 'inbound').length,
      outbound: records.filter((r) => r.direction === 'outbound').length,
      talkMs: ended.reduce((sum, r) => sum + (r.talkMs ?? 0), 0),
      ahtMs: handle.length ? Math.round(handle.reduce((a, b) => a + b, 0) / handle.length) : 0,
      appointments: booked.length,
      wonBack: defeated,
      series,
    };
    return ok(out);
    },
  });

  r.add({
    method: 'post',
    path: '/api/customers',
    tag: 'desk',
    summary: "Create a customer the CRM did not know (from the desk), owned by the caller in one of their stores",
    access: staff,
    body: createCustomerSchema,
    responses: { 201: { description: "the customer's card", schema: CustomerCardView }, 409: { description: 'a customer with this number exists' }, 422: { description: "a store not in the caller's stores, or a number that is not a phone number" } },
    handler: async ({ scope: s, body }) => {
    if (!canSeeStore(s, body.storeId) || !(await d.models.Store.exists({ _id: body.storeId }))) throw new HttpError(422, `storeId: no store ${body.storeId} in your stores`);
    const phone = toE164(body.phone);
    if (!phone) throw new HttpError(422, 'phone: must be a phone number');
    const existing = await d.models.CustomerPhone.findById(phone).lean();
    if (existing) throw new HttpError(409, `a customer with ${phone} already exists`);
    const now = new Date(d.clock.now());
    const doc = await d.models.Customer.create({
      name: body.name,
      phones: [phone],
      gender: body.gender,
      city: body.city,
      grade: body.grade,
      status: 'prospect',
      owningStoreId: body.storeId,
      owningUser: s.username,
      modelsConsidered: body.modelsConsidered,
      funnel: [{ at: now, kind: 'note', storeId: body.storeId, grade: body.grade, note: body.note ? `DCC 建档：${body.note}` : 'DCC 建档' }],
    });
    await d.crm.invalidate(doc._id, [phone]);
    return created(await d.crm.card(doc._id));
    },
  });

  r.add({
    method: 'get',
    path: '/api/stores/:storeId/consultants',
    tag: 'desk',
    summary: "A store's sales consultants with their bookings of a day (?date=YYYY-MM-DD, default today): the appointment picker",
    access: staff,
    params: z.object({ storeId: StoreId }),
    query: dateQuery,
    responses: { 200: { description: 'consultants', schema: z.array(ConsultantDayView) }, 404: { description: "no such store in the caller's stores" } },
    handler: async ({ scope: s, params, query }) => {
    const storeId = params.storeId;
    if (!canSeeStore(s, storeId)) throw new HttpError(404, `no store ${storeId} in your stores`);
    const store = await d.models.Store.findById(storeId, { timeZone: 1 }).lean();
    if (!store) throw new HttpError(404, `no store ${storeId} in your stores`);
    const tz = store.timeZone ?? DEFAULT_TZ;
    const start = startOfLocalDay(query.date ?? localDate(d.clock.now(), tz), tz);
    const consultants = await d.models.User.find({ storeIds: storeId, roles: 'sales_consultant' }, { username: 1, displayName: 1 }).lean();
    const names = consultants.map((c) => c.username);
    const bookings = names.length ? await d.models.Disposition.find({ 'appointment.consultant': { $in: names }, 'appointment.at': { $gte: new Date(start), $lt: new Date(start + DAY_MS) } }, { appointment: 1, customerId: 1, agentUsername: 1 }).lean() : [];
    const customerIds = [...new Set(bookings.flatMap((b) => (b.customerId ? [String(b.customerId)] : [])))];
    const customers = customerIds.length ? await d.models.Customer.find({ _id: { $in: customerIds.map((id) => new Types.ObjectId(id)) } }, { name: 1 }).lean() : [];
    const nameOf = new Map(customers.map((c) => [String(c._id), c.name]));
    const out: ConsultantDay[] = consultants.map((c) => ({
      username: c.username,
      displayName: c.displayName,
      bookings: bookings
        .filter((b) => b.appointment?.consultant === c.username && b.appointment.at)
        .map((b) => ({ at: (b.appointment?.at as Date).toISOString(), customerName: b.customerId ? nameOf.get(String(b.customerId)) : undefined, bookedBy: b.agentUsername }))
        .sort((a, b) => a.at.localeCompare(b.at)),
    }));
    return ok(out);
    },
  });
}
