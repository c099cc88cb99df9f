import ExcelJS from 'exceljs';
import { z } from 'zod';
import type { QueueDirectory } from '../acd/queue-directory';
import { campaignOf } from '../reports/call-counts';
import { staffing } from '../reports/erlang-c';
import { funnel } from '../reports/funnel';
import { DIMENSIONS, GRAINS, nextDay, REPORT_TIME_ZONE, storedGrainFor, type Dimension } from '../reports/interval-keys';
import { IntervalStore } from '../reports/interval-store';
import { rollUp, totalsByKey, type ReportRow } from '../reports/rollup';
import type { Models } from '../store/models';
import { HttpError } from './http-kit';
import { ok, type RouteRegistry } from './route-registry';
import type { Scope } from './scope';

const Day = z.iso.date({ error: 'dates are YYYY-MM-DD' });
const reportFields = {
  dim: z.enum(DIMENSIONS),
  grain: z.enum(GRAINS).default('60m'),
  from: Day,
  to: Day.meta({ description: 'last day, inclusive' }),
  keys: z.string().max(2000).optional().meta({ description: 'comma-separated queue ids, user names, store ids or campaign ids' }),
};
const periodRule = (q: { from: string; to: string }): boolean => q.from <= q.to && Date.parse(q.to) - Date.parse(q.from) <= 92 * 86_400_000;
const periodMessage = { message: 'from must not be after to, and at most 92 days at a time', path: ['from'] };
const reportQuery = z.object(reportFields).refine(periodRule, periodMessage);
const exportQuery = z.object({ ...reportFields, format: z.enum(['csv', 'xlsx']).default('csv') }).refine(periodRule, periodMessage);

const Figures = {
  offered: z.number(),
  answered: z.number(),
  abandoned: z.number(),
  serviceLevel: z.number().nullable(),
  asaMs: z.number().nullable(),
  ahtMs: z.number().nullable(),
  abandonRate: z.number().nullable(),
  occupancy: z.number().nullable(),
};
const ReportRowView = z.object({ interval: z.string(), key: z.string(), ...Figures, counters: z.record(z.string(), z.number()) }).meta({ id: 'ReportRow' });
const IntervalReport = z.object({ dim: z.string(), grain: z.string(), from: z.string(), to: z.string(), timeZone: z.string(), rows: z.array(ReportRowView), totals: z.array(ReportRowView) }).meta({ id: 'IntervalReport' });

