import type { Logger } from '../log';
import type { QueueStore, Reservation } from './queue-store';

export interface Match extends Reservation {
  queueId: string;
  /** When the reservation was taken (clock time): the offer latency counts from here. */
  reservedAt: number;
}

/**
 * Matches waiting calls with ready agents, one queue at a time. Requests for a queue that is
 * being matched are coalesced into one more pass, so a burst of events costs a few Redis calls.
 */
export class Dispatcher {
  private readonly running = new Map<string, Promise<void>>();
  private readonly again = new Set<string>();
  /** Offers being made: not waited for by the matching loop (each reservation is already atomic). */
  private readonly offering = new Set<Promise<void>>();

  constructor(
    private readonly queues: QueueStore,
    private readonly now: () => number,
    private readonly reservationTtlMs: (queueId: string) => number,
    private readonly onMatch: (m: Match) => Promise<void>,
    private readonly log: Logger,
    /** How long each atomic reservation took (seconds), for the routing latency histogram. */
    private readonly observeReserve: (seconds: number) => void = () => undefined,
  ) {}

  request(queueId: string): void {
    if (this.running.has(queueId)) {
      this.again.add(queueId);
      return;
    }
    const run = this.drain(queueId).finally(() => {
      this.running.delete(queueId);
      if (this.again.delete(queueId)) this.request(queueId);
    });
    this.running.set(queueId, run);
  }

  /** Settles when no matching pass is running. */
  async idle(): Promise<void> {
    while (this.running.size > 0 || this.offering.size > 0) await Promise.allSettled([...this.running.values(), ...this.offering]);
  }

  private async drain(queueId: string): Promise<void> {
    try {
      for (;;) {
        const started = process.hrtime.bigint();
        const m = await this.queues.reserve(queueId, this.now(), this.reservationTtlMs(queueId));
        this.observeReserve(Number(process.hrtime.bigint() - started) / 1e9);
        if (!m) return;
        const offer: Promise<void> = this.onMatch({ queueId, reservedAt: this.now(), ...m })
          .catch((err: unknown) => this.log.error({ err, queueId, callId: m.callId }, 'offer failed'))
          .then(() => void this.offering.delete(offer));
        this.offering.add(offer);
      }
    } catch (err) {
      this.log.error({ err, queueId }, 'dispatch failed');
    }
  }
}
