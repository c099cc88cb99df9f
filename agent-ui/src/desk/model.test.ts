import { describe, expect, it } from 'vitest';
import type { ScreenPop } from '@shared/agent-events';
import { clockText, codeForHotkey, deskReducer, gradePath, hotkeyOf, initialDesk, type DeskState } from './model';

const pop: ScreenPop = {
  callId: '11111111-1111-4111-8111-111111111111',
  from: '+8613800138000',
  to: '4008001234',
  source: 'trunk',
  queueId: 'sales',
  queueName: '销售热线',
  waitedMs: 12_000,
  offerExpiresAt: 20_000,
  customer: null,
  dispositionCodes: ['appointment_set', 'info_given'],
  ivr: null,
  callback: false,
  customerPending: true,
};
const status = (state: DeskState['status'] extends infer S ? (S extends { state: infer X } ? X : never) : never, callId = pop.callId) => ({ state, since: 1, reason: '', callId });

function run(...events: Parameters<typeof deskReducer>[1][]): DeskState {
  return events.reduce(deskReducer, initialDesk);
}

describe('desk state', () => {
  it('an offer becomes a conversation, then wrap-up, then done', () => {
    let s = run({ type: 'agent:state', status: status('reserved') }, { type: 'call:offer', pop });
    expect(s.call).toMatchObject({ phase: 'offered', customerNumber: '+8613800138000', queueName: '销售热线', customerPending: true });
    s = deskReducer(s, { type: 'call:accepted', callId: pop.callId });
    expect(s.call?.phase).toBe('connecting');
    s = deskReducer(s, { type: 'call:connected', callId: pop.callId, at: 5000 });
    expect(s.call).toMatchObject({ phase: 'talking', connectedAt: 5000 });
    s = deskReducer(s, { type: 'call:hold_state', callId: pop.callId, onHold: true });
    expect(s.call?.onHold).toBe(true);
    s = deskReducer(s, { type: 'call:ended', notice: { callId: pop.callId, endedBy: 'agent', cause: 'normal_clearing', talkMs: 60_000, wrapUpUntil: 125_000, dispositionCodes: ['info_given'] } });
    expect(s.call).toMatchObject({ phase: 'wrap_up', onHold: false, wrapUpUntil: 125_000, dispositionCodes: ['info_given'], ended: { talkMs: 60_000 } });
    s = deskReducer(s, { type: 'call:wrap_up_extended', callId: pop.callId, wrapUpUntil: 155_000 });
    expect(s.call?.wrapUpUntil).toBe(155_000);
    s = deskReducer(s, { type: 'call:disposition_saved', callId: pop.callId, code: 'info_given' });
    s = deskReducer(s, { type: 'agent:state', status: status('ready', '') });
    expect(s.call).toMatchObject({ phase: 'done', savedCode: 'info_given' });
  });

  it('the late CRM answer fills the pop in; events of another call change nothing', () => {
    let s = run({ type: 'call:offer', pop });
    s = deskReducer(s, { type: 'call:offer_update', callId: 'other', customer: null });
    expect(s.call?.customerPending).toBe(true);
    const card = { id: 'c1', name: '张伟', phones: [pop.from], status: 'defeated', modelsConsidered: [], funnel: [], lastCalls: [] };
    s = deskReducer(s, { type: 'call:offer_update', callId: pop.callId, customer: card });
    expect(s.call).toMatchObject({ customerPending: false, customer: { name: '张伟' } });
  });

  it('a withdrawn offer, or a state that no longer holds it, clears the offer', () => {
    expect(run({ type: 'call:offer', pop }, { type: 'call:offer_withdrawn', callId: pop.callId }).call).toBeUndefined();
    expect(run({ type: 'call:offer', pop }, { type: 'agent:state', status: status('not_ready', '') }).call).toBeUndefined();
    expect(run({ type: 'call:offer', pop }, { type: 'agent:state', status: status('ringing') }).call?.phase).toBe('offered');
  });

  it('a consult transfer is followed to its end', () => {
    let s = run({ type: 'call:offer', pop }, { type: 'call:connected', callId: pop.callId, at: 1 });
    s = deskReducer(s, { type: 'call:transfer_state', callId: pop.callId, transfer: { to: 'agent:desk2', kind: 'consult', state: 'dialling' } });
    s = deskReducer(s, { type: 'call:transfer_state', callId: pop.callId, transfer: { to: 'agent:desk2', kind: 'consult', state: 'consulting' } });
    expect(s.call?.transfer).toEqual({ to: 'agent:desk2', kind: 'consult', state: 'consulting' });
    s = deskReducer(s, { type: 'call:transfer_state', callId: pop.callId, transfer: { to: 'agent:desk2', kind: 'consult', state: 'completed' } });
    s = deskReducer(s, { type: 'call:ended', notice: { callId: pop.callId, endedBy: 'agent', cause: 'normal_clearing', talkMs: 1, wrapUpUntil: 2, dispositionCodes: [] } });
    expect(s.call).toMatchObject({ phase: 'wrap_up', transfer: { state: 'completed' }, dispositionCodes: ['appointment_set', 'info_given'] });
  });

  it('an outbound pop replaces the preview card and keeps what the lead list said', () => {
    const lead = { campaignId: 'win-back', leadId: 'q4:+86136', phone: '+86136', name: '韩梅', grade: 'A', defeatReason: '预算', customer: null, script: '您好' };
    const s = run({ type: 'preview:lead', lead }, { type: 'call:outbound', pop: { callId: 'c2', campaignId: 'win-back', campaignName: '战败回访', leadId: 'q4:+86136', phone: '+86136', customer: null, dispositionCodes: ['x'], script: '您好', connectedAt: 9 } });
    expect(s.preview).toBeUndefined();
    expect(s.call).toMatchObject({ direction: 'outbound', phase: 'talking', campaignName: '战败回访', script: '您好', lead: { name: '韩梅', grade: 'A' } });
  });

  it('appointment notices pile up, newest first, at most 20', () => {
    let s = initialDesk;
    for (let i = 0; i < 25; i++) s = deskReducer(s, { type: 'appointment:new', notice: { callId: `c${i}`, customerId: undefined, storeId: 's', at: '2026-01-06T02:00:00Z', bookedBy: 'desk1', notes: '' }, receivedAt: i });
    expect(s.notices).toHaveLength(20);
    expect(s.notices[0]?.callId).toBe('c24');
  });
});