const pct = (v: number | null): string => (v === null ? '' : (v * 100).toFixed(1));
const sec = (v: number | null): string => (v === null ? '' : (v / 1000).toFixed(1));
const EXPORT_COLUMNS = ['interval', 'key', 'offered', 'answered', 'abandoned', 'SL %', 'ASA s', 'AHT s', 'abandon %', 'occupancy %'];
function exportCells(r: ReportRow): (string | number)[] {
  return [r.interval, r.key, r.offered, r.answered, r.abandoned, pct(r.serviceLevel), sec(r.asaMs), sec(r.ahtMs), pct(r.abandonRate), pct(r.occupancy)];
}
const csvCell = (v: string | number): string => (/[",\r\n]/.test(String(v)) ? `"${String(v).replace(/"/g, '""')}"` : String(v));

/** Interval reports, the DCC funnel and the Erlang C staffing view: supervisors, managers and admins, within their stores. */
export function reportRoutes(r: RouteRegistry, d: { models: Models; queueDirectory: QueueDirectory }): void {
  const readers = ['supervisor', 'manager', 'admin'] as const;
  const store = new IntervalStore(d.models.CallRecord.db);

  /** The keys of a dimension the caller may see (undefined: all, for admins). */
  const allowedKeys = async (s: Scope, dim: Dimension): Promise<Set<string> | undefined> => {
    if (s.admin) return undefined;
    if (dim === 'store') return new Set(s.storeIds);
    if (dim === 'queue') return new Set((await d.models.Queue.find({ storeId: { $in: s.storeIds } }, { queueId: 1 }).lean()).map((q) => q.queueId));
    if (dim === 'agent') return new Set((await d.models.User.find({ storeIds: { $in: s.storeIds } }, { username: 1 }).lean()).map((u) => u.username));
    return new Set((await d.models.Campaign.find({ storeIds: { $in: s.storeIds } }, { _id: 1 }).lean()).map((c) => c._id));
  };
  const storeOfQueue = async (queueId: string | undefined): Promise<string | undefined> => {
    const c = campaignOf(queueId);
    if (c) return (await d.models.Campaign.findById(c, { storeIds: 1 }).lean())?.storeIds[0];
    return queueId ? d.queueDirectory.get(queueId)?.storeId : undefined;
  };

  const build = async (s: Scope, q: z.infer<typeof reportQuery>) => {
    const allowed = await allowedKeys(s, q.dim);
    const asked = q.keys ? q.keys.split(',').map((k) => k.trim()).filter(Boolean) : undefined;
    const rows = (await store.read(storedGrainFor(q.grain), q.dim, q.from, q.to, asked)).filter((row) => !allowed || allowed.has(row.key));
    return { dim: q.dim, grain: q.grain, from: q.from, to: q.to, timeZone: REPORT_TIME_ZONE, rows: rollUp(rows, q.grain), totals: totalsByKey(rows) };
  };

  r.add({
    method: 'get',
    path: '/api/reports/intervals',
    tag: 'reports',
    summary: 'Interval report by queue, agent, store or campaign (15/30/60 min, day, week): offered, answered, abandoned, SL, ASA, AHT, abandon rate, occupancy per interval and in total',
    description: 'Read from interval rows counted as calls end (not from call records). Formulas: src/shared/contact-metrics.ts (SL = answered within 20 s ÷ (answered + abandoned − short abandons under 5 s)). Days are local days in Asia/Shanghai.',
    access: readers,
    query: reportQuery,
    responses: { 200: { description: 'the report', schema: IntervalReport } },
    handler: async ({ scope, query }) => ok(await build(scope, query)),
  });

  r.add({
    method: 'get',
    path: '/api/reports/intervals/export',
    tag: 'reports',
    summary: 'The same report as a CSV (UTF-8 with BOM) or XLSX file',
    access: readers,
    query: exportQuery,
    responses: { 200: { description: 'the file', contentType: ['text/csv', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'] } },
    handler: async ({ scope, query, res }) => {
      const rep = await build(scope, query);
      const name = `report-${rep.dim}-${rep.grain}-${rep.from}-${rep.to}`;
      const all = [...rep.rows, ...rep.totals];
      if (query.format === 'csv') {
        const text = [EXPORT_COLUMNS, ...all.map(exportCells)].map((cells) => cells.map(csvCell).join(',')).join('\r\n');
        res.status(200).type('text/csv; charset=utf-8').set('content-disposition', `attachment; filename="${name}.csv"`).send(`\uFEFF${text}\r\n`);
        return undefined;
      }
      const wb = new ExcelJS.Workbook();
      const ws = wb.addWorksheet(`${rep.dim} ${rep.grain}`);
      ws.addRow(EXPORT_COLUMNS).font = { bold: true };
      for (const row of all) ws.addRow(exportCells(row).map((v, i) => (i >= 2 && v !== '' ? Number(v) : v)));
      ws.columns.forEach((c) => (c.width = 14));
      res
        .status(200)
        .type('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet')
        .set('content-disposition', `attachment; filename="${name}.xlsx"`)
        .send(Buffer.from(await wb.xlsx.writeBuffer()));
      return undefined;
    },
  });

  r.add({
    method: 'get',
    path: '/api/reports/funnel',
    tag: 'reports',
    summary: 'DCC outcome funnel per agent, store or campaign: contacts → appointments booked → store visits → won back, with the A/B/C follow-up cadence adherence (stores and campaigns)',
    access: readers,
    query: z
      .object({ by: z.enum(['agent', 'store', 'campaign']), from: Day, to: Day })
      .refine((q) => q.from <= q.to && Date.parse(q.to) - Date.parse(q.from) <= 366 * 86_400_000, { message: 'from must not be after to, and at most a year at a time', path: ['from'] }),
    responses: {
      200: {
        description: 'funnel rows',
        schema: z.array(
          z.object({
            key: z.string(),
            contacts: z.number(),
            appointments: z.number(),
            visits: z.number(),
            wonBack: z.number(),
            cadence: z.record(z.string(), z.object({ leads: z.number(), onTime: z.number(), share: z.number().nullable() })).nullable(),
          }),
        ),
      },
    },
    handler: async ({ scope, query }) => {
      const allowed = await allowedKeys(scope, query.by);
      const dayRows = await store.read('day', query.by, query.from, query.to);
      const contacts = new Map<string, number>();
      for (const row of dayRows) contacts.set(row.key, (contacts.get(row.key) ?? 0) + (row.contacts ?? 0));
      const from = new Date(`${query.from}T00:00:00+08:00`);
      const to = new Date(`${nextDay(query.to)}T00:00:00+08:00`);
      const rows = await funnel(d.models, query.by, from, to, contacts, storeOfQueue);
      return ok(rows.filter((row) => !allowed || allowed.has(row.key)));
    },
  });

  r.add({
    method: 'get',
    path: '/api/reports/staffing',
    tag: 'reports',
    summary: "Erlang C staffing for a queue's day beside the actual staffing: per interval the calls (the day's offered calls, or ?calls= for each interval), AHT (the interval's, or ?ahtSec=), target SL and shrinkage → agents needed and to schedule; actual = logged-in time of the queue's agents ÷ interval length",
    access: readers,
    query: z.object({
      queueId: z.string().min(1).max(60),
      date: Day,
      grain: z.enum(['15m', '30m', '60m']).default('60m'),
      targetSl: z.coerce.number().min(0.01).max(0.999).default(0.8),
      thresholdSec: z.coerce.number().int().min(1).max(600).default(20),
      shrinkage: z.coerce.number().min(0).max(0.9).default(0.3),
      ahtSec: z.coerce.number().min(1).max(7200).optional(),
      calls: z.coerce.number().min(0).max(100_000).optional(),
    }),
    responses: { 200: { description: 'staffing per interval', schema: z.object({ queueId: z.string(), date: z.string(), grain: z.string(), rows: z.array(z.object({ interval: z.string(), calls: z.number(), ahtSec: z.number(), erlangs: z.number(), agents: z.number(), scheduled: z.number(), serviceLevel: z.number(), actualAgents: z.number() })) }) }, 404: { description: "no such queue in the caller's stores" } },
    handler: async ({ scope, query }) => {
      const allowed = await allowedKeys(scope, 'queue');
      if (!d.queueDirectory.get(query.queueId) || (allowed && !allowed.has(query.queueId))) throw new HttpError(404, `no queue ${query.queueId} in your stores`);
      const queueRows = rollUp(await store.read('15m', 'queue', query.date, query.date, [query.queueId]), query.grain);
      const agents = (await d.models.User.find({ queueIds: query.queueId }, { username: 1 }).lean()).map((u) => u.username);
      const agentRows = rollUp(await store.read('15m', 'agent', query.date, query.date, agents), query.grain);
      const intervalSec = query.grain === '15m' ? 900 : query.grain === '30m' ? 1800 : 3600;
      const actual = new Map<string, number>();
      for (const a of agentRows) actual.set(a.interval, (actual.get(a.interval) ?? 0) + a.counters.staffedMs / 1000 / intervalSec);
      const intervals = [...new Set([...queueRows.map((x) => x.interval), ...actual.keys()])].sort();
      const rows = intervals.map((interval) => {
        const q = queueRows.find((x) => x.interval === interval);
        const calls = query.calls ?? q?.offered ?? 0;
        const ahtSec = query.ahtSec ?? (q?.ahtMs ? q.ahtMs / 1000 : 180);
        const s = staffing({ calls, intervalSec, ahtSec, targetSl: query.targetSl, thresholdSec: query.thresholdSec, shrinkage: query.shrinkage });
        return { interval, calls, ahtSec: Math.round(ahtSec), erlangs: Number(s.erlangs.toFixed(2)), agents: s.agents, scheduled: s.scheduled, serviceLevel: Number(s.serviceLevel.toFixed(3)), actualAgents: Number((actual.get(interval) ?? 0).toFixed(2)) };
      });
      return ok({ queueId: query.queueId, date: query.date, grain: query.grain, rows });
    },
  });
}
