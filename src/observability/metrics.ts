import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * Everything the process reports to Prometheus (GET /metrics), in one registry per app so that tests
 * running several apps in one process keep their figures apart. Names follow Prometheus conventions:
 * `dcc_` prefix, `_total` counters, seconds for durations.
 */
export class Metrics {
  readonly registry = new Registry();

  readonly callsOffered = new Counter({ name: 'dcc_calls_offered_total', help: 'Inbound calls that arrived for a queue', labelNames: ['queue'] as const, registers: [this.registry] });
  readonly callsAnswered = new Counter({ name: 'dcc_calls_answered_total', help: 'Calls connected to an agent', labelNames: ['queue'] as const, registers: [this.registry] });
  readonly callsAbandoned = new Counter({ name: 'dcc_calls_abandoned_total', help: 'Callers who hung up before reaching an agent', labelNames: ['queue'] as const, registers: [this.registry] });
  readonly callsLost = new Counter({ name: 'dcc_calls_lost_total', help: 'Calls closed by the sweeper because the instance that ran them died or faulted', labelNames: ['phase'] as const, registers: [this.registry] });
  readonly callsRefused = new Counter({ name: 'dcc_calls_refused_total', help: 'Inbound calls refused at the door', labelNames: ['reason'] as const, registers: [this.registry] });
  readonly waitingCalls = new Gauge({ name: 'dcc_waiting_calls', help: 'Calls waiting in a queue now', labelNames: ['queue'] as const, registers: [this.registry] });
  readonly agentsByState = new Gauge({ name: 'dcc_agents', help: 'Agents by state', labelNames: ['state'] as const, registers: [this.registry] });
  readonly routingSeconds = new Histogram({
    name: 'dcc_routing_seconds',
    help: 'One matching step: the atomic reservation of a waiting call and an agent',
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25],
    registers: [this.registry],
  });
  readonly offerSeconds = new Histogram({
    name: 'dcc_offer_seconds',
    help: 'From the reservation to the offer (with screen-pop) sent to the desktop',
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });
  readonly jobQueueDepth = new Gauge({ name: 'dcc_job_queue_depth', help: 'Jobs waiting or delayed per job queue', labelNames: ['queue'] as const, registers: [this.registry] });
  readonly jobFailures = new Counter({ name: 'dcc_job_failures_total', help: 'Job attempts that failed', labelNames: ['queue'] as const, registers: [this.registry] });
  readonly dialerAbandonRate = new Gauge({ name: 'dcc_dialer_abandon_rate', help: 'Abandoned share of answered dialer calls over 30 days', labelNames: ['campaign'] as const, registers: [this.registry] });
  readonly switchConnected = new Gauge({ name: 'dcc_switch_connected', help: '1 while the telephony engine is reachable', registers: [this.registry] });
  readonly switchReconnects = new Counter({ name: 'dcc_switch_reconnects_total', help: 'Times the telephony engine came back after being lost', registers: [this.registry] });
  readonly unhandledRejections = new Counter({ name: 'dcc_unhandled_rejections_total', help: 'Promise rejections nobody handled (logged; the process carries on)', registers: [this.registry] });
  readonly callRecordWrites = new Gauge({ name: 'dcc_call_record_writes', help: 'Call record writes since the start: asked by the app, and sent to the database (fewer: writes asked while one is in flight go out together)', labelNames: ['stage'] as const, registers: [this.registry] });
  readonly leader = new Gauge({ name: 'dcc_leader', help: '1 while this instance leads the deployment (runs the sweeper, reconciler and outbox relay)', registers: [this.registry] });

  /** Figures read from their sources when Prometheus scrapes (queue lengths, agents by state, job queues). */
  private readonly scrapes: (() => Promise<void>)[] = [];

  constructor(opts: { processMetrics?: boolean } = {}) {
    if (opts.processMetrics !== false) collectDefaultMetrics({ register: this.registry, prefix: 'dcc_' });
  }

  /** Runs `read` before each scrape (it sets gauges from where the figures live). */
  onScrape(read: () => Promise<void>): void {
    this.scrapes.push(read);
  }

  /** The Prometheus text of every metric, gauges read fresh (a source that fails keeps its last value). */
  async render(): Promise<string> {
    await Promise.allSettled(this.scrapes.map((read) => read()));
    return this.registry.metrics();
  }
}
