import { wireIntervalReports } from './reports/wire-reports';
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
import { Assist, DEFAULT_ASSIST, type AssistSettings } from './assist/assist-module';
import { CallCommands } from './calls/call-commands';
import { CallRecorder } from './calls/call-recorder';
import { CallRecordWriter } from './calls/call-record-writer';
import { CallSweeper } from './calls/call-sweeper';
import { DispositionService } from './calls/dispositions';
import { LiveCalls } from './calls/live-calls';
import type { Clock } from './clock/clock';
import { InstanceBus } from './cluster/instance-bus';
import { Instances } from './cluster/instances';
import { RedisHealth } from './cluster/redis-health';
import type { AppConfig, LoginLimits } from './config/env';
import { ExternalCrm } from './crm/external-crm';
import { CustomerDirectory } from './crm/screen-pop';
import { CampaignOwnership } from './dialer/campaign-ownership';
import { CampaignRunner } from './dialer/campaign-runner';
import { DoNotCall } from './dialer/dnc';
import { IvrDirectory } from './ivr/ivr-directory';
import { InflightWrites } from './lifecycle/inflight';
import { IoTracker, untilQuiet } from './lifecycle/io-quiet';
import type { Logger } from './log';
import { Metrics } from './observability/metrics';
import { StoreDirectory } from './org/store-directory';
import { HttpCrmClient } from './outcomes/crm-http-client';
import { CrmWriteback } from './outcomes/crm-writeback';
import { OutboxRelay } from './outcomes/outbox-relay';
import { AgentGateway, type AgentPresence } from './realtime/agent-gateway';
import { BoardGateway } from './realtime/board-gateway';
import { boardCounting, boardServices } from './supervisor/supervisor-wiring';
import type { BoardPublisher } from './supervisor/board-publisher';
import { RecordingArchive } from './recordings/recording-archive';
import { ConfigBus } from './redis/config-bus';
import { connectRedis, waitForRedis } from './redis/connect';
import { createAdapter } from '@socket.io/redis-streams-adapter';
import { RedisKeys } from './redis/keys';
import { connectMongo } from './store/connect';
import { bindModels, ensureIndexes, type Models } from './store/models';
import { SharedSimPhones } from './telephony/sim/shared-sim-phones';
import { SimSwitch } from './telephony/sim/sim-switch';
import type { Switch } from './telephony/switch';

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
  /** Upkeep timing: desktop grace period, heartbeats and leases, reconciler and sweeper passes. */
  upkeep?: Partial<Upkeep>;
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
  /** Time zone of the live board's day (its counters restart at local midnight); default Asia/Shanghai. */
  boardTimeZone?: string;
  /** The in-car assistant: its queue, crash escalation time, caller id, vehicle header (defaults: DEFAULT_ASSIST). */
  assist?: Partial<AssistSettings>;
  /** Count database and Redis round trips in flight (tests on a virtual clock settle on them: App.settle). */
  trackIo?: boolean;
  log: Logger;
}

export interface Upkeep {
  /** An agent's desktop may be gone this long before the agent is logged out. */
  desktopGraceMs: number;
  /** How often leases and heartbeats are renewed (calls, desktops, this instance). */
  heartbeatMs: number;
  /** A live call's lease and an instance's heartbeat last this long unless renewed. */
  callLeaseMs: number;
  reconcileEveryMs: number;
  sweepEveryMs: number;
  /** After Redis comes back, expiries are not trusted for this long (nobody could renew meanwhile). */
  redisGraceMs: number;
}

/** Detect a dead call owner within lease + one pass (≤ 4 s); log out a desktop gone for 10 s. */
const DEFAULT_UPKEEP: Upkeep = { desktopGraceMs: 10_000, heartbeatMs: 1_000, callLeaseMs: 3_000, reconcileEveryMs: 1_000, sweepEveryMs: 1_000, redisGraceMs: 4_000 };

