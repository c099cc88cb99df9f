import { randomUUID } from 'node:crypto';
import { Queue, Worker, type Job } from 'bullmq';
import type IORedis from 'ioredis';
import type { Logger } from '../log';
import { newRedis } from '../redis/connect';
import type { AssistPushState } from '../shared/assist';
import { attemptsToCover, retryDelayMs, type BackoffOptions } from '../util/backoff';

/** A destination for the car's navigation, pushed through the telematics provider. */
export interface DestinationJob {
  pushId: string;
  vin: string;
  label: string;
  address: string;
  lat: number;
  lon: number;
  /** Who pushed it (their desk is told the outcome) and on which call. */
  by: string;
  callId: string | null;
}

export type PushState = AssistPushState;

/** The telematics provider: a webhook (POST {url}/vehicles/{vin}/destinations), or log-only when none is configured. */
export interface TelematicsProvider {
  pushDestination(job: DestinationJob): Promise<void>;
}

export class HttpTelematics implements TelematicsProvider {
  constructor(private readonly o: { url: string; token: string | undefined; timeoutMs: number }) {}

  async pushDestination(job: DestinationJob): Promise<void> {
    const res = await fetch(`${this.o.url.replace(/\/$/, '')}/vehicles/${job.vin}/destinations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': job.pushId, ...(this.o.token ? { authorization: `Bearer ${this.o.token}` } : {}) },
      body: JSON.stringify({ label: job.label, address: job.address, lat: job.lat, lon: job.lon }),
      signal: AbortSignal.timeout(this.o.timeoutMs),
    });
    if (!res.ok) throw new Error(`telematics provider answered ${res.status}`);
  }
}

export class LogOnlyTelematics implements TelematicsProvider {
  constructor(private readonly log: Logger) {}

  pushDestination(job: DestinationJob): Promise<void> {
    this.log.info({ vin: job.vin, pushId: job.pushId, label: job.label, callId: job.callId }, 'destination push (log-only provider: ASSIST_PROVIDER_URL not set)');
    return Promise.resolve();
  }
}

const QUEUE = 'assist-destinations';

/**
 * Destination pushes through a Redis job queue (BullMQ): retried with capped exponential backoff
 * while the provider is down (for `surviveMs`), each attempt with the push id as Idempotency-Key;
 * every change of state is told to whoever pushed it. State lives in Redis: a restart resumes.
 */
export class DestinationPush {
  private readonly queueConn: IORedis;
  private readonly workerConn: IORedis;
  private readonly queue: Queue<DestinationJob>;
  private worker: Worker<DestinationJob> | undefined;
  private readonly attempts: number;

  constructor(
    private readonly o: {
      redisUrl: string;
      prefix: string;
      provider: TelematicsProvider;
      backoff: BackoffOptions;
      surviveMs: number;
      onState: (job: DestinationJob, state: PushState) => void;
      log: Logger;
    },
  ) {
    this.queueConn = newRedis(o.redisUrl, { maxRetriesPerRequest: null, lazyConnect: false });
    this.workerConn = newRedis(o.redisUrl, { maxRetriesPerRequest: null });
    this.queue = new Queue<DestinationJob>(QUEUE, { connection: this.queueConn, prefix: o.prefix });
    this.attempts = attemptsToCover(o.surviveMs, o.backoff);
  }

  start(): void {
    if (this.worker) return;
    this.worker = new Worker<DestinationJob>(QUEUE, (job) => this.process(job), {
      connection: this.workerConn,
      prefix: this.o.prefix,
      concurrency: 4,
      settings: { backoffStrategy: (attemptsMade: number) => retryDelayMs(attemptsMade, this.o.backoff, Math.random) },
    });
    this.worker.on('error', (err) => this.o.log.warn({ err }, 'destination push worker error'));
  }

  async push(d: Omit<DestinationJob, 'pushId'>): Promise<string> {
    const job: DestinationJob = { ...d, pushId: randomUUID() };
    await this.queue.add('destination', job, { jobId: job.pushId, attempts: this.attempts, backoff: { type: 'custom' }, removeOnComplete: { age: 86_400 }, removeOnFail: { age: 7 * 86_400 } });
    this.o.onState(job, { pushId: job.pushId, vin: job.vin, label: job.label, state: 'queued', attempts: 0 });
    return job.pushId;
  }

  private async process(job: Job<DestinationJob>): Promise<void> {
    const d = job.data;
    const attempt = job.attemptsMade + 1;
    try {
      await this.o.provider.pushDestination(d);
      this.o.onState(d, { pushId: d.pushId, vin: d.vin, label: d.label, state: 'delivered', attempts: attempt });
    } catch (err) {
      const error = (err as Error).message;
      const last = attempt >= this.attempts;
      this.o.log.warn({ vin: d.vin, pushId: d.pushId, callId: d.callId, attempt, error }, last ? 'destination push given up' : 'destination push failed; retrying');
      this.o.onState(d, { pushId: d.pushId, vin: d.vin, label: d.label, state: last ? 'failed' : 'retrying', attempts: attempt, error });
      throw err;
    }
  }

  async stop(): Promise<void> {
    await this.worker?.close();
    await this.queue.close();
    await Promise.allSettled([this.queueConn.quit(), this.workerConn.quit()]);
  }
}
