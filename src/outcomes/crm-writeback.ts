import { quietErrors } from '../util/quiet-errors';
import { Queue, Worker, type Job } from 'bullmq';
import type IORedis from 'ioredis';
import { newRedis } from '../redis/connect';
import type { CrmOutcomeEvent, OutcomeSink } from '../calls/dispositions';
import type { Logger } from '../log';
import { attemptsToCover, retryDelayMs, type BackoffOptions } from '../util/backoff';
import { CrmRejectedError, type CrmClient } from './crm-http-client';

export interface CrmWritebackOptions {
  redisUrl: string;
  /** Key prefix of this deployment (BullMQ keys and the dead-letter list live under it). */
  prefix: string;
  client: CrmClient;
  backoff: BackoffOptions;
  /** Keep retrying an outcome for at least this long (a CRM down this long loses nothing). */
  surviveMs: number;
  concurrency?: number;
  /** An attempt failed (it is retried or dead-lettered): for the job failure count. */
  onAttemptFailed?: () => void;
  log: Logger;
}

export interface DeadLetter {
  outcome: CrmOutcomeEvent;
  error: string;
  attempts: number;
  failedAt: string;
}

const QUEUE = 'crm-outcomes';

/**
 * Outcomes to the CRM through a Redis job queue (BullMQ): one job per call (the job id is derived
 * from the call id, so recording twice queues once), retried with capped exponential backoff for
 * `surviveMs`, each attempt carrying the call id as Idempotency-Key; a refused or expired outcome
 * goes to a dead-letter list (a plain Redis list, readable with LRANGE) that can be replayed.
 * State is in Redis only: a restart resumes where it stopped.
 */
export class CrmWriteback implements OutcomeSink {
  private readonly queueConn: IORedis;
  private readonly workerConn: IORedis;
  private readonly queue: Queue<CrmOutcomeEvent>;
  private worker: Worker<CrmOutcomeEvent> | undefined;
  private readonly attempts: number;

  constructor(private readonly o: CrmWritebackOptions) {
    this.queueConn = newRedis(o.redisUrl, { maxRetriesPerRequest: null, lazyConnect: false });
    this.workerConn = newRedis(o.redisUrl, { maxRetriesPerRequest: null });
    this.queue = new Queue<CrmOutcomeEvent>(QUEUE, { connection: this.queueConn, prefix: o.prefix });
    this.attempts = attemptsToCover(o.surviveMs, o.backoff);
  }

  get deadLetterKey(): string {
    return `${this.o.prefix}:${QUEUE}:dead`;
  }

  start(): void {
    this.worker = new Worker<CrmOutcomeEvent>(QUEUE, (job) => this.process(job), {
      connection: this.workerConn,
      prefix: this.o.prefix,
      concurrency: this.o.concurrency ?? 4,
      settings: { backoffStrategy: (attemptsMade: number) => retryDelayMs(attemptsMade, this.o.backoff, Math.random) },
    });
    this.worker.on('error', quietErrors(this.o.log, 'CRM write-back worker error'));
    this.worker.on('failed', () => this.o.onAttemptFailed?.());
  }

  /** Queues an outcome for the CRM; a second call for the same call id is a no-op. */
  async enqueue(outcome: CrmOutcomeEvent): Promise<void> {
    await this.queue.add('outcome', outcome, {
      jobId: `outcome-${outcome.callId}`,
      attempts: this.attempts,
      backoff: { type: 'custom' },
      // Completed jobs are kept a week so that the job id keeps deduplicating late duplicates.
      removeOnComplete: { age: 7 * 86_400, count: 100_000 },
      removeOnFail: { age: 7 * 86_400 },
    });
  }

  private async process(job: Job<CrmOutcomeEvent>): Promise<void> {
    const outcome = job.data;
    try {
      await this.o.client.deliver(outcome, outcome.callId);
      if (job.attemptsMade > 0) this.o.log.info({ callId: outcome.callId, attempts: job.attemptsMade + 1 }, 'outcome delivered to the CRM after retries');
    } catch (err) {
      const last = job.attemptsMade + 1 >= this.attempts;
      if (err instanceof CrmRejectedError || last) {
        await this.deadLetter(outcome, (err as Error).message, job.attemptsMade + 1);
        return; // handled: the job is done, the outcome waits in the dead-letter list
      }
      throw err; // retried by BullMQ after the backoff
    }
  }

  private async deadLetter(outcome: CrmOutcomeEvent, error: string, attempts: number): Promise<void> {
    const entry: DeadLetter = { outcome, error, attempts, failedAt: new Date().toISOString() };
    await this.queueConn.rpush(this.deadLetterKey, JSON.stringify(entry));
    this.o.log.error({ callId: outcome.callId, error, attempts }, 'CRM outcome dead-lettered');
  }

  async deadLetters(limit = 100): Promise<DeadLetter[]> {
    const raw = await this.queueConn.lrange(this.deadLetterKey, 0, limit - 1);
    return raw.map((r) => JSON.parse(r) as DeadLetter);
  }

  /** Puts every dead-lettered outcome back in the queue (same Idempotency-Key); returns how many. */
  async replayDeadLetters(): Promise<number> {
    let n = 0;
    for (;;) {
      const raw = await this.queueConn.lpop(this.deadLetterKey);
      if (!raw) return n;
      const { outcome } = JSON.parse(raw) as DeadLetter;
      await this.queue.add('outcome', outcome, { jobId: `outcome-${outcome.callId}-replay-${Date.now()}-${n}`, attempts: this.attempts, backoff: { type: 'custom' }, removeOnComplete: { age: 7 * 86_400 } });
      n++;
    }
  }

  async counts(): Promise<Record<'waiting' | 'delayed' | 'active' | 'completed' | 'failed' | 'dead', number>> {
    const c = await this.queue.getJobCounts('waiting', 'delayed', 'active', 'completed', 'failed');
    return { waiting: c.waiting ?? 0, delayed: c.delayed ?? 0, active: c.active ?? 0, completed: c.completed ?? 0, failed: c.failed ?? 0, dead: await this.queueConn.llen(this.deadLetterKey) };
  }

  async stop(): Promise<void> {
    await this.worker?.close();
    await this.queue.close();
    await Promise.allSettled([this.queueConn.quit(), this.workerConn.quit()]);
  }
}
