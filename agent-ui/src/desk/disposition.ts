import type { AgentCommandPayload } from '@shared/agent-events';

/** What the agent has filled in on the outcome form. */
export interface DispositionDraft {
  code: string | undefined;
  notes: string;
  appointment: boolean;
  storeId: string | undefined;
  consultant: string | undefined;
  /** YYYY-MM-DD, the store's local date. */
  date: string | undefined;
  /** HH:mm, the store's local time. */
  time: string | undefined;
  /** YYYY-MM-DD HH:mm local, or undefined. */
  followUp: string | undefined;
  callbackScope: 'personal' | 'team';
  grade: string | undefined;
}

export const emptyDraft: DispositionDraft = { code: undefined, notes: '', appointment: false, storeId: undefined, consultant: undefined, date: undefined, time: undefined, followUp: undefined, callbackScope: 'team', grade: undefined };

export type DraftErrors = Partial<Record<'code' | 'storeId' | 'consultant' | 'date' | 'time' | 'followUp' | 'customer', string>>;

/** The zone's offset at `at` as +HH:MM. */
export function zoneOffset(at: number, timeZone: string): string {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' }).formatToParts(new Date(at));
  const get = (type: string): number => Number(parts.find((p) => p.type === type)?.value ?? 0);
  const asUtc = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  const minutes = Math.round((asUtc - Math.floor(at / 1000) * 1000) / 60_000);
  const sign = minutes < 0 ? '-' : '+';
  const abs = Math.abs(minutes);
  return `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

/** A local date and time in the zone as an ISO date-time with its offset, e.g. 2026-01-06T10:00:00+08:00. */
export function localIso(date: string, time: string, timeZone: string): string {
  const offset = zoneOffset(Date.parse(`${date}T${time}:00Z`), timeZone);
  return `${date}T${time}:00${offset}`;
}

/**
 * Checks the draft and builds the `call:disposition` payload; errors are i18n keys per field, so
 * the form shows them in the agent's language.
 */
export function buildDisposition(
  callId: string,
  d: DispositionDraft,
  ctx: { now: number; timeZone: string; hasCustomer: boolean; campaign: boolean },
): { ok: true; payload: AgentCommandPayload<'call:disposition'> } | { ok: false; errors: DraftErrors } {
  const errors: DraftErrors = {};
  if (!d.code) errors.code = 'disposition.codeRequired';
  let appointment: { storeId: string; consultant: string; at: string } | undefined;
  if (d.appointment) {
    if (!d.storeId) errors.storeId = 'disposition.storeRequired';
    if (!d.consultant) errors.consultant = 'disposition.consultantRequired';
    if (!d.date) errors.date = 'disposition.dateRequired';
    if (!d.time) errors.time = 'disposition.timeRequired';
    if (d.storeId && d.consultant && d.date && d.time) {
      const at = localIso(d.date, d.time, ctx.timeZone);
      if (Date.parse(at) <= ctx.now) errors.time = 'disposition.mustBeFuture';
      else appointment = { storeId: d.storeId, consultant: d.consultant, at };
    }
  }
  let nextFollowUpAt: string | undefined;
  if (d.followUp) {
    const [date, time] = d.followUp.split(' ');
    nextFollowUpAt = localIso(date ?? '', time ?? '09:00', ctx.timeZone);
    if (Date.parse(nextFollowUpAt) <= ctx.now) errors.followUp = 'disposition.mustBeFuture';
  }
  const needsCustomer = d.appointment || !!d.grade || (!!d.followUp && !ctx.campaign);
  if (needsCustomer && !ctx.hasCustomer) errors.customer = 'disposition.needsCustomer';
  if (Object.keys(errors).length > 0) return { ok: false, errors };
  const payload: AgentCommandPayload<'call:disposition'> = { callId, code: d.code as string, notes: d.notes.trim() };
  if (appointment) payload.appointment = appointment;
  if (nextFollowUpAt) {
    payload.nextFollowUpAt = nextFollowUpAt;
    if (ctx.campaign) payload.callbackScope = d.callbackScope;
  }
  if (d.grade) payload.grade = d.grade as NonNullable<AgentCommandPayload<'call:disposition'>['grade']>;
  return { ok: true, payload };
}
