import { randomUUID } from 'node:crypto';
import mongoose from 'mongoose';
import { CallRecordWriter } from '../../src/calls/call-record-writer';
import { InflightWrites } from '../../src/lifecycle/inflight';
import { createLogger } from '../../src/log';
import { bindModels, type Models } from '../../src/store/models';
import { testServices } from '../support/test-app';

/**
 * A call record has many writers (its session, transfers, hold and monitoring totals, the recording's
 * end, the disposition), some after the session is gone. On FerretDB two updates of one document in
 * flight at once can lose one; through the writer every field lands, in the order asked.
 */

let conn: mongoose.Connection;
let models: Models;
let inflight: InflightWrites;
let writer: CallRecordWriter;

beforeAll(async () => {
  conn = await mongoose.createConnection(`${testServices().mongoBase}/t_crw_${randomUUID().slice(0, 8)}`).asPromise();
  models = bindModels(conn);
});

beforeEach(() => {
  inflight = new InflightWrites();
  writer = new CallRecordWriter({ models, inflight, log: createLogger('silent') });
});

afterAll(async () => {
  await conn.dropDatabase();
  await conn.close();
});

async function created(): Promise<string> {
  const callId = randomUUID();
  await writer.write(callId, { direction: 'inbound', source: 'trunk', status: 'queued', from: '+8613800138000', to: '4008001234', offeredAt: new Date() }, { create: true });
  return callId;
}

test('writes made at once by different parts of the app all land on the call record', async () => {
  const callId = await created();
  const at = new Date();
  // what the end of a transferred call looks like: the session's end, the transfer's talk, the recording's end, the disposition
  await Promise.all([
    writer.write(callId, { status: 'ended', outcome: 'transferred', endedAt: at }),
    writer.write(callId, { transfer: { kind: 'blind', to: '+8613900001111', by: 'xfer1', at, endedAt: at, talkMs: 60_100 } }),
    writer.write(callId, { 'recording.file': '/r/2026/01/05/x.wav', 'recording.durationMs': 64_000, 'recording.channels': 2 }),
    writer.write(callId, { disposition: { code: 'info_given', notes: '转销售顾问', agentUsername: 'xfer1', at } }),
    writer.write(callId, { holdCount: 1, holdMs: 4100 }),
  ]);
  const r = await models.CallRecord.findById(callId).lean();
  expect(r).toMatchObject({
    status: 'ended',
    outcome: 'transferred',
    transfer: { kind: 'blind', talkMs: 60_100 },
    recording: { file: '/r/2026/01/05/x.wav', durationMs: 64_000, channels: 2 },
    disposition: { code: 'info_given', notes: '转销售顾问' },
    holdCount: 1,
    holdMs: 4100,
  });
  expect(writer.pendingCalls).toBe(0);
});

test('writes of one field land in the order they were asked, even when nobody waits for them', async () => {
  const callId = await created();
  for (let n = 1; n <= 20; n++) writer.queue(callId, { holdCount: n });
  await writer.settled(callId);
  expect((await models.CallRecord.findById(callId).lean())?.holdCount).toBe(20);
  expect(inflight.size).toBe(0);
});

test('a failed write is reported to whoever waits for it, and the writes queued after it still land', async () => {
  const callId = await created();
  const bad = writer.write(callId, { offeredAt: 'not a date' });
  const next = writer.write(callId, { status: 'connected' });
  await expect(bad).rejects.toMatchObject({ name: 'CastError' });
  await next;
  expect((await models.CallRecord.findById(callId).lean())?.status).toBe('connected');
});

test('creating a record that exists already (a retry whose first answer was lost) lands its fields instead of failing', async () => {
  const callId = await created();
  await writer.write(callId, { direction: 'inbound', source: 'trunk', status: 'queued', from: '+8613800138000', to: '4008001234', offeredAt: new Date() }, { create: true });
  expect((await models.CallRecord.findById(callId).lean())?.status).toBe('queued');
});

test('writes asked while one is in flight go out together in one round trip, later fields winning; a field path inside another waits for its own', async () => {
  const callId = randomUUID();
  const at = new Date();
  // a burst as at the connect of a call: the record's creation, then four updates asked before it has landed
  const done = Promise.all([
    writer.write(callId, { direction: 'inbound', source: 'trunk', status: 'ringing', from: '+8613800138001', to: '4008001234', offeredAt: at }, { create: true }),
    writer.write(callId, { status: 'queued', queuedAt: at }),
    writer.write(callId, { status: 'connected', agentUsername: 'a1', connectedAt: at }),
    writer.write(callId, { recording: { file: '/r/x.wav', startedAt: at } }),
    // inside `recording`: cannot share a $set with it
    writer.write(callId, { 'recording.durationMs': 5000 }),
  ]);
  await done;
  expect(writer.stats).toEqual({ asked: 5, sent: 3 }); // creation, the three updates as one, the dotted path
  const r = await models.CallRecord.findById(callId).lean();
  expect(r).toMatchObject({ status: 'connected', agentUsername: 'a1', recording: { file: '/r/x.wav', durationMs: 5000 } });
  expect(r?.queuedAt).toEqual(at);
});
