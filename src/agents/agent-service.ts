import type { Logger } from '../log';
import type { AgentChannel } from './agent-channel';
import type { AgentEvent, AgentStatus } from './agent-state';
import type { AgentSkill, AgentStore, ApplyResult } from './agent-store';

/** Applies agent events and tells the agent's desktop about every change. */
export class AgentService {
  constructor(
    private readonly store: AgentStore,
    private readonly channel: AgentChannel,
    private readonly now: () => number,
    private readonly log: Logger,
    /** Told of every change too (the live board's time-in-state counters). */
    private readonly observe: (agentId: string, status: AgentStatus) => void = () => undefined,
  ) {}

  /** Applies an event; with `onlyForCall`, only while the agent is still on that call. */
  async apply(agentId: string, event: AgentEvent, onlyForCall?: string): Promise<ApplyResult> {
    const result = await this.store.apply(agentId, event, this.now(), onlyForCall);
    if (result.ok && result.status !== result.previous) {
      this.log.debug({ agentId, event: event.type, from: result.previous.state, to: result.status.state }, 'agent state');
      this.channel.state(agentId, result.status);
      this.observe(agentId, result.status);
    } else if (!result.ok) {
      this.log.debug({ agentId, event: event.type, error: result.error }, 'agent event refused');
    }
    return result;
  }

  /** Pushes the stored status to the desktop (after a change made outside apply, e.g. the atomic reservation). */
  async announce(agentId: string): Promise<void> {
    const status = await this.store.get(agentId);
    this.channel.state(agentId, status);
    this.observe(agentId, status);
  }

  get(agentId: string) {
    return this.store.get(agentId);
  }

  setProfile(agentId: string, queueIds: readonly string[], skills: readonly AgentSkill[]) {
    return this.store.setProfile(agentId, queueIds, skills);
  }

  countCall(agentId: string) {
    return this.store.countCall(agentId);
  }
}
