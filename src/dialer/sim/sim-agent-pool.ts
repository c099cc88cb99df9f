import type { Clock } from '../../clock/clock';
import type { Switch } from '../../telephony/switch';
import type { SeededRandom } from '../../util/random';
import type { AgentPool } from '../ports';

interface SimAgent {
  id: string;
  state: 'ready' | 'talking' | 'wrap_up';
  since: number;
  wrapUpUntil?: number;
}

/**
 * Simulated DCC agents for dialer simulations: each talks for a log-normal time (the customer hangs
 * up), then wraps up, then is ready. Accumulates talk, wrap-up and idle time for the bench.
 */
export class SimAgentPool implements AgentPool {
  private readonly agents: SimAgent[];
  private readonly listeners = new Set<() => void>();
  readonly totals = { talkMs: 0, wrapMs: 0, calls: 0 };

  constructor(
    count: number,
    private readonly o: { sw: Switch; clock: Clock; random: SeededRandom; talkMeanMs: number; talkSigma: number; wrapUpMs: number; onTalkEnded?: (talkMs: number) => void },
  ) {
    this.agents = Array.from({ length: count }, (_, i) => ({ id: `a${i + 1}`, state: 'ready', since: o.clock.now() }));
  }

  loggedIn(): number {
    return this.agents.length;
  }

  ready(): number {
    return this.agents.filter((a) => a.state === 'ready').length;
  }

  busy(): { talkingSince?: number; wrapUpUntil?: number }[] {
    return this.agents.filter((a) => a.state !== 'ready').map((a) => (a.state === 'talking' ? { talkingSince: a.since } : { wrapUpUntil: a.wrapUpUntil as number }));
  }

  async take(): Promise<string | undefined> {
    // Longest idle first.
    let best: SimAgent | undefined;
    for (const a of this.agents) if (a.state === 'ready' && (!best || a.since < best.since)) best = a;
    if (!best) return undefined;
    best.state = 'talking';
    best.since = this.o.clock.now();
    return best.id;
  }

  onReady(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async release(agentId: string): Promise<void> {
    const agent = this.agents.find((a) => a.id === agentId);
    if (agent?.state === 'talking') {
      agent.state = 'ready';
      for (const l of [...this.listeners]) l();
    }
  }

  async connect(agentId: string, legId: string, at: number): Promise<void> {
    const agent = this.agents.find((a) => a.id === agentId);
    if (!agent) throw new Error(`no agent ${agentId}`);
    const talkMs = Math.round(this.o.random.logNormal(this.o.talkMeanMs, this.o.talkSigma));
    agent.since = at;
    this.o.clock.setTimer(`sim-agent:${agentId}:talk`, talkMs, async () => {
      await this.o.sw.hangup(legId, 'normal_clearing').catch(() => undefined);
      this.totals.talkMs += talkMs;
      this.totals.calls++;
      this.o.onTalkEnded?.(talkMs);
      agent.state = 'wrap_up';
      agent.wrapUpUntil = this.o.clock.now() + this.o.wrapUpMs;
      this.o.clock.setTimer(`sim-agent:${agentId}:wrap`, this.o.wrapUpMs, () => {
        this.totals.wrapMs += this.o.wrapUpMs;
        agent.state = 'ready';
        agent.since = this.o.clock.now();
        agent.wrapUpUntil = undefined;
        for (const l of [...this.listeners]) l();
      });
    });
  }
}