describe('grade history', () => {
  it('draws the grades the customer went through without repeats, ending with the current one', () => {
    const funnel = [
      { at: '1', kind: 'visit', grade: 'C' },
      { at: '2', kind: 'test_drive' },
      { at: '3', kind: 'grade_change', grade: 'B' },
      { at: '4', kind: 'quote', grade: 'B' },
      { at: '5', kind: 'grade_change', note: 'B→A 谈价' },
    ];
    expect(gradePath({ funnel, grade: 'A' })).toEqual(['C', 'B', 'A']);
    expect(gradePath({ funnel: [], grade: 'B' })).toEqual(['B']);
    expect(gradePath({ funnel: [], grade: undefined })).toEqual([]);
  });
});

describe('formatting and hotkeys', () => {
  it('shows durations as mm:ss, past an hour as h:mm:ss', () => {
    expect(clockText(0)).toBe('00:00');
    expect(clockText(65_400)).toBe('01:05');
    expect(clockText(3_726_000)).toBe('1:02:06');
    expect(clockText(-5)).toBe('00:00');
  });

  it('gives codes the digits 1–9 then 0', () => {
    expect([0, 8, 9, 10].map(hotkeyOf)).toEqual(['1', '9', '0', undefined]);
    const codes = ['a', 'b', 'c'];
    expect(codeForHotkey(codes, '2')).toBe('b');
    expect(codeForHotkey(codes, '5')).toBeUndefined();
    expect(codeForHotkey(codes, 'x')).toBeUndefined();
  });
});
