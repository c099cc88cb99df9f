import fs from 'node:fs';
import { eventually } from '../support/wait';
import { startRealApp, type RealApp } from './app-process';
import { realStackEnv } from './realstack-env';
import { realStackIvrDir } from './ivr-line';
import { killStraySipp, sipp } from './sipp';

// a failed test leaves no SIPp behind holding its ports
afterEach(killStraySipp);

/**
 * The app (main.js) killed with SIGKILL in the middle of a conversation on the real stack: the caller's
 * and the agent's dialogs stay up in drachtio-server with nobody behind them. Started again, the app
 * finds them (their identities were kept in Redis) and ends them: the caller gets a BYE within seconds,
 * not minutes of dead air, and the call is recorded as lost.
 */

const env = realStackEnv();
const AGENT_PHONE_PORT = Number(process.env.REALSTACK_AGENT_PHONE_PORT ?? 25060);
const CUSTOMER_PHONE_PORT = Number(process.env.REALSTACK_CUSTOMER_PHONE_PORT ?? 25070);
const CALLER_PORT = Number(process.env.REALSTACK_CALLER_PORT ?? 25080);
const drachtio = `${env.drachtioSip.host}:${env.drachtioSip.port}`;
const local = ['-i', env.localAddress];

let t: RealApp;
let flowsDir: string;

beforeAll(async () => {
  flowsDir = realStackIvrDir();
  t = await startRealApp(env, { trunkPort: CUSTOMER_PHONE_PORT, ivrDir: flowsDir });
});

afterAll(async () => {
  await t?.stop();
  fs.rmSync(flowsDir, { recursive: true, force: true });
});

test('SIGKILL mid-call, restart: the caller and the agent phone are sent BYE within 10 s of the restart', async () => {
  const agent = await t.agent('crash1', { queueIds: ['sales'] });
  await agent.state('not_ready');
  expect(await agent.send('agent:ready')).toEqual({ ok: true });
  const deskPhone = sipp('agent-phone.xml', [...local, '-p', String(AGENT_PHONE_PORT)], 180_000);
  const reg = await sipp('agent-register.xml', [...local, '-p', String(CALLER_PORT), '-au', 'crash1', '-ap', await t.sipPassword('crash1'), '-key', 'user', 'crash1', '-key', 'phone_port', String(AGENT_PHONE_PORT), drachtio]).done;
  expect({ code: reg.code, output: reg.code === 0 ? '' : reg.output }).toEqual({ code: 0, output: '' });

  const offer = agent.next<{ callId: string }>('call:offer', () => true, 20_000);
  const caller = sipp('caller-waits-for-bye.xml', [...local, '-p', String(CALLER_PORT), '-s', '4008007777', '-key', 'caller', '+8613800138500', drachtio], 180_000);
  const { callId } = await offer;
  expect((await agent.send('call:accept', { callId })).ok).toBe(true);
  await agent.state('talking', 15_000);
  await new Promise((r) => setTimeout(r, 2000)); // they talk

  await t.kill('SIGKILL');
  let callerDone = false;
  const callerResult = caller.done.then((r) => {
    callerDone = true;
    return r;
  });
  await new Promise((r) => setTimeout(r, 3000));
  expect(callerDone).toBe(false); // nobody ends the call while the app is down

  await t.restart();
  const restartedAt = Date.now();
  const ended = await callerResult;
  const afterMs = Date.now() - restartedAt;
  process.stdout.write(`caller received BYE ${afterMs} ms after the restart was ready\n`);
  expect(ended.code).toBe(0); // the scenario ends only on a BYE it received
  expect(afterMs).toBeLessThan(10_000);
  expect((await deskPhone.done).code).toBe(0); // the agent's phone got its BYE too
  const record = await eventually(async () => {
    const r = await t.models.CallRecord.findById(callId).lean();
    return r?.outcome === 'lost' ? r : undefined;
  }, 'the call recorded as lost', 15_000);
  expect(record).toMatchObject({ status: 'ended', lostPhase: 'connected', agentUsername: 'crash1' });
}, 180_000);
