import type { Clock, TimerHandle } from '../clock/clock';
import type { Logger } from '../log';
import type { AgentService } from './agent-service';
import type { AgentStore } from './agent-store';
import type { Leases } from './leases';
import { correction } from './reconcile';

export interface ReconcilerOptions {
  intervalMs: number;
  /** After-call work of a call nobody runs any more ends after this long. */
  orphanWrapUpMs: number;
  /** Leases read right after a Redis outage prove nothing: no pass until Redis has been up a while. */
  health: { settled(): boolean };
  /** A call the sweeper has not closed yet: its agents are the sweeper's to free (it tells their desks why). */
  unswept(callId: string): Promise<boolean>;
}

/**
 * Keeps agent states true, on every app instance (corrections go through the state machine's
 * version check, so two instances correcting at once do no harm): an agent held by a call that
 * no instance runs any more, or whose desktop has been gone past the grace period, is corrected
 * on the next pass.
 */
export class Reconciler {
  private timer: TimerHandle | undefined;
  private running = false;

  constructor(
    private readonly store: AgentStore,
    private readonly agents: AgentService,
    private readonly leases: Leases,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly options: ReconcilerOptions,
  ) {}

  start(): void {
    this.running = true;
    this.arm();
  }

  stop(): void {
    this.running = false;
    this.clock.clearTimer(this.timer);
  }

  /** One pass over every known agent; returns how many were corrected. */
  async runOnce(): Promise<number> {
    if (!this.options.health.settled()) return 0;
    const now = this.clock.now();
    let corrected = 0;
    for (const [agentId, status] of await this.store.listStatuses()) {
      if (status.state === 'logged_out') continue;
      const [callLive, present] = await Promise.all([
        status.callId ? this.callLive(status.callId, now) : Promise.resolve(false),
        this.leases.alive('presence', agentId, now),
      ]);
      const fix = correction(status, { callLive, present, inStateMs: now - status.since, orphanWrapUpMs: this.options.orphanWrapUpMs });
      if (!fix) continue;
      const r = await this.agents.apply(agentId, fix, status.callId || undefined);
      if (r.ok) {
        corrected++;
        this.log.warn({ agentId, was: status.state, callId: status.callId || undefined, now: r.status.state, callLive, present }, 'agent state corrected');
      }
    }
    return corrected;
  }

  private async callLive(callId: string, now: number): Promise<boolean> {
    return (await this.leases.alive('calls', callId, now)) || (await this.options.unswept(callId));
  }

  private arm(): void {
    if (!this.running) return;
    this.timer = this.clock.setTimer('reconciler', this.options.intervalMs, async () => {
      try {
        await this.runOnce();
        await Promise.all([this.leases.sweep('calls', this.clock.now() - 60_000), this.leases.sweep('presence', this.clock.now() - 60_000)]);
      } catch (err) {
        this.log.error({ err }, 'reconciler pass failed');
      }
      this.arm();
    });
  }
}
