import type { QueueStore } from '../acd/queue-store';
import type { AgentChannel } from '../agents/agent-channel';
import type { AgentService } from '../agents/agent-service';
import type { Leases } from '../agents/leases';
import type { Clock, TimerHandle } from '../clock/clock';
import type { Instances } from '../cluster/instances';
import type { RedisHealth } from '../cluster/redis-health';
import type { Logger } from '../log';
import type { Metrics } from '../observability/metrics';
import type { CallRecordWriter } from './call-record-writer';
import type { LiveCalls, LiveCallState } from './live-calls';

export interface SweeperDeps {
  live: LiveCalls;
  instances: Instances;
  health: RedisHealth;
  queues: QueueStore;
  agents: AgentService;
  leases: Leases;
  records: CallRecordWriter;
  channel: AgentChannel;
  clock: Clock;
  metrics: Metrics;
  log: Logger;
  /** This instance (the sweeper claims a call for it before closing it). */
  owner: string;
  /** True while this instance runs (or is finishing) the call. */
  runsHere(callId: string): boolean;
  /** Carries a queued callback on here; false when it cannot be (its queue is gone). */
  resumeCallback(callId: string, state: LiveCallState): Promise<boolean>;
  /** What the agent may record for a call of this queue (or `campaign:<id>`), and their wrap-up time. */
  wrapUpFor(queueId: string | undefined): Promise<{ dispositionCodes: string[]; wrapUpMs: number }>;
  everyMs: number;
}

/** What a lost call's record is closed with. */
export function lostRecord(state: LiveCallState, now: number, cause: 'instance_lost' | 'session_failed'): Record<string, unknown> {
  const fields: Record<string, unknown> = { status: 'ended', outcome: 'lost', lostPhase: state.phase, endedAt: new Date(now), endedBy: 'system', endCause: cause };
  if (state.connectedAt) fields.talkMs = now - state.connectedAt;
  else if (state.enqueuedAt) fields.waitMs = now - state.enqueuedAt;
  if (state.agentId && state.connectedAt) fields.agentUsername = state.agentId;
  return fields;
}

/**
 * The leader's sweeper: finds live calls whose owner died (its heartbeat ran out) or gave them up (a
 * failed session, the watchdog), takes each over in Redis (one sweeper acts on a call), and closes it
 * properly: the record ends with outcome `lost` and the phase it was in; the queue entry, the call
 * hash and the queue's active count are cleaned; agents on it are freed (an agent who was talking
 * goes to wrap-up and can still record the outcome); a queued callback is carried on instead.
 */
export class CallSweeper {
  private timer: TimerHandle | undefined;
  private running = false;

  constructor(private readonly d: SweeperDeps) {}

  start(): void {
    this.running = true;
    this.arm();
  }

  stop(): void {
    this.running = false;
    this.d.clock.clearTimer(this.timer);
  }

  private arm(): void {
    if (!this.running) return;
    this.timer = this.d.clock.setTimer('sweeper', this.d.everyMs, async () => {
      try {
        await this.runOnce();
      } catch (err) {
        this.d.log.error({ err }, 'sweeper pass failed');
      }
      this.arm();
    });
  }

  /** One pass; returns how many calls it took over. */
  async runOnce(): Promise<number> {
    if (!this.d.health.settled()) return 0; // expiries read right after a Redis outage prove nothing
    const all = await this.d.live.all();
    if (all.size === 0) return 0;
    const dead = await this.d.instances.dead([...all.values()].map((s) => s.owner).filter((o) => o !== this.d.owner));
    let swept = 0;
    for (const [callId, state] of all) {
      const orphan = state.owner === this.d.owner ? !this.d.runsHere(callId) : dead.has(state.owner);
      if (!orphan && state.faulted !== '1') continue;
      if (!(await this.d.live.claim(callId, state.owner, this.d.owner))) continue;
      try {
        await this.sweep(callId, state, state.faulted === '1' ? 'session_failed' : 'instance_lost');
        swept++;
      } catch (err) {
        this.d.log.error({ err, callId }, 'closing a lost call failed; the next pass tries again');
        await this.d.live.set(callId, { faulted: '1' }).catch(() => undefined);
      }
    }
    return swept;
  }

  private async sweep(callId: string, state: LiveCallState, cause: 'instance_lost' | 'session_failed'): Promise<void> {
    const log = this.d.log.child({ callId, phase: state.phase, owner: state.owner });
    const now = this.d.clock.now();
    if (state.callbackNumber && !state.connectedAt && ['callback_waiting', 'offered', 'connecting', 'queued'].includes(state.phase)) {
      await this.freeAgents(callId, state, now, false);
      if (await this.d.resumeCallback(callId, state)) {
        log.warn('queued callback taken over from an instance that is gone');
        return;
      }
    }
    if (state.phase !== 'wrap_up') await this.d.records.write(callId, lostRecord(state, now, cause));
    if (state.direction === 'inbound' && state.queueId) await this.d.queues.remove(callId, state.queueId);
    if (state.countedActive === '1' && state.queueId) await this.d.queues.recordActive(state.queueId, -1, state.connectedAt ? now - state.connectedAt : undefined, this.d.live.keyOf(callId));
    await this.freeAgents(callId, state, now, true);
    await this.d.leases.release('calls', callId);
    await this.d.live.forget(callId);
    this.d.metrics.callsLost.inc({ phase: state.phase });
    log.warn({ cause }, state.phase === 'wrap_up' ? 'call in wrap-up left by a lost instance: cleaned up' : 'lost call closed');
  }

  /**
   * Offered agents go back to ready; an agent whose phone was being connected or who was talking goes
   * to wrap-up (told so, to record the outcome); each only while still on this very call.
   */
  private async freeAgents(callId: string, state: LiveCallState, now: number, talkingToWrapUp: boolean): Promise<void> {
    const offered = (state.offeredTo ?? '').split(',').filter((a) => a && a !== state.agentId);
    for (const a of offered) await this.d.agents.apply(a, { type: 'call_gone' }, callId);
    const agentId = state.agentId;
    if (!agentId) return;
    const gone = await this.d.agents.apply(agentId, { type: 'call_gone' }, callId);
    if (gone.ok || !talkingToWrapUp) return;
    const ended = await this.d.agents.apply(agentId, { type: 'call_ended' }, callId);
    if (!ended.ok) return;
    const { dispositionCodes, wrapUpMs } = await this.d.wrapUpFor(state.queueId);
    this.d.channel.ended(agentId, { callId, endedBy: 'system', cause: 'lost', talkMs: state.connectedAt ? now - state.connectedAt : 0, wrapUpUntil: now + wrapUpMs, dispositionCodes });
  }
}