/** break 休息 · lunch 午餐 · meeting 会议 · training 培训 · admin_work 事务处理 · outbound_work 外呼准备 */
export const DEFAULT_NOT_READY_REASONS = ['break', 'lunch', 'meeting', 'training', 'admin_work', 'outbound_work'] as const;

/** How long the simulated softphone of an agent takes to answer the leg the switch sends it. */
const SIM_SOFTPHONE_ANSWER_MS = 300;

/** What an app is made of, wired once by App.create. */
interface Parts {
  redis: Redis;
  mongo: Connection;
  models: Models;
  keys: RedisKeys;
  metrics: Metrics;
  inflight: InflightWrites;
  ioTracker: IoTracker;
  instances: Instances;
  health: RedisHealth;
  calls: CallCenter;
  /** The other instances: desk commands and offers for calls they run go to them. */
  peers: InstanceBus;
  agents: AgentService;
  agentStore: AgentStore;
  queues: QueueStore;
  queueDirectory: QueueDirectory;
  stores: StoreDirectory;
  customers: CustomerDirectory;
  routing: { ivr: IvrDirectory | undefined };
  reload: () => Promise<void>;
  tokens: TokenSigner;
  reconciler: Reconciler;
  sweeper: CallSweeper;
  gateway: AgentGateway;
  board: BoardGateway;
  /** The live board's one computation (the leader runs it) and its own Redis connection. */
  boardPublisher: BoardPublisher;
  boardRedis: Redis;
  server: http.Server;
  io: SocketServer;
  writeback: CrmWriteback | undefined;
  relay: OutboxRelay | undefined;
  archive: RecordingArchive | undefined;
  configBus: ConfigBus;
  campaigns: CampaignRunner;
  accounts: AccountEvents;
  assist: Assist;
  /** Set once the HTTP app is made (it needs the app itself). */
  httpApp: express.Express | undefined;
}

/**
 * Everything wired together: stores, switch, call logic, HTTP API and the agent socket. An app is
 * created passive (its HTTP server answers, /readyz says not ready, desks are refused) and takes
 * calls once activated. Several instances may run on one Redis, all taking calls and desks; one of
 * them, the leader (lead()), also runs the deployment's upkeep: the reconciler, the sweeper of
 * dead instances' calls, the outbox relay and the campaigns nobody runs.
 */
export class App {
  private active = false;
  private leading = false;

  private constructor(
    readonly options: AppOptions,
    private readonly p: Parts,
  ) {}

  get redis(): Redis {
    return this.p.redis;
  }
  get mongo(): Connection {
    return this.p.mongo;
  }
  get models(): Models {
    return this.p.models;
  }
  get calls(): CallCenter {
    return this.p.calls;
  }
  get agents(): AgentService {
    return this.p.agents;
  }
  get queues(): QueueStore {
    return this.p.queues;
  }
  get queueDirectory(): QueueDirectory {
    return this.p.queueDirectory;
  }
  get stores(): StoreDirectory {
    return this.p.stores;
  }
  get customers(): CustomerDirectory {
    return this.p.customers;
  }
  get tokens(): TokenSigner {
    return this.p.tokens;
  }
  get reconciler(): Reconciler {
    return this.p.reconciler;
  }
  get sweeper(): CallSweeper {
    return this.p.sweeper;
  }
  get writeback(): CrmWriteback | undefined {
    return this.p.writeback;
  }
  /** The in-car assistant (#15): devices, members, the call door. */
  get assist(): Assist {
    return this.p.assist;
  }
  get campaigns(): CampaignRunner {
    return this.p.campaigns;
  }
  get metrics(): Metrics {
    return this.p.metrics;
  }
  /** The agent socket layer (what the call logic tells desks goes through it). */
  get gateway(): AgentGateway {
    return this.p.gateway;
  }
  /** This instance's id (the owner of the calls it runs). */
  get instanceId(): string {
    return this.p.instances.id;
  }
  get isActive(): boolean {
    return this.active;
  }

