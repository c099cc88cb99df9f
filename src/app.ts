import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type Redis from 'ioredis';
import type { Connection } from 'mongoose';
import { Server as SocketServer } from 'socket.io';
import { QueueDirectory } from './acd/queue-directory';
import { QueueStore } from './acd/queue-store';
import { AgentService } from './agents/agent-service';
import { AgentStore } from './agents/agent-store';
import { Leases } from './agents/leases';
import { Reconciler } from './agents/reconciler';
import { readiness } from './api/health';
import type express from 'express';
import { agentUiDir, createHttpApp } from './api/http-app';
import { expressRoutes } from './api/route-list';
import { TokenSigner } from './auth/tokens';
import { AccountEvents } from './auth/account-events';
import { deriveKey } from './auth/keys';
import { LoginLimiter } from './auth/login-limiter';
import { Principals } from './auth/principals';
import { RefreshTokens } from './auth/refresh-tokens';
import { CallCenter } from './calls/call-center';
import { DispositionService } from './calls/dispositions';
import type { AppConfig, LoginLimits } from './config/env';
import { HttpCrmClient } from './outcomes/crm-http-client';
import { CrmWriteback } from './outcomes/crm-writeback';
import { RecordingArchive } from './recordings/recording-archive';
import type { Clock } from './clock/clock';
import { ExternalCrm } from './crm/external-crm';
import { CampaignRunner } from './dialer/campaign-runner';
import { DoNotCall } from './dialer/dnc';
import { CustomerDirectory } from './crm/screen-pop';
import { IvrDirectory } from './ivr/ivr-directory';
import { InflightWrites } from './lifecycle/inflight';
import { StoreDirectory } from './org/store-directory';
import type { Logger } from './log';
import { AgentGateway, type AgentPresence } from './realtime/agent-gateway';
import { BoardGateway } from './realtime/board-gateway';
import { ConfigBus } from './redis/config-bus';
import { connectRedis, waitForRedis } from './redis/connect';
import { RedisKeys } from './redis/keys';
import { connectMongo } from './store/connect';
import { bindModels, ensureIndexes, type Models } from './store/models';
import { SimSwitch } from './telephony/sim/sim-switch';
import { CallRecorder } from './calls/call-recorder';
import { CallRecordWriter } from './calls/call-record-writer';
import type { Switch } from './telephony/switch';
import { Metrics } from './observability/metrics';

export interface AppOptions {
  redisUrl: string;
  mongodbUri: string;
  /** Separates this deployment's Redis keys (tests use one per suite). */
  redisNamespace: string;
  http: { host: string; port: number };
  authSecret: string;
  /** Lifetime of an access token (AUTH_TOKEN_TTL_MS). */
  tokenTtlMs: number;
  /** Lifetime of a refresh token (AUTH_REFRESH_TTL_MS; default 12 h). */
  refreshTtlMs?: number;
  /** Failed logins allowed per user name and client address (default 5 and 50 per 15 min). */
  loginLimits?: LoginLimits;
  /** Check every API response against its documented schema (default: outside production). */
  checkResponses?: boolean;
  acd: { offerTimeoutMs: number; wrapUpMs: number };
  /** Agent-state upkeep: desktop grace period, lease renewals, reconciler passes. */
  upkeep?: { desktopGraceMs: number; heartbeatMs: number; callLeaseMs: number; reconcileEveryMs: number };
  projectRoot: string;
  /** Reasons agents may give for not ready; default DEFAULT_NOT_READY_REASONS. */
  notReadyReasons?: readonly string[] | undefined;
  /** External CRM receiving every outcome through the Redis job queue; undefined: built-in CRM only. */
  crm?: AppConfig['crm'];
  /** Folder with prompts.yaml and flows/ (loaded by reloadRouting); undefined: no IVR, numbers go straight to their queue. */
  ivrDir?: string | undefined;
  clock: Clock;
  sw: Switch;
  /** Record every connected conversation (default true). */
  recordCalls?: boolean;
  /** Upload and retention of recordings (see AppConfig['recordings']); undefined: left where they are. */
  recordings?: AppConfig['recordings'];
  /** Prometheus figures (default: a registry of its own, without process metrics). */
  metrics?: Metrics;
  /** Bearer token for GET /metrics; undefined: /metrics answers 404. */
  metricsToken?: string | undefined;
  /** Agents' phones: digest realm and the WSS address browsers register at (default realm dcc-cti). */
  sip?: { realm: string; wsUri: string | undefined };
  log: Logger;
}

