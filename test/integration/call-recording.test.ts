import { acceptAndConnect, callIn, readyAgent, type Offer } from '../support/call-steps';
import { startTestApp, type TestApp } from '../support/test-app';
import { eventually } from '../support/wait';

/** Connected conversations are recorded; the agent can mask card details; the call record says where and how long. */

let t: TestApp;
afterEach(async () => {
  await t.stop();
});

test('a connected call is recorded until it ends, the masked stretch is counted, and the call record keeps the metadata', async () => {
  t = await startTestApp();
  const agent = await readyAgent(t, 'rec1');
  const caller = await callIn(t, '13800005555');
  const offer = await agent.next<Offer>('call:offer');
  await acceptAndConnect(t, agent, offer.callId);
  await t.app.calls.idle();
  expect(t.sw.isRecording(caller.legId)).toBe(true);
  // someone who is not on the call cannot mask it
  const stranger = await readyAgent(t, 'rec2');
  expect(await stranger.send('call:pci_mask', { callId: offer.callId, masked: true })).toMatchObject({ ok: false, code: 'not_your_call', error: 'you are not talking on this call' });
  await t.clock.advance(30_000);
  expect(await agent.send('call:pci_mask', { callId: offer.callId, masked: true })).toMatchObject({ ok: true });
  await t.clock.advance(20_000);
  expect(await agent.send('call:pci_mask', { callId: offer.callId, masked: false })).toMatchObject({ ok: true });
  await t.clock.advance(10_000);
  caller.hangup();
  await t.app.calls.idle();
  const record = await eventually(async () => {
    const r = await t.app.models.CallRecord.findById(offer.callId).lean();
    return r?.recording?.durationMs !== undefined ? r : undefined;
  }, 'the recording metadata');
  expect(record.recording).toMatchObject({ file: expect.stringMatching(new RegExp(`^sim://recordings/2026/01/05/${offer.callId}\\.wav$`)), channels: 2, maskedMs: 20_000 });
  expect(record.recording?.durationMs).toBeGreaterThanOrEqual(60_000);
  expect(record.recording?.durationMs).toBeLessThan(62_000);
});
