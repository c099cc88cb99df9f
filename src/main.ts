import { App } from './app';
import { resolveAuthSecret } from './auth/tokens';
import { RealClock } from './clock/clock';
import { ConfigError, loadConfig, type AppConfig } from './config/env';
import { MissingBinaryError } from './embedded/binaries';
import { ChildServiceError, type ChildService } from './embedded/child-service';
import { startEmbeddedFerretDb, startEmbeddedRedis } from './embedded/embedded-stores';
import { createLogger, type Logger } from './log';
import { seedDemoData } from './seed/demo-seed';
import { seedAssistDemo } from './assist/assist-seed';
import { FlowError } from './ivr/flow-loader';
import { PromptCatalogError } from './ivr/prompt-catalog';
import { makeSwitch, type MadeSwitch } from './telephony/make-switch';
import { Metrics } from './observability/metrics';
import { installFaultPolicy } from './process/fault-policy';
import { acquireInstanceLock, InstanceLockError } from './process/instance-lock';
import { detach } from './util/detach';
import { Leadership } from './cluster/leadership';
import { RedisHealth } from './cluster/redis-health';
import { connectRedis } from './redis/connect';

/** One line on stderr, exit non-zero: for problems a person fixes before trying again. */
function die(message: string, code = 2): never {
  process.stderr.write(`${message}\n`);
  process.exit(code);
}

async function run(config: AppConfig, log: Logger, metrics: Metrics): Promise<void> {
  const children: ChildService[] = [];
  const stopChildren = async (): Promise<void> => {
    for (const c of children.reverse()) await c.stop().catch((err: unknown) => log.error({ err, service: c.spec.name }, 'stopping embedded service failed'));
  };
  let app: App | undefined;
  let made: MadeSwitch | undefined;
  let stopping = false;
  let releaseLock = (): void => undefined;
  let leadership: Leadership | undefined;
  let closeLeadership = async (): Promise<void> => undefined;
  const shutdown = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down: no new calls, finishing calls and writes in flight');
    try {
      await closeLeadership();
      await app?.stop(config.shutdownTimeoutMs);
      await made?.close();
    } catch (err) {
      log.error({ err }, 'error while stopping the app');
    }
    await stopChildren();
    releaseLock();
    log.info('stopped');
    process.exit(0);
  };
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(signal, () => detach(shutdown(signal), log, 'shutdown failed'));
  // If whatever started us (npm, a shell) dies without passing a signal on, shut down the same way
  // rather than leave the embedded servers running with no owner.
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) detach(shutdown('parent exited'), log, 'shutdown failed');
  }, 1000).unref();

  try {
    // The embedded servers belong to one server per data folder (a second would stop them under the first).
    if (!config.redisUrl || !config.mongodbUri) releaseLock = acquireInstanceLock(config.varDir).release;
    const embedded = { varDir: config.varDir, projectRoot: config.projectRoot, binaries: config.binaries, dbBackend: config.embeddedDbBackend, log: log.child({ module: 'embedded' }) };
    let redisUrl = config.redisUrl;
    if (!redisUrl) {
      const r = await startEmbeddedRedis(embedded);
      children.push(r.service);
      redisUrl = r.url;
    }
    let mongodbUri = config.mongodbUri;
    if (!mongodbUri) {
      const f = await startEmbeddedFerretDb(embedded, 'dcc');
      children.push(...f.services);
      mongodbUri = f.uri;
    }
    if (stopping) return;
    const clock = new RealClock();
    const authSecret = resolveAuthSecret(config.auth.secret, config.varDir);
    const users = (): App | undefined => app;
    made = makeSwitch(config, {
      clock,
      log,
      redisUrl,
      redisNamespace: config.redisPrefix,
      authSecret,
      sipAccount: async (userId) => users()?.sipAccount(userId),
    });
    app = await App.create({
      redisUrl,
      mongodbUri,
      redisNamespace: config.redisPrefix,
      http: config.http,
      authSecret,
      tokenTtlMs: config.auth.tokenTtlMs,
      refreshTtlMs: config.auth.refreshTtlMs,
      loginLimits: config.auth.loginLimits,
      acd: config.acd,
      projectRoot: config.projectRoot,
      ivrDir: config.ivrDir,
      crm: config.crm,
      recordings: config.recordings,
      notReadyReasons: config.notReadyReasons,
      clock,
      sw: made.sw,
      metrics,
      metricsToken: config.metricsToken,
      sip: config.sip,
      assist: config.switch.kind === 'freeswitch' ? { vinHeader: config.switch.sources.vehicleHeader } : {},
      log,
    });
    if (config.demoSeed) await seedDemoData(app.models, clock.now(), log);
    if (config.demoSeed) {
      await seedAssistDemo(app.models, app.assist.models, config.sip.realm, clock.now());
      await app.assist.loadSites();
    }
    await app.reloadRouting(); // checks every IVR flow against the queues and stores; a bad file stops here, naming it
    log.info({ flows: app.ivr?.flows.map((f) => `${f.id} (${f.numbers.join(', ')})`) }, 'IVR flows loaded');
    const address = await app.listen();
    const url = `http://${address.address === '127.0.0.1' ? 'localhost' : address.address}:${address.port}`;
    // Every instance on one Redis takes calls and desks; one of them (holding the leader lock) also
    // runs the deployment's upkeep, and another takes it over within seconds when it is gone.
    const active = app;
    await active.activate({ lead: false });
    if (made.sw.isConnected()) log.info({ url, switch: config.switch.kind, instance: active.instanceId }, 'ready to take calls');
    else log.warn({ url, switch: config.switch.kind, parts: made.sw.parts?.() }, 'taking desks, but the switch is not connected yet: calls are taken once it is (readyz names what is missing)');
    const redisLink = connectRedis(redisUrl, 'cc-leader', log.child({ module: 'redis-leader' }));
    leadership = new Leadership(redisLink, `${config.redisPrefix}:leader`, active.instanceId, clock, new RedisHealth(redisLink, clock, 4000), { ttlMs: 3000, renewMs: 1000, log: log.child({ module: 'leadership' }) });
    closeLeadership = async () => {
      await leadership?.stop();
      await redisLink.quit().catch(() => redisLink.disconnect());
    };
    await leadership.start({
      elected: async () => {
        await active.lead();
        log.info({ instance: active.instanceId }, 'leading the deployment: sweeper, reconciler and outbox relay run here');
      },
      deposed: (holder) => {
        active.follow();
        log.warn({ holder }, 'another instance leads now; the upkeep stopped here (calls and desks carry on)');
      },
    });
  } catch (err) {
    await closeLeadership().catch(() => undefined);
    await app?.stop(1000).catch(() => undefined);
    await made?.close().catch(() => undefined);
    await stopChildren();
    releaseLock();
    if (err instanceof InstanceLockError) die(err.message, 1);
    if (err instanceof ConfigError || err instanceof MissingBinaryError || err instanceof ChildServiceError || err instanceof FlowError || err instanceof PromptCatalogError) die(err.message, 1);
    die(`start-up failed: ${(err as Error).message}`, 1);
  }
}

let config: AppConfig;
try {
  config = loadConfig();
} catch (err) {
  if (err instanceof ConfigError) die(err.message);
  throw err;
}
const rootLog = createLogger(config.logLevel, { app: 'dcc-cti' });
const metrics = new Metrics();
installFaultPolicy(rootLog, () => metrics.unhandledRejections.inc());
run(config, rootLog, metrics).catch((err: unknown) => die(`start-up failed: ${(err as Error).message}`, 1));
