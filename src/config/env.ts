import path from 'node:path';
import ConnectionString from 'mongodb-connection-string-url';
import { z } from 'zod';
import { parseCidrList } from '../telephony/freeswitch/inbound-source';
import { findProjectRoot } from '../util/project-root';
import { isRedisUrl } from '../redis/connect';
import { DEFAULT_ADMISSION, type AdmissionLimits } from '../telephony/admission';

/**
 * Configuration from the environment, validated once at start-up.
 * Every variable is documented in README.md (table "Configuration").
 */

const PROJECT_ROOT = findProjectRoot();

const port = (name: string, fallback?: number) => {
  const base = z.coerce
    .number({ error: `${name} must be a port number` })
    .int(`${name} must be a whole number`)
    .min(1, `${name} must be between 1 and 65535`)
    .max(65535, `${name} must be between 1 and 65535`);
  return fallback === undefined ? base : base.default(fallback);
};

const positiveMs = (name: string, fallback: number) =>
  z.coerce.number({ error: `${name} must be a number of milliseconds` }).int().min(1, `${name} must be at least 1 ms`).default(fallback);

/** A whole number, 0 or more (0 turns a ceiling off). */
const count = (name: string, fallback: number) =>
  z.coerce.number({ error: `${name} must be a number` }).int(`${name} must be a whole number`).min(0, `${name} must be 0 or more`).default(fallback);

const redisUrl = z.string().refine(isRedisUrl, {
  message: 'must be a redis:// or rediss:// URL with a host (redis://127.0.0.1:6379), or redis+sentinel://host:26379,host:26380/masterName for Redis Sentinel',
});

const mongoUri = z.string().superRefine((v, ctx) => {
  try {
    const cs = new ConnectionString(v);
    if (cs.hosts.length === 0) ctx.addIssue({ code: 'custom', message: 'names no host' });
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: `is not a MongoDB connection string (${(err as Error).message})` });
  }
});

const secret = (name: string) => z.string().min(16, `${name} must be at least 16 characters`);

