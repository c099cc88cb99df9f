import { randomBytes } from 'node:crypto';
import path from 'node:path';
import Redis from 'ioredis';
import { RealClock, type Clock } from '../../src/clock/clock';
import { createLogger, type Logger } from '../../src/log';
import { sipPasswordFor } from '../../src/telephony/freeswitch/digest-auth';
import { FsSwitch } from '../../src/telephony/freeswitch/fs-switch';
import { Registrar } from '../../src/telephony/freeswitch/registrar';
import { findProjectRoot } from '../../src/util/project-root';
import type { ContractHarness } from '../contract/switch-contract';
import { SipPhone, type PhoneBehaviour } from '../support/sip-phone';
import { testServices } from '../support/test-app';

/**
 * The real stack the realstack suites run against, from the environment (see README, "Testing
 * against a real drachtio-server and FreeSWITCH"). `npm run test:realstack` only runs these suites
 * when the required variables are set.
 */
export interface RealStackEnv {
  drachtio: { host: string; port: number; secret: string };
  /** Where test phones send SIP (drachtio's SIP contact). */
  drachtioSip: { host: string; port: number };
  freeswitch: { host: string; port: number; secret: string };
  /** Address this process listens on for FreeSWITCH's outbound event socket, and test phones bind. */
  localAddress: string;
  /** Prompts as FreeSWITCH sees them. */
  soundDir: string;
  /** Where FreeSWITCH writes recordings; readable here when FreeSWITCH runs on this host. */
  recordingsDir: string;
}

export const REQUIRED = ['DRACHTIO_HOST', 'DRACHTIO_SECRET', 'FREESWITCH_HOST', 'FREESWITCH_SECRET'] as const;

export function realStackEnv(env: NodeJS.ProcessEnv = process.env): RealStackEnv {
  const missing = REQUIRED.filter((k) => !env[k]);
  if (missing.length > 0) throw new Error(`the real-stack suites need ${missing.join(', ')} (run them with npm run test:realstack)`);
  const root = findProjectRoot();
  return {
    drachtio: { host: env.DRACHTIO_HOST as string, port: Number(env.DRACHTIO_PORT ?? 9022), secret: env.DRACHTIO_SECRET as string },
    drachtioSip: { host: env.DRACHTIO_SIP_HOST ?? (env.DRACHTIO_HOST as string), port: Number(env.DRACHTIO_SIP_PORT ?? 5060) },
    freeswitch: { host: env.FREESWITCH_HOST as string, port: Number(env.FREESWITCH_PORT ?? 8021), secret: env.FREESWITCH_SECRET as string },
    localAddress: env.REALSTACK_LOCAL_ADDRESS ?? '127.0.0.1',
    soundDir: env.FREESWITCH_SOUND_DIR ?? path.join(root, 'freeswitch', 'sounds'),
    recordingsDir: env.FREESWITCH_RECORDINGS_DIR ?? path.join(root, 'var', 'realstack', 'recordings'),
  };
}

/** The production adapter pointed at the real stack; numbers are sent to `trunkPort` on this host, which also counts as the trunk. */
export function realStackSwitch(env: RealStackEnv, deps: { clock: Clock; log: Logger; registrar: Registrar; trunkPort: number; heartbeatTimeoutMs?: number }): FsSwitch {
  return new FsSwitch({
    ...(deps.heartbeatTimeoutMs !== undefined ? { heartbeatTimeoutMs: deps.heartbeatTimeoutMs } : {}),
    clock: deps.clock,
    log: deps.log,
    drachtio: env.drachtio,
    freeswitch: { ...env.freeswitch, eslListenAddress: env.localAddress },
    soundDir: env.soundDir,
    holdMusic: 'music/hold.wav',
    recordingsDir: env.recordingsDir,
    trunkUri: `sip:{number}@${env.localAddress}:${deps.trunkPort}`,
    sources: { trunkCidrs: [`${env.localAddress}/32`], vehicleCidrs: [], vehicleHeader: 'x-vehicle-vin' },
    registrar: deps.registrar,
    startWaitMs: 15_000,
  });
}

/**
 * The adapter on the real stack with one SIP test phone that is every far end: callers dialling in
 * through drachtio, agent phones (registered with their digest password), customer numbers.
 */
export type RealStackHarness = ContractHarness & {
  sw: FsSwitch;
  /** Also a phone that answers and stays silent. */
  phone(address: string, behaviour: PhoneBehaviour): Promise<void>;
};

export async function realStackHarness(env: RealStackEnv, name: string): Promise<{ harness: RealStackHarness; phone: SipPhone }> {
  const secret = `${name}-secret-0123456789abcdef`;
  const clock = new RealClock();
  const log = createLogger(process.env.TEST_LOG_LEVEL ?? 'warn', { test: name });
  const redis = new Redis(testServices().redisUrl);
  const phone = await SipPhone.start(env.localAddress);
  const registrar = new Registrar({ redis, ns: `rs${randomBytes(3).toString('hex')}`, clock, log, realm: 'dcc-cti', secret, sipAccount: async () => ({ sipPasswordVersion: 0 }) });
  const sw = realStackSwitch(env, { clock, log, registrar, trunkPort: phone.port });
  await sw.start();
  if (!sw.isConnected()) throw new Error(`could not connect to drachtio ${env.drachtio.host}:${env.drachtio.port} and FreeSWITCH ${env.freeswitch.host}:${env.freeswitch.port}`);
  const harness: RealStackHarness = {
    sw,
    callIn: (call) => phone.call(env.drachtioSip, call.from, call.to, call.headers ?? {}, call.codecs),
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
  return { harness, phone };
}