  static async create(o: AppOptions): Promise<App> {
    const log = o.log;
    const metrics = o.metrics ?? new Metrics({ processMetrics: false });
    const upkeep: Upkeep = { ...DEFAULT_UPKEEP, ...o.upkeep };
    const redis = connectRedis(o.redisUrl, 'cc-app', log.child({ module: 'redis' }));
    let mongo: Connection | undefined;
    let configBus: ConfigBus | undefined;
    let instances: Instances | undefined;
    let accounts: AccountEvents | undefined;
    let peerSub: Redis | undefined;
    let bus_: InstanceBus | undefined;
    try {
      await waitForRedis(redis, o.redisUrl, 10_000);
      mongo = await connectMongo(o.mongodbUri, undefined, { monitorCommands: o.trackIo ?? false });
      const ioTracker = new IoTracker();
      if (o.trackIo) {
        ioTracker.watchMongo(mongo);
        ioTracker.watchRedis(redis);
      }
      const models = bindModels(mongo);
      await ensureIndexes(models);
      const keys = new RedisKeys(o.redisNamespace);
      const tokens = new TokenSigner(deriveKey(o.authSecret, 'token-signing'), o.tokenTtlMs);
      const principals = new Principals(models);
      const inflight = new InflightWrites();
      const health = new RedisHealth(redis, o.clock, upkeep.redisGraceMs);
      instances = new Instances(redis, keys.instances(), o.clock, { ttlMs: upkeep.callLeaseMs, beatMs: upkeep.heartbeatMs, log: log.child({ module: 'instances' }) });
      await instances.start();
      const owner = instances;
      o.sw.setOwner?.({ id: owner.id, dead: (ids) => owner.dead(ids) });
      const writeback = o.crm
        ? new CrmWriteback({
            redisUrl: o.redisUrl,
            prefix: `${o.redisNamespace}:bull`,
            client: new HttpCrmClient({ baseUrl: o.crm.url, token: o.crm.token, timeoutMs: o.crm.timeoutMs }),
            backoff: o.crm.backoff,
            surviveMs: o.crm.surviveMs,
            onAttemptFailed: () => metrics.jobFailures.inc({ queue: 'crm-outcomes' }),
            log: log.child({ module: 'crm-writeback' }),
          })
        : undefined;
      const rec = o.recordings;
      const archive = rec
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
            onAttemptFailed: () => metrics.jobFailures.inc({ queue: 'recordings' }),
            log: log.child({ module: 'recording-archive' }),
          })
        : undefined;
      const relay = writeback ? new OutboxRelay({ models, sink: writeback, clock: o.clock, everyMs: 5_000, log: log.child({ module: 'outbox-relay' }) }) : undefined;
      const queues = new QueueStore(redis, keys);
      const queueDirectory = new QueueDirectory(models, queues, o.acd);
      await queueDirectory.load();
      const customers = new CustomerDirectory(models, redis, keys);
      const stores = new StoreDirectory(models);
      await stores.load();
      const assist = await Assist.create(mongo, {
        settings: { ...DEFAULT_ASSIST, ...o.assist },
        storeName: (id) => stores.name(id) ?? id,
        storeExists: (id) => stores.ids().has(id),
        clock: o.clock,
        log: log.child({ module: 'assist' }),
        sw: o.sw,
        realm: o.sip?.realm ?? 'dcc-cti',
        secret: o.authSecret,
        redisUrl: o.redisUrl,
        redisPrefix: `${o.redisNamespace}:bull`,
        redis,
        redisNamespace: o.redisNamespace,
      });
      const routing: { ivr: IvrDirectory | undefined } = { ivr: undefined };
      const reload = async (): Promise<void> => {
        await queueDirectory.load();
        await stores.load();
        if (o.ivrDir) routing.ivr = IvrDirectory.load(o.ivrDir, { queueIds: queueDirectory.ids(), storeIds: stores.ids() });
      };
      configBus = new ConfigBus(redis, connectRedis(o.redisUrl, 'cc-config', log.child({ module: 'redis-sub' })), `${o.redisNamespace}:config`, log.child({ module: 'config-bus' }));
      await configBus.start(reload);
      const bus = configBus;
      /** A change made through this instance's API: reload here, then tell the others. */
      const changeRouting = async (): Promise<void> => {
        await reload();
        await bus.changed();
      };