const schema = z
  .object({
    NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
    HTTP_HOST: z.string().min(1).default('127.0.0.1'),
    PORT: port('PORT', 3000),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    VAR_DIR: z.string().min(1).default(path.join(PROJECT_ROOT, 'var')),
    REDIS_URL: redisUrl.optional(),
    REDIS_PREFIX: z.string().regex(/^[a-z][a-z0-9_-]{0,30}$/, 'must be a short key prefix: lower-case letters, digits, - and _').default('cc'),
    MONGODB_URI: mongoUri.optional(),
    REDIS_SERVER_BIN: z.string().min(1).optional(),
    FERRETDB_BIN: z.string().min(1).optional(),
    POSTGRES_BIN_DIR: z.string().min(1).optional(),
    EMBEDDED_DB_BACKEND: z.enum(['postgresql', 'sqlite'], { error: 'must be postgresql or sqlite' }).default('postgresql'),
    AUTH_SECRET: secret('AUTH_SECRET').optional(),
    AUTH_TOKEN_TTL_MS: positiveMs('AUTH_TOKEN_TTL_MS', 15 * 60 * 1000),
    AUTH_REFRESH_TTL_MS: positiveMs('AUTH_REFRESH_TTL_MS', 12 * 3600 * 1000),
    LOGIN_MAX_FAILURES_PER_USER: z.coerce.number().int().min(1, 'LOGIN_MAX_FAILURES_PER_USER must be at least 1').default(5),
    LOGIN_MAX_FAILURES_PER_ADDRESS: z.coerce.number().int().min(1, 'LOGIN_MAX_FAILURES_PER_ADDRESS must be at least 1').default(50),
    LOGIN_FAILURE_WINDOW_MS: positiveMs('LOGIN_FAILURE_WINDOW_MS', 15 * 60 * 1000),
    SWITCH: z.enum(['sim', 'freeswitch']).default('sim'),
    SIM_SEED: z.coerce.number().int().default(1),
    DEMO_SEED: z.enum(['1', '0', 'true', 'false', 'yes', 'no'], { error: 'must be true or false' }).optional(),
    OFFER_TIMEOUT_MS: positiveMs('OFFER_TIMEOUT_MS', 20_000),
    WRAP_UP_MS: positiveMs('WRAP_UP_MS', 120_000),
    SHUTDOWN_TIMEOUT_MS: positiveMs('SHUTDOWN_TIMEOUT_MS', 15_000),
    NOT_READY_REASONS: z
      .string()
      .regex(/^[a-z][a-z0-9_]*(,[a-z][a-z0-9_]*)*$/, 'must be a comma-separated list of codes such as break,lunch,meeting')
      .optional(),
    CRM_URL: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL, e.g. https://crm.example.com/api' }).optional(),
    CRM_TOKEN: z.string().min(1).optional(),
    CRM_TIMEOUT_MS: positiveMs('CRM_TIMEOUT_MS', 5_000),
    CRM_RETRY_BASE_MS: positiveMs('CRM_RETRY_BASE_MS', 5_000),
    CRM_RETRY_MAX_MS: positiveMs('CRM_RETRY_MAX_MS', 300_000),
    CRM_SURVIVE_MS: positiveMs('CRM_SURVIVE_MS', 24 * 3600 * 1000),
    CRM_POP_BUDGET_MS: positiveMs('CRM_POP_BUDGET_MS', 300),
    CRM_CACHE_TTL_MS: positiveMs('CRM_CACHE_TTL_MS', 10 * 60 * 1000),
    DRACHTIO_HOST: z.string().min(1).optional(),
    DRACHTIO_PORT: port('DRACHTIO_PORT', 9022),
    DRACHTIO_SECRET: z.string().min(1).optional(),
    FREESWITCH_HOST: z.string().min(1).optional(),
    FREESWITCH_PORT: port('FREESWITCH_PORT', 8021),
    FREESWITCH_SECRET: z.string().min(1).optional(),
    FREESWITCH_HEARTBEAT_TIMEOUT_MS: positiveMs('FREESWITCH_HEARTBEAT_TIMEOUT_MS', 30_000),
    MEDIA_CONNECT_TIMEOUT_MS: positiveMs('MEDIA_CONNECT_TIMEOUT_MS', 4_000),
    ADMISSION_MAX_CPS: count('ADMISSION_MAX_CPS', DEFAULT_ADMISSION.maxCallsPerSecond),
    ADMISSION_MAX_CHANNELS: count('ADMISSION_MAX_CHANNELS', DEFAULT_ADMISSION.maxChannels),
    ADMISSION_MIN_IDLE_CPU: count('ADMISSION_MIN_IDLE_CPU', DEFAULT_ADMISSION.minIdleCpu).refine((n) => n <= 100, 'ADMISSION_MIN_IDLE_CPU is a percentage (0-100)'),
    ADMISSION_MAX_PENDING: count('ADMISSION_MAX_PENDING', DEFAULT_ADMISSION.maxPendingConnects),
    ADMISSION_RETRY_AFTER_S: count('ADMISSION_RETRY_AFTER_S', DEFAULT_ADMISSION.retryAfterSeconds),
    IVR_DIR: z.string().min(1).optional(),
    ESL_LISTEN_ADDRESS: z.string().min(1).default('127.0.0.1'),
    ESL_ADVERTISED_ADDRESS: z.string().min(1).optional(),
    ESL_LISTEN_PORT: z.coerce.number({ error: 'ESL_LISTEN_PORT must be a TCP port' }).int().min(1).max(65535, 'ESL_LISTEN_PORT must be a TCP port').optional(),
    ESL_ADVERTISED_PORT: z.coerce.number({ error: 'ESL_ADVERTISED_PORT must be a TCP port' }).int().min(1).max(65535, 'ESL_ADVERTISED_PORT must be a TCP port').optional(),
    FREESWITCH_SOUND_DIR: z.string().min(1).default('/usr/local/freeswitch/sounds'),
    FREESWITCH_RECORDINGS_DIR: z.string().min(1).default('/usr/local/freeswitch/recordings'),
    HOLD_MUSIC: z.string().min(1).default('music/hold.wav'),
    RECORDINGS_LOCAL_DIR: z.string().min(1).optional(),
    RECORDING_UPLOAD_URL: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL, e.g. https://archive.example.com/recordings' }).optional(),
    RECORDING_UPLOAD_TOKEN: z.string().min(1).optional(),
    RECORDING_RETENTION_DAYS: z.coerce.number({ error: 'RECORDING_RETENTION_DAYS must be a number of days' }).int('RECORDING_RETENTION_DAYS must be a whole number').min(0, 'RECORDING_RETENTION_DAYS must be 0 (keep) or more').default(180),
    METRICS_TOKEN: secret('METRICS_TOKEN').optional(),
    SIP_REALM: z.string().regex(/^[A-Za-z0-9.-]+$/, 'must be a host-like name, e.g. cti.dealer.example.com').default('dcc-cti'),
    SIP_WS_URI: z.string().regex(/^wss?:\/\//, 'must be a ws:// or wss:// URL').optional(),
    SIP_TRUNK_URI: z.string().regex(/^sips?:/, 'must be a SIP URI, e.g. sip:{number}@carrier.example.com').optional(),
    SIP_TRUNK_CIDRS: z.string().optional(),
    VEHICLE_GATEWAY_CIDRS: z.string().optional(),
    VEHICLE_HEADER: z.string().regex(/^[A-Za-z0-9-]+$/, 'must be a SIP header name').default('X-Vehicle-VIN'),
  })
  .superRefine((c, ctx) => {
    if (c.SWITCH === 'freeswitch') {
      for (const key of ['DRACHTIO_HOST', 'DRACHTIO_SECRET', 'FREESWITCH_HOST', 'FREESWITCH_SECRET'] as const) {
        if (!c[key]) ctx.addIssue({ code: 'custom', path: [key], message: 'is required when SWITCH=freeswitch' });
      }
    }
    for (const key of ['SIP_TRUNK_CIDRS', 'VEHICLE_GATEWAY_CIDRS'] as const) {
      try {
        parseCidrList(c[key], key);
      } catch (err) {
        ctx.addIssue({ code: 'custom', path: [key], message: `must be a comma-separated list of IPv4 addresses or CIDR blocks (${(err as Error).message.replace(`${key}: `, '')})` });
      }
    }
    if (c.NODE_ENV === 'production') {
      for (const key of ['AUTH_SECRET', 'REDIS_URL', 'MONGODB_URI'] as const) {
        if (!c[key]) ctx.addIssue({ code: 'custom', path: [key], message: 'is required when NODE_ENV=production' });
      }
      if (c.AUTH_SECRET && c.AUTH_SECRET.length < 32) ctx.addIssue({ code: 'custom', path: ['AUTH_SECRET'], message: 'must be at least 32 characters when NODE_ENV=production' });
    }
  });

/** The placeholder every secret of .env.example carries: never acceptable in production. */
const EXAMPLE_MARK = 'change-me';

export type Env = z.infer<typeof schema>;

/** Failed logins allowed per user name and per client address within the window, before 429. */
export interface LoginLimits {
  perUser: number;
  perAddress: number;
  windowMs: number;
}

export interface AppConfig {
  env: Env['NODE_ENV'];
  http: { host: string; port: number };
  logLevel: Env['LOG_LEVEL'];
  varDir: string;
  projectRoot: string;
  /** undefined: start an embedded redis-server */
  redisUrl: string | undefined;
  /** undefined: start an embedded FerretDB */
  mongodbUri: string | undefined;
  /** The IVR folder (prompts.yaml and flows/). */
  ivrDir: string;
  /** Prefix of every Redis key of this deployment (several deployments may share one Redis). */
  redisPrefix: string;
  binaries: { redisServer: string | undefined; ferretdb: string | undefined; postgresBinDir: string | undefined };
  /** What the embedded FerretDB stores its data in (when MONGODB_URI is not set). */
  embeddedDbBackend: 'postgresql' | 'sqlite';
  auth: { secret: string | undefined; tokenTtlMs: number; refreshTtlMs: number; loginLimits: LoginLimits };
  switch:
    | { kind: 'sim'; seed: number }
    | {
        kind: 'freeswitch';
        drachtio: { host: string; port: number; secret: string };
        freeswitch: { host: string; port: number; secret: string; eslListenAddress: string; eslAdvertisedAddress: string | undefined; eslListenPort?: number; eslAdvertisedPort?: number; heartbeatTimeoutMs: number; mediaConnectTimeoutMs: number };
        admission: AdmissionLimits;
        soundDir: string;
        recordingsDir: string;
        holdMusic: string;
        trunkUri: string | undefined;
        sources: { trunkCidrs: string[]; vehicleCidrs: string[]; vehicleHeader: string };
      };
  /** Bearer token Prometheus sends to GET /metrics; undefined: /metrics is off. */
  metricsToken: string | undefined;
  /** Agents' phones: digest realm and the WebSocket address browsers register at. */
  sip: { realm: string; wsUri: string | undefined };
  demoSeed: boolean;
  acd: { offerTimeoutMs: number; wrapUpMs: number };
  shutdownTimeoutMs: number;
  /** undefined: the built-in list (break, lunch, meeting, training, admin_work, outbound_work). */
  notReadyReasons: string[] | undefined;
  /**
   * Recordings after the call: read through `localDir` (FreeSWITCH's recordings folder as this process
   * sees it), uploaded when `uploadUrl` is set, deleted after `retentionDays`. undefined: left where they are.
   */
  recordings: { switchDir: string; localDir: string; upload: { url: string; token: string | undefined } | undefined; retentionDays: number } | undefined;
  /** External CRM for outcome write-back; undefined: outcomes stay in the built-in CRM only. */
  crm:
    | { url: string; token: string | undefined; timeoutMs: number; backoff: { baseMs: number; maxMs: number }; surviveMs: number; popBudgetMs: number; cacheTtlMs: number }
    | undefined;
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** Parses the environment; throws ConfigError whose message is one line naming each bad variable. */
export function loadConfig(source: NodeJS.ProcessEnv = process.env): AppConfig {
  const raw: Record<string, string> = {};
  for (const [k, v] of Object.entries(source)) if (v !== undefined && v !== '') raw[k] = v;
  const parsed = schema.safeParse(raw);
  const problems = parsed.success
    ? []
    : parsed.error.issues.map((i) => {
        const key = String(i.path[0] ?? 'environment');
        const msg = i.message.startsWith(key) ? i.message.slice(key.length).trimStart() : i.message;
        return `${key} ${msg}`;
      });
  if (raw.NODE_ENV === 'production') {
    for (const [key, value] of Object.entries(raw)) if (value.includes(EXAMPLE_MARK)) problems.push(`${key} is the example value from .env.example: set a secret of your own`);
  }
  if (!parsed.success || problems.length > 0) throw new ConfigError(`invalid configuration: ${problems.join('; ')}`);
  const e = parsed.data as Env;
  return {
    env: e.NODE_ENV,
    http: { host: e.HTTP_HOST, port: e.PORT },
    logLevel: e.LOG_LEVEL,
    varDir: path.resolve(e.VAR_DIR),
    projectRoot: PROJECT_ROOT,
    redisUrl: e.REDIS_URL,
    mongodbUri: e.MONGODB_URI,
    redisPrefix: e.REDIS_PREFIX,
    ivrDir: path.resolve(e.IVR_DIR ?? path.join(PROJECT_ROOT, 'ivr')),
    binaries: { redisServer: e.REDIS_SERVER_BIN, ferretdb: e.FERRETDB_BIN, postgresBinDir: e.POSTGRES_BIN_DIR },
    embeddedDbBackend: e.EMBEDDED_DB_BACKEND,
    auth: {
      secret: e.AUTH_SECRET,
      tokenTtlMs: e.AUTH_TOKEN_TTL_MS,
      refreshTtlMs: e.AUTH_REFRESH_TTL_MS,
      loginLimits: { perUser: e.LOGIN_MAX_FAILURES_PER_USER, perAddress: e.LOGIN_MAX_FAILURES_PER_ADDRESS, windowMs: e.LOGIN_FAILURE_WINDOW_MS },
    },
    switch:
      e.SWITCH === 'sim'
        ? { kind: 'sim', seed: e.SIM_SEED }
        : {
            kind: 'freeswitch',
            drachtio: { host: e.DRACHTIO_HOST ?? '', port: e.DRACHTIO_PORT, secret: e.DRACHTIO_SECRET ?? '' },
            freeswitch: { host: e.FREESWITCH_HOST ?? '', port: e.FREESWITCH_PORT, secret: e.FREESWITCH_SECRET ?? '', eslListenAddress: e.ESL_LISTEN_ADDRESS, eslAdvertisedAddress: e.ESL_ADVERTISED_ADDRESS, ...(e.ESL_LISTEN_PORT ? { eslListenPort: e.ESL_LISTEN_PORT } : {}), ...(e.ESL_ADVERTISED_PORT ? { eslAdvertisedPort: e.ESL_ADVERTISED_PORT } : {}), heartbeatTimeoutMs: e.FREESWITCH_HEARTBEAT_TIMEOUT_MS, mediaConnectTimeoutMs: e.MEDIA_CONNECT_TIMEOUT_MS },
            admission: { maxCallsPerSecond: e.ADMISSION_MAX_CPS, maxChannels: e.ADMISSION_MAX_CHANNELS, minIdleCpu: e.ADMISSION_MIN_IDLE_CPU, maxPendingConnects: e.ADMISSION_MAX_PENDING, retryAfterSeconds: e.ADMISSION_RETRY_AFTER_S },
            soundDir: e.FREESWITCH_SOUND_DIR,
            recordingsDir: e.FREESWITCH_RECORDINGS_DIR,
            holdMusic: e.HOLD_MUSIC,
            trunkUri: e.SIP_TRUNK_URI,
            sources: { trunkCidrs: parseCidrList(e.SIP_TRUNK_CIDRS, 'SIP_TRUNK_CIDRS'), vehicleCidrs: parseCidrList(e.VEHICLE_GATEWAY_CIDRS, 'VEHICLE_GATEWAY_CIDRS'), vehicleHeader: e.VEHICLE_HEADER.toLowerCase() },
          },
    metricsToken: e.METRICS_TOKEN,
    sip: { realm: e.SIP_REALM, wsUri: e.SIP_WS_URI },
    demoSeed: e.DEMO_SEED === undefined ? e.NODE_ENV !== 'production' : ['1', 'true', 'yes'].includes(e.DEMO_SEED),
    acd: { offerTimeoutMs: e.OFFER_TIMEOUT_MS, wrapUpMs: e.WRAP_UP_MS },
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    notReadyReasons: e.NOT_READY_REASONS?.split(','),
    recordings:
      e.SWITCH === 'freeswitch' && e.RECORDINGS_LOCAL_DIR
        ? {
            switchDir: e.FREESWITCH_RECORDINGS_DIR,
            localDir: e.RECORDINGS_LOCAL_DIR,
            upload: e.RECORDING_UPLOAD_URL ? { url: e.RECORDING_UPLOAD_URL, token: e.RECORDING_UPLOAD_TOKEN } : undefined,
            retentionDays: e.RECORDING_RETENTION_DAYS,
          }
        : undefined,
    crm: e.CRM_URL
      ? { url: e.CRM_URL, token: e.CRM_TOKEN, timeoutMs: e.CRM_TIMEOUT_MS, backoff: { baseMs: e.CRM_RETRY_BASE_MS, maxMs: e.CRM_RETRY_MAX_MS }, surviveMs: e.CRM_SURVIVE_MS, popBudgetMs: e.CRM_POP_BUDGET_MS, cacheTtlMs: e.CRM_CACHE_TTL_MS }
      : undefined,
  };
}
