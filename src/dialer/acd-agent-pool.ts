import type { AgentStatus } from '../agents/agent-state';
import type { AgentService } from '../agents/agent-service';
import type { Clock, TimerHandle } from '../clock/clock';
import type { AgentPool, DialLead } from './ports';

/**
 * A campaign's real agents: their states are the shared ones in Redis (the same an inbound call
 * sees), read before each pacing decision; taking an agent is the state machine's `reserve`,
 * a compare-and-set, so two instances never hand one agent two calls.
 */
export class AcdAgentPool implements AgentPool {
  private statuses = new Map<string, AgentStatus>();
  /** The call id each taken agent was reserved with. */
  private readonly reservedFor = new Map<string, string>();
  private readonly listeners = new Set<() => void>();
  private poll: TimerHandle | undefined;

  constructor(
    private readonly o: {
      campaignId: string;
      agents: AgentService;
      clock: Clock;
      usernames: () => readonly string[];
      wrapUpMs: number;
      /** A call id with a live lease, for the reservation (the reconciler then leaves it alone). */
      newCallId: () => Promise<string>;
      connect: (agentId: string, legId: string, lead: DialLead, callId: string) => Promise<void>;
    },
  ) {}

  async refresh(): Promise<void> {
    const names = this.o.usernames();
    const all = await Promise.all(names.map(async (u) => [u, await this.o.agents.get(u)] as const));
    this.statuses = new Map(all);
  }

  loggedIn(): number {
    return [...this.statuses.values()].filter((s) => s.state !== 'logged_out').length;
  }

  ready(): number {
    return [...this.statuses.values()].filter((s) => s.state === 'ready').length;
  }

  busy(): { talkingSince?: number; wrapUpUntil?: number }[] {
    const out: { talkingSince?: number; wrapUpUntil?: number }[] = [];
    for (const s of this.statuses.values()) {
      if (s.state === 'talking' || s.state === 'hold' || s.state === 'outbound' || s.state === 'ringing' || s.state === 'reserved') out.push({ talkingSince: s.since });
      else if (s.state === 'wrap_up') out.push({ wrapUpUntil: s.since + this.o.wrapUpMs });
    }
    return out;
  }

  /** The longest-idle ready agent, reserved for this campaign's call. */
  async take(): Promise<string | undefined> {
    await this.refresh();
    const ready = [...this.statuses.entries()].filter(([, s]) => s.state === 'ready').sort((a, b) => a[1].since - b[1].since);
    if (ready.length === 0) return undefined;
    const callId = await this.o.newCallId();
    for (const [u] of ready) {
      const r = await this.o.agents.apply(u, { type: 'reserve', callId });
      if (r.ok) {
        this.reservedFor.set(u, callId);
        return u;
      }
    }
    return undefined;
  }

  async release(agentId: string): Promise<void> {
    this.reservedFor.delete(agentId);
    await this.o.agents.apply(agentId, { type: 'call_gone' });
  }

  /** Watches for an agent becoming ready, a few times a second, while someone waits. */
  onReady(listener: () => void): () => void {
    this.listeners.add(listener);
    this.armPoll();
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0) this.o.clock.clearTimer(this.poll);
    };
  }

  private armPoll(): void {
    if (this.poll) return;
    this.poll = this.o.clock.setTimer(`dialer:${this.o.campaignId}:ready-watch`, 200, async () => {
      this.poll = undefined;
      if (this.listeners.size === 0) return;
      await this.refresh();
      if (this.ready() > 0) for (const l of [...this.listeners]) l();
      if (this.listeners.size > 0) this.armPoll();
    });
  }

  connect(agentId: string, legId: string, _at: number, lead: DialLead): Promise<void> {
    const callId = this.reservedFor.get(agentId) ?? '';
    this.reservedFor.delete(agentId);
    return this.o.connect(agentId, legId, lead, callId);
  }
}