/** Detect a dead call owner within lease + one pass (≤ 4 s); log out a desktop gone for 10 s. */
const DEFAULT_UPKEEP = { desktopGraceMs: 10_000, heartbeatMs: 1_000, callLeaseMs: 3_000, reconcileEveryMs: 1_000 };

/** break 休息 · lunch 午餐 · meeting 会议 · training 培训 · admin_work 事务处理 · outbound_work 外呼准备 */
export const DEFAULT_NOT_READY_REASONS = ['break', 'lunch', 'meeting', 'training', 'admin_work', 'outbound_work'] as const;

/** How long the simulated softphone of an agent takes to answer the leg the switch sends it. */
const SIM_SOFTPHONE_ANSWER_MS = 300;

/** Everything wired together: stores, switch, call logic, HTTP API and the agent socket. */
export class App {
  private constructor(
    readonly options: AppOptions,
    readonly redis: Redis,
    readonly mongo: Connection,
    readonly models: Models,
    readonly calls: CallCenter,
    readonly agents: AgentService,
    readonly queues: QueueStore,
    readonly queueDirectory: QueueDirectory,
    readonly stores: StoreDirectory,
    readonly customers: CustomerDirectory,
    private readonly routing: { ivr: IvrDirectory | undefined },
    private readonly reload: () => Promise<void>,
    readonly tokens: TokenSigner,
    readonly reconciler: Reconciler,
    private readonly gateway: AgentGateway,
    private readonly server: http.Server,
    private readonly io: SocketServer,
    private readonly inflight: InflightWrites,
    readonly writeback: CrmWriteback | undefined,
    private readonly configBus: ConfigBus,
    readonly campaigns: CampaignRunner,
    private readonly board: BoardGateway,
    private readonly archive: RecordingArchive | undefined,
    private readonly accounts: AccountEvents,
    private readonly httpApp: express.Express,
  ) {}

