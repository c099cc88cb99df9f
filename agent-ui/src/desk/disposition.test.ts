import { describe, expect, it } from 'vitest';
import { buildDisposition, emptyDraft, localIso, zoneOffset } from './disposition';

const callId = '11111111-1111-4111-8111-111111111111';
const now = Date.parse('2026-01-05T01:00:00Z'); // 09:00 in Shanghai
const ctx = { now, timeZone: 'Asia/Shanghai', hasCustomer: true, campaign: false };

describe('the outcome form', () => {
  it('needs a code; the errors are keys the form translates', () => {
    expect(buildDisposition(callId, emptyDraft, ctx)).toEqual({ ok: false, errors: { code: 'disposition.codeRequired' } });
  });

  it('builds an appointment at the store time zone, checked for every field and for the future', () => {
    const partial = buildDisposition(callId, { ...emptyDraft, code: 'appointment_set', appointment: true }, ctx);
    expect(partial).toEqual({ ok: false, errors: { storeId: 'disposition.storeRequired', consultant: 'disposition.consultantRequired', date: 'disposition.dateRequired', time: 'disposition.timeRequired' } });
    const past = buildDisposition(callId, { ...emptyDraft, code: 'appointment_set', appointment: true, storeId: 'sh', consultant: 'sc1', date: '2026-01-05', time: '08:30' }, ctx);
    expect(past).toEqual({ ok: false, errors: { time: 'disposition.mustBeFuture' } });
    const ok = buildDisposition(callId, { ...emptyDraft, code: 'appointment_set', notes: '  看车  ', appointment: true, storeId: 'sh', consultant: 'sc1', date: '2026-01-06', time: '10:00', grade: 'A' }, ctx);
    expect(ok).toEqual({ ok: true, payload: { callId, code: 'appointment_set', notes: '看车', appointment: { storeId: 'sh', consultant: 'sc1', at: '2026-01-06T10:00:00+08:00' }, grade: 'A' } });
  });

  it('asks for a customer record before a visit or a grade for an unknown caller', () => {
    const r = buildDisposition(callId, { ...emptyDraft, code: 'info_given', grade: 'B' }, { ...ctx, hasCustomer: false });
    expect(r).toEqual({ ok: false, errors: { customer: 'disposition.needsCustomer' } });
  });

  it('on a campaign call a follow-up carries who calls back, and needs no CRM customer', () => {
    const r = buildDisposition(callId, { ...emptyDraft, code: 'callback_requested', followUp: '2026-01-08 14:00', callbackScope: 'personal' }, { ...ctx, hasCustomer: false, campaign: true });
    expect(r).toEqual({ ok: true, payload: { callId, code: 'callback_requested', notes: '', nextFollowUpAt: '2026-01-08T14:00:00+08:00', callbackScope: 'personal' } });
  });

  it('writes local times with the zone offset', () => {
    expect(zoneOffset(now, 'Asia/Shanghai')).toBe('+08:00');
    expect(zoneOffset(now, 'UTC')).toBe('+00:00');
    expect(localIso('2026-07-01', '09:30', 'Europe/Berlin')).toBe('2026-07-01T09:30:00+02:00');
  });
});
