import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import { RealClock } from '../../src/clock/clock';
import { createLogger } from '../../src/log';
import { sipPasswordFor } from '../../src/telephony/freeswitch/digest-auth';
import { Registrar } from '../../src/telephony/freeswitch/registrar';
import { describeSwitchContract } from '../contract/switch-contract';
import { SipPhone } from '../support/sip-phone';
import { testServices } from '../support/test-app';
import { realStackEnv, realStackSwitch } from './realstack-env';

/** The Switch contract, on drachtio-server + FreeSWITCH, with SIP phones on the wire as the far ends. */

const env = realStackEnv();
const secret = 'realstack-contract-secret-0123456789';

describeSwitchContract('drachtio-server + FreeSWITCH', async () => {
  const clock = new RealClock();
  const log = createLogger(process.env.TEST_LOG_LEVEL ?? 'warn', { test: 'realstack-contract' });
  const redis = new Redis(testServices().redisUrl);
  const phone = await SipPhone.start(env.localAddress);
  const registrar = new Registrar({ redis, ns: `rs${randomBytes(3).toString('hex')}`, clock, log, realm: 'dcc-cti', secret, mayRegister: async () => true });
  const sw = realStackSwitch(env, { clock, log, registrar, trunkPort: phone.port });
  await sw.start();
  if (!sw.isConnected()) throw new Error(`could not connect to drachtio ${env.drachtio.host}:${env.drachtio.port} and FreeSWITCH ${env.freeswitch.host}:${env.freeswitch.port}`);
  return {
    sw,
    callIn: (call) => phone.call(env.drachtioSip, call.from, call.to, call.headers ?? {}),
    phone: async (address, behaviour) => {
      const user = address.startsWith('agent:') ? address.slice('agent:'.length) : address;
      phone.behave(user, behaviour);
      if (address.startsWith('agent:')) {
        const status = await phone.register(env.drachtioSip, user, sipPasswordFor(user, secret));
        if (status !== 200) throw new Error(`agent phone ${user} could not register: ${status}`);
      }
    },
    pass: (ms) => new Promise((r) => setTimeout(r, ms)),
    close: async () => {
      await sw.stop();
      await phone.close();
      await redis.quit();
    },
  };
});