  static async create(o: AppOptions): Promise<App> {
    const log = o.log;
    const metrics = o.metrics ?? new Metrics({ processMetrics: false });
    const redis = connectRedis(o.redisUrl, 'cc-app', log.child({ module: 'redis' }));
    let mongo: Connection | undefined;
    let writeback: CrmWriteback | undefined;
    let archive: RecordingArchive | undefined;
    let configBus: ConfigBus | undefined;
    let accounts: AccountEvents | undefined;
    try {
      await waitForRedis(redis, o.redisUrl, 10_000);
      mongo = await connectMongo(o.mongodbUri);
      const models = bindModels(mongo);
      await ensureIndexes(models);
      const keys = new RedisKeys(o.redisNamespace);
      const tokens = new TokenSigner(deriveKey(o.authSecret, 'token-signing'), o.tokenTtlMs);
      const principals = new Principals(models);
      const inflight = new InflightWrites();
      writeback = o.crm
        ? new CrmWriteback({
            redisUrl: o.redisUrl,
            prefix: `${o.redisNamespace}:bull`,
            client: new HttpCrmClient({ baseUrl: o.crm.url, token: o.crm.token, timeoutMs: o.crm.timeoutMs }),
            backoff: o.crm.backoff,
            surviveMs: o.crm.surviveMs,
            log: log.child({ module: 'crm-writeback' }),
          })
        : undefined;
      writeback?.start();
      const rec = o.recordings;
      archive = rec
        ? new RecordingArchive({
            redisUrl: o.redisUrl,
            prefix: `${o.redisNamespace}:bull`,
            switchDir: rec.switchDir,
            localDir: rec.localDir,
            upload: rec.upload ? { ...rec.upload, timeoutMs: 60_000 } : undefined,
            retentionDays: rec.retentionDays,
            sweepEveryMs: 3600_000,
            backoff: { baseMs: 10_000, maxMs: 600_000 },
            attempts: 50,
            clock: o.clock,
            models,
            log: log.child({ module: 'recording-archive' }),
          })
        : undefined;
      await archive?.start();
      const queues = new QueueStore(redis, keys);
      const queueDirectory = new QueueDirectory(models, queues, o.acd);
      await queueDirectory.load();
      const customers = new CustomerDirectory(models, redis, keys);
      const stores = new StoreDirectory(models);
      await stores.load();
      const routing: { ivr: IvrDirectory | undefined } = { ivr: undefined };
      const reloadRouting = async (): Promise<void> => {
        await queueDirectory.load();
        await stores.load();
        if (o.ivrDir) routing.ivr = IvrDirectory.load(o.ivrDir, { queueIds: queueDirectory.ids(), storeIds: stores.ids() });
      };
      configBus = new ConfigBus(redis, connectRedis(o.redisUrl, 'cc-config', log.child({ module: 'redis-sub' })), `${o.redisNamespace}:config`, log.child({ module: 'config-bus' }));
      await configBus.start(reloadRouting);
      const bus = configBus;
      /** A change made through this instance's API: reload here, then tell the others. */
      const changeRouting = async (): Promise<void> => {
        await reloadRouting();
        await bus.changed();
      };

      const server = http.createServer();
      const io = new SocketServer(server, { serveClient: true, pingInterval: 10_000, pingTimeout: 8_000 });
      const upkeep = o.upkeep ?? DEFAULT_UPKEEP;
      const leases = new Leases(redis, keys);
      const gateway = new AgentGateway(io, tokens, models, leases, o.clock, { graceMs: upkeep.desktopGraceMs, heartbeatMs: upkeep.heartbeatMs, notReadyReasons: o.notReadyReasons ?? DEFAULT_NOT_READY_REASONS }, log.child({ module: 'agent-gateway' }));
      const agentStore = new AgentStore(redis, keys);
      const agents = new AgentService(agentStore, gateway, () => o.clock.now(), log.child({ module: 'agents' }));
      const records = new CallRecordWriter({ models, inflight, log: log.child({ module: 'call-records' }) });
      const calls = new CallCenter({
        sw: o.sw,
        clock: o.clock,
        agents,
        queues,
        queueDirectory,
        models,
        crm: customers,
        externalCrm: o.crm
          ? { crm: new ExternalCrm({ baseUrl: o.crm.url, token: o.crm.token, cacheTtlMs: o.crm.cacheTtlMs, timeoutMs: o.crm.timeoutMs }, redis, (phone) => keys.crmCard(phone), log.child({ module: 'external-crm' })), popBudgetMs: o.crm.popBudgetMs }
          : undefined,
        channel: gateway,
        inflight,
        records,
        recorder: new CallRecorder({ sw: o.sw, records, enabled: o.recordCalls ?? true, timeZoneOf: (storeId) => (storeId ? stores.calendar(storeId)?.timeZone : undefined) ?? 'Asia/Shanghai', log: log.child({ module: 'recorder' }) }),
        outcomes: new DispositionService({ models, records, customers, channel: gateway, inflight, sink: writeback, log: log.child({ module: 'outcomes' }) }),
        leases,
        archive,
        flowFor: (dialled) => routing.ivr?.forDialled(dialled),
        storeCalendar: (storeId) => stores.calendar(storeId),
        lease: { ttlMs: upkeep.callLeaseMs, heartbeatMs: upkeep.heartbeatMs },
        log: log.child({ module: 'calls' }),
      });
      const dnc = new DoNotCall(redis, o.redisNamespace);
      const campaigns = new CampaignRunner({ models, redis, ns: o.redisNamespace, sw: o.sw, clock: o.clock, agents, calls, customers, dnc, log: log.child({ module: 'dialer' }) });
      const reconciler = new Reconciler(agentStore, agents, leases, o.clock, log.child({ module: 'reconciler' }), { intervalMs: upkeep.reconcileEveryMs });
      const sim = o.sw instanceof SimSwitch ? o.sw : undefined;
      const presence: AgentPresence = sim
        ? {
            online: (agentId) => sim.registerEndpoint(`agent:${agentId}`, { answer: 'auto', afterMs: SIM_SOFTPHONE_ANSWER_MS }),
            offline: (agentId) => sim.unregisterEndpoint(`agent:${agentId}`),
          }
        : { online: () => undefined, offline: () => undefined };
      gateway.bind(agents, calls, presence, campaigns);
      accounts = new AccountEvents(
        principals,
        new ConfigBus(redis, connectRedis(o.redisUrl, 'cc-accounts', log.child({ module: 'redis-sub' })), `${o.redisNamespace}:accounts`, log.child({ module: 'account-events' })),
        (username, end) => gateway.endSessions(username, end.code, end.error),
      );
      await accounts.start();
      const board = new BoardGateway(io, { tokens, models, campaigns, calls, presence, clock: o.clock, everyMs: 3000, log: log.child({ module: 'board' }) });
      const httpApp = createHttpApp({
        models,
        tokens,
        refresh: new RefreshTokens(redis, o.redisNamespace, o.refreshTtlMs ?? 12 * 3600_000),
        limiter: new LoginLimiter(redis, o.redisNamespace, o.loginLimits ?? { perUser: 5, perAddress: 50, windowMs: 15 * 60_000 }),
        principals,
        accounts,
        checkResponses: o.checkResponses ?? process.env.NODE_ENV !== 'production',
        crm: customers,
        queueDirectory,
        queues,
        reloadRouting: changeRouting,
        writeback,
        campaigns,
        dnc,
        readiness: () => readiness(redis, mongo as Connection, o.sw),
        metrics: { registry: metrics.registry, token: o.metricsToken },
        sim,
        agentUiDir: agentUiDir(o.projectRoot),
        sip: { realm: o.sip?.realm ?? 'dcc-cti', wsUri: o.sip?.wsUri, secret: o.authSecret },
        log: log.child({ module: 'http' }),
      });
      server.on('request', httpApp);
      await o.sw.start();
      calls.start();
      board.start();
      reconciler.start();
      return new App(o, redis, mongo, models, calls, agents, queues, queueDirectory, stores, customers, routing, reloadRouting, tokens, reconciler, gateway, server, io, inflight, writeback, configBus, campaigns, board, archive, accounts, httpApp);
    } catch (err) {
      await writeback?.stop();
      await archive?.stop();
      await configBus?.stop();
      await accounts?.stop();
      redis.disconnect();
      await mongo?.close();
      throw err;
    }
  }

