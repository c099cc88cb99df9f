import fs from 'node:fs';
import type { CallOffered, RecordingStopped } from '../../src/telephony/switch';
import { realStackEnv, realStackHarness, type RealStackHarness } from './realstack-env';
import { rms } from './wav';

/**
 * Supervisor monitoring on FreeSWITCH, checked by ear: the customer's stereo recording has what the
 * customer hears on its right channel. The agent's phone is silent, the supervisor's plays a tone:
 * while the supervisor whispers that channel must stay silent, once they barge in it must not.
 */

const env = realStackEnv();
let h: RealStackHarness;

beforeAll(async () => {
  if (!fs.existsSync(env.recordingsDir)) throw new Error(`FREESWITCH_RECORDINGS_DIR (${env.recordingsDir}) must be where FreeSWITCH's recordings can be read from this host`);
  ({ harness: h } = await realStackHarness(env, 'realstack-monitor'));
});

afterAll(async () => h?.close());

test("a whispering supervisor is not heard by the customer; a barging one is", async () => {
  const offered = new Promise<CallOffered>((resolve) => h.sw.once('call.offered', resolve));
  const stopped = new Promise<RecordingStopped>((resolve) => h.sw.once('recording.stopped', resolve));
  await h.phone('agent:9005', 'answer_silent');
  await h.phone('agent:9102', 'answer');
  const caller = await h.callIn({ from: '+8613800138200', to: '4008001234' });
  const o = await offered;
  await h.sw.answer(o.legId);
  await caller.answered();
  const agent = await h.sw.dial({ to: 'agent:9005', callerId: o.from, purpose: 'agent', ringTimeoutMs: 10_000 });
  if (agent.outcome !== 'answered') throw new Error(`agent phone: ${agent.outcome}`);
  await h.sw.bridge(o.legId, agent.legId);
  const t0 = Date.now();
  await h.sw.startRecording(o.legId, { name: `monitor-audio-${t0}`, timeZone: 'Asia/Shanghai' });
  const sup = await h.sw.dial({ to: 'agent:9102', callerId: '4008001234', purpose: 'supervisor', ringTimeoutMs: 10_000 });
  if (sup.outcome !== 'answered') throw new Error(`supervisor phone: ${sup.outcome}`);
  await h.sw.monitor(sup.legId, agent.legId, 'whisper');
  const whisperFrom = (Date.now() - t0) / 1000;
  await h.pass(3000);
  await h.sw.monitor(sup.legId, agent.legId, 'barge');
  const bargeFrom = (Date.now() - t0) / 1000;
  await h.pass(3000);
  await caller.hangup();
  await h.sw.hangup(agent.legId);
  await h.sw.hangup(sup.legId);
  const rec = await stopped;

  const whisperHeard = rms(rec.file, 2, whisperFrom + 0.5, whisperFrom + 2.5);
  const bargeHeard = rms(rec.file, 2, bargeFrom + 0.5, bargeFrom + 2.5);
  const customerSaid = rms(rec.file, 1, whisperFrom + 0.5, bargeFrom + 2.5);
  process.stdout.write(`monitor audio RMS: customer ${customerSaid.toFixed(4)}, heard while whispering ${whisperHeard.toFixed(4)}, while barging ${bargeHeard.toFixed(4)}\n`);
  expect(customerSaid).toBeGreaterThan(0.01); // the caller's tone is on the left all along
  expect(whisperHeard).toBeLessThan(0.005);
  expect(bargeHeard).toBeGreaterThan(0.01);
});
