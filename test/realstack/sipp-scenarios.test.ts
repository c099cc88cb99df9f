import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { AgentClient } from '../support/agent-client';
import { eventually } from '../support/wait';
import { startRealApp, type RealApp } from './app-process';
import { realStackEnv } from './realstack-env';
import { callRecordOf, recordingStopped } from './call-records';
import { realStackIvrDir } from './ivr-line';
import { killStraySipp, sipp } from './sipp';
import { soxi } from './wav';

// a failed test leaves no SIPp behind holding its ports
afterEach(killStraySipp);

/**
 * The whole app on drachtio-server + FreeSWITCH, started as production starts it (main.js configured
 * by environment variables), driven by the SIPp scenarios of test/sipp: a caller choosing from the IVR
 * with RFC 2833 keys or SIP INFO and reaching the agent's registered phone, transfers blind and by
 * consulting a colleague, a caller hanging up while queued, an in-car terminal call. Outcomes are
 * checked where users see them: call records, agent states.
 */

const env = realStackEnv();
const AGENT_PHONE_PORT = Number(process.env.REALSTACK_AGENT_PHONE_PORT ?? 25060);
const CUSTOMER_PHONE_PORT = Number(process.env.REALSTACK_CUSTOMER_PHONE_PORT ?? 25070);
const CALLER_PORT = Number(process.env.REALSTACK_CALLER_PORT ?? 25080);
const COLLEAGUE_PHONE_PORT = Number(process.env.REALSTACK_COLLEAGUE_PHONE_PORT ?? 25090);
const drachtio = `${env.drachtioSip.host}:${env.drachtioSip.port}`;
const local = ['-i', env.localAddress];

let t: RealApp;
let flowsDir: string;
/** A recordings archive (HTTP PUT), where the app uploads what FreeSWITCH recorded. */
let archive: http.Server;
const archived = new Map<string, Buffer>();

beforeAll(async () => {
  // a flow of our own, so the test does not depend on the demo store's opening hours
  flowsDir = realStackIvrDir();
  archive = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method === 'PUT') archived.set(req.url ?? '', Buffer.concat(chunks));
      res.writeHead(201).end();
    });
  });
  await new Promise<void>((r) => archive.listen(0, '127.0.0.1', () => r()));
  const archiveUrl = `http://127.0.0.1:${(archive.address() as AddressInfo).port}/archive`;
  // FreeSWITCH runs on this host: the app reads its recordings folder directly
  const recordings = fs.existsSync(env.recordingsDir) ? { localDir: env.recordingsDir, uploadUrl: archiveUrl, token: 'archive-token' } : undefined;
  t = await startRealApp(env, { trunkPort: CUSTOMER_PHONE_PORT, ivrDir: flowsDir, ...(recordings ? { recordings } : {}) });
});

afterAll(async () => {
  await t?.stop();
  await new Promise<void>((r) => (archive ? archive.close(() => r()) : r()));
  fs.rmSync(flowsDir, { recursive: true, force: true });
});

/** A user with a desk connected, made ready. */
async function readyAgent(username: string, o: Parameters<RealApp['agent']>[1] = {}): Promise<AgentClient> {
  const agent = await t.agent(username, o);
  await agent.state('not_ready');
  expect(await agent.send('agent:ready')).toEqual({ ok: true });
  await agent.state('ready');
  return agent;
}

/** A ready agent whose desk phone (SIPp, auto-answering) is registered through drachtio with their digest password. */
async function agentOnDeskPhone(username: string): Promise<{ agent: Awaited<ReturnType<typeof readyAgent>>; phone: ReturnType<typeof sipp> }> {
  const agent = await readyAgent(username, { queueIds: ['sales'] });
  return { agent, phone: await deskPhone(username, AGENT_PHONE_PORT) };
}

/** The user's desk phone (SIPp on `port`, auto-answering one call), registered through drachtio. */
async function deskPhone(username: string, port: number): Promise<ReturnType<typeof sipp>> {
  const phone = sipp('agent-phone.xml', [...local, '-p', String(port)]);
  const reg = await sipp('agent-register.xml', [...local, '-p', String(CALLER_PORT), '-au', username, '-ap', await t.sipPassword(username), '-key', 'user', username, '-key', 'phone_port', String(port), drachtio]).done;
  expect(reg.code).toBe(0);
  return phone;
}

