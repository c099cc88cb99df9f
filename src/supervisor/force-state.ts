import type { Model } from 'mongoose';
import type { AgentService } from '../agents/agent-service';
import { CallActionError } from '../calls/call-errors';
import type { Logger } from '../log';
import type { ForceAction } from '../shared/board-events';
import type { Models } from '../store/models';
import type { AuditEntry } from './audit-log';

/**
 * A supervisor moves an agent of their stores to ready, not ready (with the reason) or logged out.
 * Every attempt is written to the audit log, done or refused. A forced ready during an after-call
 * work goes through the call's owner (a required outcome still must be saved first).
 */
export class ForceState {
  constructor(
    private readonly d: {
      models: Models;
      audit: Model<AuditEntry>;
      agents: AgentService;
      /** The desk's own ready (CallCommands.agentReady): routed to the call's instance during wrap-up. */
      ready: (agentId: string, queueIds: readonly string[]) => Promise<void>;
      now: () => number;
      log: Logger;
    },
  ) {}

  async force(actor: string, stores: readonly string[] | 'all', agentId: string, action: ForceAction, reason: string): Promise<void> {
    const agent = await this.d.models.User.findOne({ username: agentId }, { storeIds: 1, queueIds: 1 }).lean();
    if (!agent || (stores !== 'all' && !agent.storeIds.some((s) => stores.includes(s)))) throw new CallActionError('not_found', `no agent ${agentId} in your stores`);
    let outcome = 'done';
    try {
      if (action === 'ready') await this.d.ready(agentId, agent.queueIds);
      else {
        const r = await this.d.agents.apply(agentId, action === 'logout' ? { type: 'logout' } : { type: 'not_ready', reason });
        if (!r.ok) throw new CallActionError('state_refused', r.error);
      }
    } catch (err) {
      outcome = err instanceof CallActionError ? `refused: ${err.code}: ${err.message}` : 'failed';
      throw err;
    } finally {
      await this.d.audit.create({ at: new Date(this.d.now()), actor, action: `agent.force_${action}`, target: agentId, storeIds: agent.storeIds, reason, outcome });
      this.d.log.info({ actor, agentId, action, reason, outcome }, 'agent state forced by a supervisor');
    }
  }
}
