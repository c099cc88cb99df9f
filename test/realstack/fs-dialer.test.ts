import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import { RealClock } from '../../src/clock/clock';
import { createLogger } from '../../src/log';
import type { FsSwitch } from '../../src/telephony/freeswitch/fs-switch';
import { Registrar } from '../../src/telephony/freeswitch/registrar';
import { testServices } from '../support/test-app';
import { realStackEnv, realStackSwitch } from './realstack-env';
import { killStraySipp, sipp } from './sipp';

// a failed test leaves no SIPp behind holding its ports
afterEach(killStraySipp);

/**
 * The adapter's outbound dialling on the real stack (what the dialer relies on), wired in-process like
 * the contract suite: SIPp customer phones answer, are busy, do not answer (and see the CANCEL), or
 * are a voicemail greeting that machine detection must recognise.
 */

const env = realStackEnv();
const CUSTOMER_PHONE_PORT = Number(process.env.REALSTACK_CUSTOMER_PHONE_PORT ?? 25070);
const local = ['-i', env.localAddress];
let sw: FsSwitch;
let redis: Redis;

beforeAll(async () => {
  const clock = new RealClock();
  const log = createLogger(process.env.TEST_LOG_LEVEL ?? 'warn', { test: 'realstack-dialer' });
  redis = new Redis(testServices().redisUrl);
  const registrar = new Registrar({ redis, ns: `rsdial${randomBytes(3).toString('hex')}`, clock, log, realm: 'dcc-cti', secret: 'realstack-dialer-secret-0123456789', sipAccount: async () => undefined });
  sw = realStackSwitch(env, { clock, log, registrar, trunkPort: CUSTOMER_PHONE_PORT });
  await sw.start();
  if (!sw.isConnected()) throw new Error('could not connect to drachtio-server and FreeSWITCH');
});

afterAll(async () => {
  await sw?.stop();
  await redis?.quit();
});

test('the dialer meets a person, a busy line, nobody, and a voicemail greeting', async () => {
  const dial = (ringTimeoutMs: number) => sw.dial({ to: '+8613900000001', callerId: '02158005678', purpose: 'customer', ringTimeoutMs, detectMachine: true });
  const person = sipp('customer-answer.xml', [...local, '-p', String(CUSTOMER_PHONE_PORT)]);
  const answered = await dial(10_000);
  expect(answered).toMatchObject({ outcome: 'answered', answeredBy: 'human' });
  if (answered.outcome === 'answered') await sw.hangup(answered.legId);
  expect((await person.done).code).toBe(0);

  const busy = sipp('customer-busy.xml', [...local, '-p', String(CUSTOMER_PHONE_PORT)]);
  expect(await dial(10_000)).toMatchObject({ outcome: 'busy', sipStatus: 486 });
  expect((await busy.done).code).toBe(0);

  const nobody = sipp('customer-noanswer.xml', [...local, '-p', String(CUSTOMER_PHONE_PORT)]);
  expect(await dial(3000)).toMatchObject({ outcome: 'no_answer' });
  expect((await nobody.done).code).toBe(0); // it saw the CANCEL

  const machine = sipp('customer-long-greeting.xml', [...local, '-p', String(CUSTOMER_PHONE_PORT)]);
  const greeted = await dial(10_000);
  expect(greeted).toMatchObject({ outcome: 'answered', answeredBy: 'machine' });
  if (greeted.outcome === 'answered') await sw.hangup(greeted.legId);
  expect((await machine.done).code).toBe(0);
});
