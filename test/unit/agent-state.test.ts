import { LOGGED_OUT, nextStatus, type AgentEvent, type AgentStatus } from '../../src/agents/agent-state';

function run(events: AgentEvent[], start: AgentStatus = LOGGED_OUT): AgentStatus {
  let s = start;
  events.forEach((ev, i) => {
    const t = nextStatus(s, ev, 1000 + i);
    if (!t.ok) throw new Error(`${ev.type}: ${t.error}`);
    s = t.status;
  });
  return s;
}

test('a whole inbound call: login, ready, reserved, ringing, talking, hold, wrap-up, ready', () => {
  const s = run([{ type: 'login' }, { type: 'ready' }, { type: 'reserve', callId: 'c1' }, { type: 'accept' }, { type: 'connected' }, { type: 'hold' }, { type: 'unhold' }, { type: 'call_ended' }]);
  expect(s).toEqual({ state: 'wrap_up', since: 1007, reason: '', callId: 'c1' });
  expect(run([{ type: 'wrap_up_done' }], s)).toMatchObject({ state: 'ready', callId: '' });
});

test('missed and declined offers leave the agent not ready with the reason; a vanished caller makes them ready', () => {
  const reserved = run([{ type: 'login' }, { type: 'ready' }, { type: 'reserve', callId: 'c1' }]);
  expect(run([{ type: 'offer_timeout' }], reserved)).toMatchObject({ state: 'not_ready', reason: 'missed_offer' });
  expect(run([{ type: 'decline' }], reserved)).toMatchObject({ state: 'not_ready', reason: 'declined_offer' });
  expect(run([{ type: 'call_gone' }], reserved)).toMatchObject({ state: 'ready' });
  expect(run([{ type: 'accept' }, { type: 'leg_failed' }], reserved)).toMatchObject({ state: 'not_ready', reason: 'phone_unreachable' });
});

test('refused events say why and change nothing', () => {
  const talking = run([{ type: 'login' }, { type: 'ready' }, { type: 'reserve', callId: 'c1' }, { type: 'accept' }, { type: 'connected' }]);
  expect(nextStatus(talking, { type: 'logout' }, 5)).toEqual({ ok: false, error: 'cannot logout while talking' });
  expect(nextStatus(talking, { type: 'reserve', callId: 'c2' }, 5)).toMatchObject({ ok: false });
  expect(nextStatus(LOGGED_OUT, { type: 'ready' }, 5)).toEqual({ ok: false, error: 'cannot ready while logged out' });
  expect(nextStatus(run([{ type: 'login' }]), { type: 'not_ready', reason: '' }, 5)).toEqual({ ok: false, error: 'a not-ready reason is required' });
});

test('ready when already ready keeps the original since (longest-idle order is not reset)', () => {
  const ready = run([{ type: 'login' }, { type: 'ready' }]);
  const again = nextStatus(ready, { type: 'ready' }, 99_999);
  expect(again).toEqual({ ok: true, status: ready });
});