  /**
   * (Re)reads queues, stores and the IVR flows, and checks the flows against them: an invalid flow
   * throws a FlowError naming the file and node, and the flows in use stay as they were.
   */
  reloadRouting(): Promise<void> {
    return this.reload();
  }

  /** Ends a user's open desks (logout everywhere, deactivation): each is told why and disconnected. */
  endSessions(username: string, code: 'session_expired' | 'account_disabled', error: string): void {
    this.gateway.endSessions(username, code, error);
  }

  /** Every method and path the HTTP server answers (express style paths). */
  httpRoutes(): { method: string; path: string }[] {
    return expressRoutes(this.httpApp);
  }

  /** After a user record was changed outside the API (a script, the database): every instance re-reads it. */
  userChanged(username: string): Promise<void> {
    return this.accounts.changed(username);
  }

  /** The SIP account of a user who may register a phone (exists, active), for the registrar. */
  async sipAccount(username: string): Promise<{ sipPasswordVersion: number } | undefined> {
    const u = await this.models.User.findOne({ username }, { active: 1, sipPasswordVersion: 1 }).lean();
    return u && u.active !== false ? { sipPasswordVersion: u.sipPasswordVersion ?? 0 } : undefined;
  }

  get ivr(): IvrDirectory | undefined {
    return this.routing.ivr;
  }

  async listen(): Promise<AddressInfo> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.http.port, this.options.http.host, () => resolve());
    });
    return this.server.address() as AddressInfo;
  }

  /** Stop taking calls, finish the ones in progress and the writes in flight, close every connection. */
  async stop(timeoutMs: number): Promise<void> {
    const log = this.options.log;
    this.reconciler.stop();
    await this.campaigns.stopAll();
    this.board.stop();
    await this.calls.stop(timeoutMs);
    this.gateway.stop();
    const left = await this.inflight.drain(timeoutMs);
    if (left > 0) log.warn({ left }, 'writes still in flight at shutdown');
    await this.io.close(); // also closes the HTTP server it is attached to
    if (this.server.listening) await new Promise<void>((resolve) => this.server.close(() => resolve()));
    await this.options.sw.stop();
    await this.writeback?.stop();
    await this.archive?.stop();
    await this.configBus.stop();
    await this.accounts.stop();
    await this.redis.quit().catch(() => this.redis.disconnect());
    await this.mongo.close();
  }
}
