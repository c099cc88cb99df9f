import type { CrmOutcomeEvent, OutboxNudge, OutcomeSink } from '../calls/dispositions';
import type { Clock, TimerHandle } from '../clock/clock';
import type { Logger } from '../log';
import type { Models } from '../store/models';

/**
 * Hands stored outcomes to the CRM write-back queue: each disposition carries its outbox entry, and
 * the relay enqueues the pending ones (the job id is the call id, so a second enqueue of the same
 * outcome — after a crash between the two steps — is a no-op) and marks them sent. It runs on the
 * active instance, when nudged after each disposition and every `everyMs` for anything left behind.
 */
export class OutboxRelay implements OutboxNudge {
  private timer: TimerHandle | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private active = false;

  constructor(private readonly d: { models: Models; sink: OutcomeSink; clock: Clock; everyMs: number; log: Logger }) {}

  start(): void {
    this.active = true;
    this.nudge();
    this.arm();
  }

  stop(): void {
    this.active = false;
    this.d.clock.clearTimer(this.timer);
  }

  /** Relay now (coalesced with a pass already running). */
  nudge(): void {
    if (!this.active) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.runOnce()
      .then(
        () => undefined,
        (err: unknown) => this.d.log.error({ err }, 'outbox relay pass failed; the next one retries'),
      )
      .finally(() => {
        this.running = undefined;
        if (this.again) {
          this.again = false;
          this.nudge();
        }
      });
  }

  /** Settles when no pass is running (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  /** One pass over the pending outbox entries; returns how many were handed over. */
  async runOnce(): Promise<number> {
    const { Disposition } = this.d.models;
    const pending = await Disposition.find({ 'outbox.state': 'pending' }, { outbox: 1 }).limit(200).lean();
    for (const p of pending) {
      const event = p.outbox?.event as CrmOutcomeEvent | undefined;
      if (event) await this.d.sink.enqueue(event);
      await Disposition.updateOne({ _id: p._id, 'outbox.state': 'pending' }, { $set: { 'outbox.state': 'sent', 'outbox.sentAt': new Date(this.d.clock.now()) } });
    }
    return pending.length;
  }

  private arm(): void {
    if (!this.active) return;
    this.timer = this.d.clock.setTimer('outbox-relay', this.d.everyMs, () => {
      this.nudge();
      this.arm();
    });
  }
}