      const server = http.createServer();
      const io = new SocketServer(server, {
        serveClient: true,
        pingInterval: 10_000,
        pingTimeout: 8_000,
        // a desk that comes back within two minutes gets what it missed (kept in the Redis stream below)
        connectionStateRecovery: { maxDisconnectionDuration: 120_000, skipMiddlewares: false },
      });
      // Desks and boards may be connected to any instance: an emit to an agent's or a store's room
      // reaches the sockets of every instance through a Redis stream.
      io.adapter(createAdapter(redis, { streamName: `${o.redisNamespace}:socket.io`, channelPrefix: `${o.redisNamespace}:socket.io`, sessionKeyPrefix: `${o.redisNamespace}:sio:session:`, maxLen: 20_000 }));
      peerSub = connectRedis(o.redisUrl, 'cc-peers', log.child({ module: 'redis-peers' }));
      const peers = new InstanceBus(redis, peerSub, o.redisNamespace, instances.id, log.child({ module: 'instance-bus' }));
      bus_ = peers;
      await peers.start();
      const leases = new Leases(redis, keys);
      const gateway = new AgentGateway(io, tokens, models, leases, o.clock, { graceMs: upkeep.desktopGraceMs, heartbeatMs: upkeep.heartbeatMs, notReadyReasons: o.notReadyReasons ?? DEFAULT_NOT_READY_REASONS }, log.child({ module: 'agent-gateway' }));
      const agentStore = new AgentStore(redis, keys);
      const boardTimeZone = o.boardTimeZone ?? 'Asia/Shanghai';
      const counting = boardCounting(redis, o.redisNamespace, boardTimeZone, inflight, log.child({ module: 'board' }));
      const agents = new AgentService(agentStore, gateway, () => o.clock.now(), log.child({ module: 'agents' }), counting.observeAgent);
      const records = new CallRecordWriter({ models, inflight, log: log.child({ module: 'call-records' }) });
      metrics.onScrape(async () => {
        metrics.callRecordWrites.set({ stage: 'asked' }, records.stats.asked);
        metrics.callRecordWrites.set({ stage: 'sent' }, records.stats.sent);
        await Promise.resolve();
      });
      const live = new LiveCalls(redis, o.redisNamespace);
      wireIntervalReports({ models, redis, ns: o.redisNamespace, records, agents, queueDirectory, log: log.child({ module: 'reports' }) });
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
        outcomes: new DispositionService({ models, records, customers, channel: gateway, inflight, sink: writeback, relay, log: log.child({ module: 'outcomes' }) }),
        leases,
        live,
        owner: instances.id,
        peers,
        metrics,
        storesUp: () => redis.status === 'ready' && mongo?.readyState === 1,
        archive,
        flowFor: (dialled) => routing.ivr?.forDialled(dialled),
        inCar: assist.door(),
        storeCalendar: (storeId) => stores.calendar(storeId),
        lease: { ttlMs: upkeep.callLeaseMs, heartbeatMs: upkeep.heartbeatMs },
        log: log.child({ module: 'calls' }),
        tally: counting.tally,
      });
      const dnc = new DoNotCall(redis, o.redisNamespace);
      const ownership = new CampaignOwnership(redis, o.redisNamespace, instances.id, peers, log.child({ module: 'campaign-ownership' }));
      const campaigns = new CampaignRunner({ models, redis, ns: o.redisNamespace, sw: o.sw, clock: o.clock, agents, calls, customers, dnc, ownership, log: log.child({ module: 'dialer' }) });
      const reconciler = new Reconciler(agentStore, agents, leases, o.clock, log.child({ module: 'reconciler' }), { intervalMs: upkeep.reconcileEveryMs, orphanWrapUpMs: 0, health, unswept: (callId) => live.exists(callId) });
      const wrapUpFor = async (queueId: string | undefined): Promise<{ dispositionCodes: string[]; wrapUpMs: number }> => {
        if (queueId?.startsWith('campaign:')) {
          const c = await models.Campaign.findById(queueId.slice('campaign:'.length), { dispositionCodes: 1, wrapUpMs: 1 }).lean();
          return { dispositionCodes: c?.dispositionCodes ?? [], wrapUpMs: c?.wrapUpMs ?? o.acd.wrapUpMs };
        }
        const q = queueId ? queueDirectory.get(queueId) : undefined;
        return { dispositionCodes: q?.dispositionCodes ?? [], wrapUpMs: q?.wrapUpMs ?? o.acd.wrapUpMs };
      };
      const sweeper = new CallSweeper({
        live,
        instances,
        health,
        queues,
        agents,
        leases,
        records,
        channel: gateway,
        clock: o.clock,
        metrics,
        log: log.child({ module: 'sweeper' }),
        owner: instances.id,
        runsHere: (callId) => calls.runsHere(callId),
        resumeCallback: (callId, state) => calls.resumeCallback(callId, state),
        wrapUpFor,
        everyMs: upkeep.sweepEveryMs,
      });
      const sim = o.sw instanceof SimSwitch ? o.sw : undefined;
      const phones = sim ? new SharedSimPhones({ sim, redis, bus: peers, key: `${o.redisNamespace}:sim:phones`, self: instances.id, dead: (ids) => owner.dead(ids), log: log.child({ module: 'sim-phones' }) }) : undefined;
      await phones?.start();
      const presence: AgentPresence = phones
        ? {
            online: (agentId) => phones.online(`agent:${agentId}`, { answer: 'auto', afterMs: SIM_SOFTPHONE_ANSWER_MS }),
            offline: (agentId) => phones.offline(`agent:${agentId}`),
          }
        : { online: () => undefined, offline: () => undefined };
      const commands = new CallCommands({ calls, live, agents, bus: peers, self: instances.id });
      gateway.bind(agents, commands, presence, campaigns);
      accounts = new AccountEvents(
        principals,
        new ConfigBus(redis, connectRedis(o.redisUrl, 'cc-accounts', log.child({ module: 'redis-sub' })), `${o.redisNamespace}:accounts`, log.child({ module: 'account-events' })),
        (username, end) => gateway.endSessions(username, end.code, end.error),
      );
      await accounts.start();
      const boardRedis = connectRedis(o.redisUrl, 'cc-board', log.child({ module: 'redis-board' }));
      const boardParts = boardServices({
        boardRedis,
        ns: o.redisNamespace,
        timeZone: boardTimeZone,
        mongo,
        models,
        queueDirectory,
        agents,
        ready: (agentId, queueIds) => commands.agentReady(agentId, queueIds),
        clock: o.clock,
        emit: (b) => board.publish(b),
        log: log.child({ module: 'board' }),
      });
      const board: BoardGateway = new BoardGateway(io, {
        tokens,
        models,
        campaigns,
        calls,
        commands,
        presence,
        clock: o.clock,
        everyMs: 3000,
        log: log.child({ module: 'board' }),
        force: boardParts.force,
        latest: (storeIds) => boardParts.publisher.latest(storeIds),
        live,
        counters: counting.counters,
      });
      const boardPublisher = boardParts.publisher;
      assist.onPushState((username, state) => gateway.assistPush(username, state));
      assist.onEscalation(async (a) => {
        const supervisors = await models.User.find({ roles: 'supervisor', storeIds: a.storeId, active: { $ne: false } }, { username: 1 }).lean();
        board.assistAlert(supervisors.map((u) => u.username), a);
      });
      const parts: Parts = { assist, redis, mongo, models, keys, metrics, inflight, ioTracker, instances, health, calls, peers, agents, agentStore, queues, queueDirectory, stores, customers, routing, reload, tokens, reconciler, sweeper, gateway, board, boardPublisher, boardRedis, server, io, writeback, relay, archive, configBus, campaigns, accounts, httpApp: undefined };
      const app = new App(o, parts);
      App.readAtScrape(parts, o.sw);
      parts.httpApp = createHttpApp({
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
        readiness: async () => {
          const r = await readiness(redis, mongo as Connection, o.sw);
          return { ...r, ready: r.ready && app.active, instance: owner.id, role: app.leading ? ('leader' as const) : ('member' as const) };
        },
        metrics: { render: () => metrics.render(), contentType: metrics.registry.contentType, token: o.metricsToken },
        sim,
        clock: o.clock,
        agentUiDir: agentUiDir(o.projectRoot),
        desk: { clock: o.clock, agents, notReadyReasons: [...(o.notReadyReasons ?? DEFAULT_NOT_READY_REASONS)] },
        sip: { realm: o.sip?.realm ?? 'dcc-cti', wsUri: o.sip?.wsUri, secret: o.authSecret },
        extraRoutes: [assist.routes(calls)],
        log: log.child({ module: 'http' }),
      });
      server.on('request', parts.httpApp);
      return app;
    } catch (err) {
      await bus_?.stop();
      if (!bus_) peerSub?.disconnect();
      await instances?.stop();
      await configBus?.stop();
      await accounts?.stop();
      redis.disconnect();
      await mongo?.close();
      throw err;
    }
  }

  /** Gauges read when Prometheus scrapes: waiting calls, agents by state, job queues, dialer abandon rates, the switch. */
  private static readAtScrape(p: Parts, sw: Switch): void {
    const m = p.metrics;
    let wasConnected = sw.isConnected();
    sw.on('switch.connection', ({ connected }) => {
      m.switchConnected.set(connected ? 1 : 0);
      if (connected && !wasConnected) m.switchReconnects.inc();
      wasConnected = connected;
    });
    m.onScrape(async () => {
      m.switchConnected.set(sw.isConnected() ? 1 : 0);
      for (const q of p.queueDirectory.ids()) m.waitingCalls.set({ queue: q }, await p.queues.waitingCount(q));
    });
    m.onScrape(async () => {
      const counts = new Map<string, number>();
      for (const s of (await p.agentStore.listStatuses()).values()) counts.set(s.state, (counts.get(s.state) ?? 0) + 1);
      m.agentsByState.reset();
      for (const [state, n] of counts) m.agentsByState.set({ state }, n);
    });
    m.onScrape(async () => {
      if (p.writeback) {
        const c = await p.writeback.counts();
        m.jobQueueDepth.set({ queue: 'crm-outcomes' }, c.waiting + c.delayed);
      }
      if (p.archive) m.jobQueueDepth.set({ queue: 'recordings' }, (await p.archive.counts()).waiting);
    });
    m.onScrape(async () => {
      m.dialerAbandonRate.reset();
      for (const [campaign, rate] of await p.campaigns.abandonRates()) m.dialerAbandonRate.set({ campaign }, rate);
    });
  }

  /**
   * Starts taking calls and desks: the switch connects, calls are taken, job workers start, and
   * campaigns marked running that no other instance runs start here. With `lead` (the default, for
   * a single instance) it also leads at once; a deployment elects its leader instead (main.ts).
   */
  async activate(o: { lead?: boolean } = {}): Promise<void> {
    if (this.active) return;
    const p = this.p;
    p.writeback?.start();
    p.assist.start();
    await p.archive?.start();
    await this.options.sw.start();
    p.calls.start();
    p.board.start();
    p.gateway.activate();
    this.active = true;
    if (o.lead !== false) await this.lead();
    const resumed = await p.campaigns.resume();
    if (resumed.length > 0) this.options.log.info({ campaigns: resumed }, 'campaigns running before the restart resumed here');
  }

  /** This instance runs the deployment's upkeep (it holds the leader lock). */
  async lead(): Promise<void> {
    if (this.leading) return;
    this.leading = true;
    const p = this.p;
    p.relay?.start();
    p.reconciler.start();
    p.sweeper.start();
    p.boardPublisher.start();
    p.metrics.leader.set(1);
    await Promise.resolve();
  }

  /** Another instance leads now: the upkeep stops here (calls and desks carry on). */
  follow(): void {
    if (!this.leading) return;
    this.leading = false;
    const p = this.p;
    p.relay?.stop();
    p.reconciler.stop();
    p.sweeper.stop();
    p.boardPublisher.stop();
    p.metrics.leader.set(0);
  }

  /** The live board's computations so far (bench: CPU per board update). */
  boardStats(): ReturnType<BoardPublisher['stats']> {
    return this.p.boardPublisher.stats();
  }

  get isLeader(): boolean {
    return this.leading;
  }

  /**
   * (Re)reads queues, stores and the IVR flows, and checks the flows against them: an invalid flow
   * throws a FlowError naming the file and node, and the flows in use stay as they were.
   */
  reloadRouting(): Promise<void> {
    return this.p.reload();
  }

  get ivr(): IvrDirectory | undefined {
    return this.p.routing.ivr;
  }

  /** Every method and path the HTTP server answers (express style paths). */
  httpRoutes(): { method: string; path: string }[] {
    return this.p.httpApp ? expressRoutes(this.p.httpApp) : [];
  }

  /** After a user record was changed outside the API (a script, the database): every instance re-reads it. */
  userChanged(username: string): Promise<void> {
    return this.p.accounts.changed(username);
  }

  /** The SIP account of a user who may register a phone (exists, active), for the registrar. */
  async sipAccount(username: string): Promise<{ sipPasswordVersion: number } | undefined> {
    const u = await this.p.models.User.findOne({ username }, { active: 1, sipPasswordVersion: 1 }).lean();
    return u && u.active !== false ? { sipPasswordVersion: u.sipPasswordVersion ?? 0 } : undefined;
  }

  /** Ends a user's open desks (logout everywhere, deactivation): each is told why and disconnected. */
  endSessions(username: string, code: 'session_expired' | 'account_disabled', error: string): void {
    this.p.gateway.endSessions(username, code, error);
  }

  async listen(): Promise<AddressInfo> {
    await new Promise<void>((resolve, reject) => {
      this.p.server.once('error', reject);
      this.p.server.listen(this.options.http.port, this.options.http.host, () => resolve());
    });
    return this.p.server.address() as AddressInfo;
  }

  /**
   * Resolves once no database or Redis round trip is under way and no tracked write is in flight (with
   * trackIo): what a test's virtual clock waits for between two timers, so that a timer's effects have
   * landed before the next fires. Work waiting on the clock itself is not waited for.
   */
  settle(): Promise<void> {
    return untilQuiet(() => this.p.ioTracker.busy() || this.p.inflight.size > 0);
  }

  /** Settles when the dispatcher, every call session and every write in flight are idle (tests, shutdown). */
  async quiesce(): Promise<void> {
    await this.p.calls.idle();
    await this.p.inflight.drain(60_000);
    await this.p.relay?.idle();
  }

  /** Stop taking calls, finish the ones in progress and the writes in flight, close every connection. */
  async stop(timeoutMs: number): Promise<void> {
    const log = this.options.log;
    const p = this.p;
    this.active = false;
    this.follow();
    await p.campaigns.stopAll();
    p.board.stop();
    await p.calls.stop(timeoutMs);
    p.gateway.stop();
    const left = await p.inflight.drain(timeoutMs);
    await p.relay?.idle();
    if (left > 0) log.warn({ left }, 'writes still in flight at shutdown');
    await p.io.close(); // also closes the HTTP server it is attached to
    if (p.server.listening) await new Promise<void>((resolve) => p.server.close(() => resolve()));
    await this.options.sw.stop();
    await p.writeback?.stop();
    await p.assist.stop();
    await p.archive?.stop();
    await p.configBus.stop();
    await p.peers.stop();
    await p.accounts.stop();
    await p.instances.stop();
    await p.boardRedis.quit().catch(() => p.boardRedis.disconnect());
    await p.redis.quit().catch(() => p.redis.disconnect());
    await p.mongo.close();
  }
}
