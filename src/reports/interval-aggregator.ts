import type Redis from 'ioredis';
import type { AgentStatus } from '../agents/agent-state';
import type { Logger } from '../log';
import type { Models } from '../store/models';
import { detach } from '../util/detach';
import { countCall, type FinishedCall } from './call-counts';
import type { IntervalStore } from './interval-store';

/**
 * Feeds the interval rows as calls end, from two small hooks: the call-record writer (a record that
 * says `status: ended`) and the agents' state changes (wrap-up ending, ready time, logged-in time).
 * A call an agent talked to is counted when the agent's wrap-up ends, with its after-call work and
 * every total its record gathered by then (hold, transfer); a call no agent talked to is counted
 * when its record ends. Each call is counted once (a mark per call id in MongoDB).
 */
export class IntervalAggregator {
  constructor(
    private readonly d: {
      models: Models;
      store: IntervalStore;
      redis: Redis;
      ns: string;
      /** The store of a queue or campaign queue id ("campaign:<id>"). */
      storeOf: (queueId: string | undefined) => Promise<string | undefined>;
      /** Resolves once every write queued for the call's record has landed. */
      settled: (callId: string) => Promise<void>;
      log: Logger;
    },
  ) {}

  private readySinceKey(): string {
    return `${this.d.ns}:report:ready-since`;
  }

  /** CallRecordWriter.onLanded */
  recordLanded(callId: string, fields: object): void {
    if ((fields as { status?: string }).status !== 'ended') return;
    detach(this.countEnded(callId), this.d.log, 'interval rows not counted', { callId });
  }

  /** AgentService.observe */
  agentChanged(agentId: string, previous: AgentStatus, next: AgentStatus, at: number): void {
    detach(this.countAgent(agentId, previous, next, at), this.d.log, 'agent interval time not counted', { agentId });
  }

  private async countEnded(callId: string): Promise<void> {
    const record = await this.d.models.CallRecord.findById(callId).lean();
    if (!record) return;
    const talked = record.agentUsername && record.connectedAt && record.outcome !== 'lost';
    if (talked) return; // counted when the agent's wrap-up ends, with its after-call work
    await this.count(callId, record as FinishedCall, 0);
  }

  private async count(callId: string, record: FinishedCall, acwMs: number): Promise<void> {
    const storeId = await this.d.storeOf(record.queueId ?? undefined);
    const c = countCall(record, acwMs, storeId);
    if (!c) return;
    if (!(await this.d.store.firstTime(`${callId}:call`, c.at))) return;
    await this.d.store.add(c.at, c.rows, c.inc);
  }

  private async countAgent(agentId: string, previous: AgentStatus, next: AgentStatus, at: number): Promise<void> {
    const rows = [{ dim: 'agent' as const, key: agentId }];
    // a reservation moves the agent from ready to reserved in one Redis script, outside this hook:
    // the ready time before it is taken from when the agent became ready
    let idleMs = 0;
    let staffedMs = previous.state !== 'logged_out' && previous.since > 0 ? at - previous.since : 0;
    if (previous.state === 'ready') idleMs = at - previous.since;
    const readySince = await this.d.redis.hget(this.readySinceKey(), agentId);
    if (previous.state !== 'ready' && readySince !== null && previous.since > Number(readySince)) {
      idleMs += previous.since - Number(readySince);
      staffedMs += previous.since - Number(readySince);
    }
    if (next.state === 'ready') await this.d.redis.hset(this.readySinceKey(), agentId, String(at));
    else if (readySince !== null) await this.d.redis.hdel(this.readySinceKey(), agentId);
    if (idleMs > 0 || staffedMs > 0) await this.d.store.add(at, rows, { idleMs: Math.max(0, idleMs), staffedMs: Math.max(0, staffedMs) });

    if (previous.state === 'wrap_up' && previous.callId) {
      const callId = previous.callId;
      await this.d.settled(callId);
      const record = await this.d.models.CallRecord.findById(callId).lean();
      if (record?.status === 'ended') await this.count(callId, record as FinishedCall, Math.max(0, at - previous.since));
    }
  }
}