/** A SIPp caller who presses 1 in the IVR (RFC 2833, or SIP INFO) and talks for `talkMs`, offered to the agent, who accepts: they are talking. */
async function callerTalkingTo(agent: AgentClient, from: string, talkMs: number, keys: 'rfc2833' | 'sip-info' = 'rfc2833'): Promise<{ callId: string; caller: ReturnType<typeof sipp> }> {
  const offer = agent.next<{ callId: string }>('call:offer', () => true, 20_000);
  const caller = sipp(keys === 'rfc2833' ? 'caller-ivr-dtmf.xml' : 'caller-ivr-sipinfo.xml', [...local, '-p', String(CALLER_PORT), '-s', '4008007777', '-key', 'caller', from, '-d', String(talkMs), drachtio]);
  const { callId } = await offer;
  // the desk's call controls come alive with call:connected (the agent's state says talking a moment before)
  const connected = agent.next<{ callId: string }>('call:connected', (c) => c.callId === callId, 15_000);
  expect((await agent.send('call:accept', { callId })).ok).toBe(true);
  await connected;
  await agent.state('talking', 15_000);
  return { callId, caller };
}

test('a caller presses 1 in the IVR (RFC 2833) and talks to the agent on their registered desk phone', async () => {
  const { agent, phone } = await agentOnDeskPhone('rs1');
  const { caller } = await callerTalkingTo(agent, '+8613800138100', 8000);
  expect((await caller.done).code).toBe(0);
  expect((await phone.done).code).toBe(0); // the agent's phone was rung, answered, and hung up when the caller left
  const record = await callRecordOf(t.models, '+8613800138100', (r) => r.status === 'ended');
  expect(record).toMatchObject({ outcome: 'answered', agentUsername: 'rs1', source: 'trunk' });
  expect(JSON.stringify(record.ivr)).toContain('"1"');
  await agent.state('wrap_up', 5000);
  // the conversation was recorded in stereo (customer left, agent right), as long as it lasted
  const withRecording = await callRecordOf(t.models, '+8613800138100', recordingStopped);
  const recording = withRecording.recording as { file: string; durationMs: number; channels: number };
  expect(recording.channels).toBe(2);
  expect(recording.durationMs).toBeGreaterThan(4000); // the caller talks for 8 s after pressing 1
  if (fs.existsSync(env.recordingsDir)) {
    // FreeSWITCH runs on this host: the app uploaded the file to the archive and removed its copy
    const rel = recording.file.slice(env.recordingsDir.replace(/\/+$/, '').length);
    const uploaded = await eventually(() => archived.get(`/archive${rel}`), 'the recording in the archive', 15_000);
    const copy = path.join(os.tmpdir(), `archived-${path.basename(recording.file)}`);
    fs.writeFileSync(copy, uploaded);
    expect(soxi('-c', copy)).toBe(2);
    expect(Math.abs(soxi('-D', copy) * 1000 - recording.durationMs)).toBeLessThan(1000);
    fs.rmSync(copy);
    await eventually(() => !fs.existsSync(recording.file), 'the local copy removed after upload', 15_000);
  }
});

test('a caller whose phone sends its keys as SIP INFO chooses from the IVR the same way', async () => {
  const { agent, phone } = await agentOnDeskPhone('rs5');
  const { caller } = await callerTalkingTo(agent, '+8613800138105', 3000, 'sip-info');
  expect((await caller.done).code).toBe(0);
  expect((await phone.done).code).toBe(0);
  const record = await callRecordOf(t.models, '+8613800138105', (r) => r.status === 'ended');
  expect(record).toMatchObject({ outcome: 'answered', agentUsername: 'rs5' });
  expect(JSON.stringify(record.ivr)).toContain('"1"'); // the menu took the INFO key, not its timeout
});

