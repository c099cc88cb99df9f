import type { QueueConfig } from '../acd/queue-directory';
import type { InflightWrites } from '../lifecycle/inflight';
import type { Logger } from '../log';
import { DEFAULT_SL } from '../shared/contact-metrics';
import { detach } from '../util/detach';
import type { BoardCounters } from './board-counters';

/** What a call session tells the live board as it goes: off the call's path, failures logged. */
export interface CallTally {
  answered(queue: QueueConfig, waitMs: number, at: number): void;
  abandoned(queue: QueueConfig, waitMs: number, at: number): void;
  /** Left the queue without an agent (overflow, voicemail). */
  leftQueue(queue: QueueConfig, at: number): void;
  handled(queue: QueueConfig, t: { talkMs: number; holdMs: number; acwMs: number }, at: number): void;
  /** Something the board shows changed (a call entered a queue). */
  changed(): void;
}

export class BoardCallTally implements CallTally {
  constructor(
    private readonly counters: BoardCounters,
    private readonly inflight: InflightWrites,
    private readonly log: Logger,
  ) {}

  answered(queue: QueueConfig, waitMs: number, at: number): void {
    this.run(this.counters.answered(queue.queueId, queue.serviceLevel ?? DEFAULT_SL, waitMs, at), queue.queueId);
  }

  abandoned(queue: QueueConfig, waitMs: number, at: number): void {
    this.run(this.counters.abandoned(queue.queueId, queue.serviceLevel ?? DEFAULT_SL, waitMs, at), queue.queueId);
  }

  leftQueue(queue: QueueConfig, at: number): void {
    this.run(this.counters.leftQueue(queue.queueId, at), queue.queueId);
  }

  handled(queue: QueueConfig, t: { talkMs: number; holdMs: number; acwMs: number }, at: number): void {
    this.run(this.counters.handled(queue.queueId, t, at), queue.queueId);
  }

  changed(): void {
    this.run(this.counters.changed(), undefined);
  }

  private run(work: Promise<void>, queueId: string | undefined): void {
    detach(this.inflight.track(work), this.log, 'board counter not updated', { queueId });
  }
}
