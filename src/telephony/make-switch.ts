import type { Clock } from '../clock/clock';
import type { AppConfig } from '../config/env';
import type { Logger } from '../log';
import { connectRedis } from '../redis/connect';
import { FsSwitch } from './freeswitch/fs-switch';
import { Registrar } from './freeswitch/registrar';
import { LegJournal } from './freeswitch/leg-journal';
import { SimSwitch } from './sim/sim-switch';
import type { Switch } from './switch';

export interface MadeSwitch {
  sw: Switch;
  /** Closes what the switch opened besides itself (the registrar's Redis connection). */
  close: () => Promise<void>;
}

/**
 * The adapter configuration asks for: the simulated switch, or drachtio-server + FreeSWITCH with the
 * registrar for agents' phones (bindings in Redis under the deployment's namespace).
 */
export function makeSwitch(config: AppConfig, deps: { clock: Clock; log: Logger; redisUrl: string; redisNamespace: string; authSecret: string; sipAccount: (userId: string) => Promise<{ sipPasswordVersion: number } | undefined> }): MadeSwitch {
  const s = config.switch;
  if (s.kind === 'sim') return { sw: new SimSwitch({ clock: deps.clock }), close: async () => undefined };
  const redis = connectRedis(deps.redisUrl, 'cc-registrar', deps.log.child({ module: 'redis-registrar' }));
  const registrar = new Registrar({ redis, ns: deps.redisNamespace, clock: deps.clock, log: deps.log.child({ module: 'registrar' }), realm: config.sip.realm, secret: deps.authSecret, sipAccount: deps.sipAccount });
  const sw = new FsSwitch({
    clock: deps.clock,
    log: deps.log,
    drachtio: s.drachtio,
    freeswitch: { host: s.freeswitch.host, port: s.freeswitch.port, secret: s.freeswitch.secret, eslListenAddress: s.freeswitch.eslListenAddress, ...(s.freeswitch.eslAdvertisedAddress ? { eslAdvertisedAddress: s.freeswitch.eslAdvertisedAddress } : {}), ...(s.freeswitch.eslListenPort ? { eslListenPort: s.freeswitch.eslListenPort } : {}), ...(s.freeswitch.eslAdvertisedPort ? { eslAdvertisedPort: s.freeswitch.eslAdvertisedPort } : {}) },
    soundDir: s.soundDir,
    holdMusic: s.holdMusic,
    recordingsDir: s.recordingsDir,
    trunkUri: s.trunkUri,
    sources: s.sources,
    registrar,
    heartbeatTimeoutMs: s.freeswitch.heartbeatTimeoutMs,
    mediaConnectTimeoutMs: s.freeswitch.mediaConnectTimeoutMs,
    admission: s.admission,
    journal: new LegJournal(redis, deps.redisNamespace),
  });
  return { sw, close: async () => void (await redis.quit().catch(() => redis.disconnect())) };
}