test('the agent transfers the caller blind to a number: the caller talks to that phone, the agent goes to wrap-up', async () => {
  const { agent, phone } = await agentOnDeskPhone('rs2');
  // transfers to numbers go only to the store's list (a manager's setting): this store allows mobile numbers of 139
  await t.models.Store.updateOne({ _id: 'sh-pudong' }, { $set: { transferAllow: ['+86139'] } });
  const target = sipp('customer-answer.xml', [...local, '-p', String(CUSTOMER_PHONE_PORT)]);
  const { callId, caller } = await callerTalkingTo(agent, '+8613800138103', 15_000);
  expect(await agent.send('call:transfer', { callId, to: { number: '+8613900000001' }, mode: 'blind' })).toEqual({ ok: true });
  await agent.next('call:transfer_state', (p: { state: string }) => p.state === 'completed', 15_000);
  await agent.state('wrap_up', 5000);
  expect((await phone.done).code).toBe(0); // the agent's phone was hung up at the transfer
  expect((await caller.done).code).toBe(0);
  expect((await target.done).code).toBe(0); // the target was hung up when the caller left
  const record = await callRecordOf(t.models, '+8613800138103', (r) => (r.transfer as { talkMs?: number } | undefined)?.talkMs !== undefined);
  expect(record).toMatchObject({ outcome: 'transferred', transferredTo: '+8613900000001', transfer: { kind: 'blind', by: 'rs2' } });
  expect((record.transfer as { talkMs: number }).talkMs).toBeGreaterThan(3000);
});

test('the agent consults a colleague on their desk phone while the caller holds, then hands the caller over', async () => {
  const { agent, phone } = await agentOnDeskPhone('rs4');
  // the colleague: a sales consultant outside the queues, with a registered desk phone
  (await t.agent('consultant4', { roles: ['sales_consultant'], queueIds: [] })).close();
  const colleague = await deskPhone('consultant4', COLLEAGUE_PHONE_PORT);
  const { callId, caller } = await callerTalkingTo(agent, '+8613800138104', 15_000);
  expect(await agent.send('call:transfer', { callId, to: { agent: 'consultant4' }, mode: 'consult' })).toEqual({ ok: true });
  await agent.next('call:transfer_state', (p: { state: string }) => p.state === 'consulting', 15_000);
  await new Promise((r) => setTimeout(r, 2000)); // the agent and the colleague talk; the caller hears hold music
  expect(await agent.send('call:transfer_complete', { callId })).toEqual({ ok: true });
  await agent.next('call:transfer_state', (p: { state: string }) => p.state === 'completed', 5000);
  await agent.state('wrap_up', 5000);
  expect((await phone.done).code).toBe(0); // the agent's phone was hung up at the hand-over
  expect((await caller.done).code).toBe(0);
  expect((await colleague.done).code).toBe(0); // the colleague's phone was hung up when the caller left
  const record = await callRecordOf(t.models, '+8613800138104', (r) => (r.transfer as { talkMs?: number } | undefined)?.talkMs !== undefined);
  expect(record).toMatchObject({ outcome: 'transferred', transfer: { kind: 'consult', to: 'agent:consultant4', by: 'rs4' }, holdCount: 1 });
  expect(record.holdMs as number).toBeGreaterThan(1500); // on hold while the agent consulted
  expect((record.transfer as { talkMs: number }).talkMs).toBeGreaterThan(3000); // then with the colleague until the caller left
});

test('a caller who hangs up while queued is recorded as abandoned; an in-car terminal call is told apart by its headers', async () => {
  const waiting = await sipp('caller-hangs-up-queued.xml', [...local, '-p', String(CALLER_PORT), '-s', '4008001234', '-key', 'caller', '+8613800138101', '-d', '4000', drachtio]).done;
  expect(waiting.code).toBe(0);
  expect(await callRecordOf(t.models, '+8613800138101', (r) => r.status === 'ended')).toMatchObject({ outcome: 'abandoned' });
  const car = await sipp('vehicle-call.xml', [...local, '-p', String(CALLER_PORT), '-s', '4008001234', '-key', 'caller', '+8613800138102', '-key', 'vin', 'LSVAU2180N2183294', '-d', '3000', drachtio]).done;
  expect(car.code).toBe(0);
  expect(await callRecordOf(t.models, '+8613800138102', (r) => r.status === 'ended')).toMatchObject({ source: 'vehicle' });
});
