import type { Logger } from '../log';
import type { AgentChannel } from './agent-channel';
import type { AgentEvent, AgentStatus } from './agent-state';
import type { AgentSkill, AgentStore, ApplyResult } from './agent-store';

export type AgentTransitionObserver = (agentId: string, previous: AgentStatus, next: AgentStatus, at: number) => void;

/** Applies agent events and tells the agent's desktop about every change. */
export class AgentService {
  private readonly transitionObservers: AgentTransitionObserver[] = [];

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
      if (result.status.state !== result.previous.state) for (const o of this.transitionObservers) o(agentId, result.previous, result.status, this.now());
    } else if (!result.ok) {
      this.log.debug({ agentId, event: event.type, error: result.error }, 'agent event refused');
    }
    return result;
  }

  /** Told of every change of state made through apply, with the state before (the interval reports count idle, staffed and after-call time). */
  onTransition(fn: AgentTransitionObserver): void {
    this.transitionObservers.push(fn);
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
