import type { AgentService } from '../agents/agent-service';
import { InstanceUnreachable, type InstanceBus } from '../cluster/instance-bus';
import type { MonitorMode } from '../telephony/switch';
import { CallActionError } from './call-errors';
import type { CallCenter } from './call-center';
import type { TransferTarget } from './call-transfers';
import type { OutcomeDetails } from './dispositions';
import type { LiveCalls } from './live-calls';

/**
 * The commands desks and boards send about a call, carried out where the call runs. A call is owned
 * by the instance that took it (its live state in Redis names the owner); the desk or board may be
 * connected to any instance. A command for a call this instance runs is carried out here; for one
 * another instance owns, it is sent there (InstanceBus) and its answer — or refusal, with its code —
 * comes back. With no live owner, the local call center answers (a disposition after the call, or
 * "no such call").
 */
export class CallCommands {
  constructor(
    private readonly d: { calls: CallCenter; live: LiveCalls; agents: AgentService; bus: InstanceBus | undefined; self: string },
  ) {
    const bus = d.bus;
    if (!bus) return;
    const c = d.calls;
    // what the owner runs when another instance forwards a command (arguments as sent)
    const local: Record<CommandName, (args: never) => Promise<unknown>> = {
      accept: ([agentId, callId]: [string, string]) => c.accept(agentId, callId),
      decline: ([agentId, callId]: [string, string]) => c.decline(agentId, callId),
      hangup: ([agentId, callId]: [string, string]) => c.hangup(agentId, callId),
      hold: ([agentId, callId, on]: [string, string, boolean]) => c.hold(agentId, callId, on),
      maskRecording: ([agentId, callId, masked]: [string, string, boolean]) => c.maskRecording(agentId, callId, masked),
      transfer: ([agentId, callId, to, kind]: [string, string, TransferTarget, 'blind' | 'consult']) => c.transfer(agentId, callId, to, kind),
      completeTransfer: ([agentId, callId]: [string, string]) => c.completeTransfer(agentId, callId),
      cancelTransfer: ([agentId, callId]: [string, string]) => c.cancelTransfer(agentId, callId),
      joinTransfer: ([agentId, callId]: [string, string]) => c.joinTransfer(agentId, callId),
      extendWrapUp: ([agentId, callId, ms]: [string, string, number]) => c.extendWrapUp(agentId, callId, ms),
      leaveWrapUp: ([agentId, callId]: [string, string]) => c.leaveWrapUp(agentId, callId),
      disposition: ([agentId, callId, code, notes, details]: [string, string, string, string, OutcomeDetails]) => c.disposition(agentId, callId, code, notes, details),
      monitor: ([supervisorId, stores, callId, mode]: [string, readonly string[] | 'all', string, MonitorMode]) => c.monitor(supervisorId, stores, callId, mode),
      stopMonitor: ([supervisorId, callId]: [string, string]) => c.stopMonitor(supervisorId, callId),
    };
    for (const [name, run] of Object.entries(local)) bus.handle(`call.${name}`, (args: unknown) => run(args as never));
  }

  accept(agentId: string, callId: string): Promise<void> {
    return this.route(callId, 'accept', [agentId, callId], () => this.d.calls.accept(agentId, callId));
  }

  decline(agentId: string, callId: string): Promise<void> {
    return this.route(callId, 'decline', [agentId, callId], () => this.d.calls.decline(agentId, callId));
  }

  hangup(agentId: string, callId: string): Promise<void> {
    return this.route(callId, 'hangup', [agentId, callId], () => this.d.calls.hangup(agentId, callId));
  }

  hold(agentId: string, callId: string, on: boolean): Promise<void> {
    return this.route(callId, 'hold', [agentId, callId, on], () => this.d.calls.hold(agentId, callId, on));
  }

  maskRecording(agentId: string, callId: string, masked: boolean): Promise<void> {
    return this.route(callId, 'maskRecording', [agentId, callId, masked], () => this.d.calls.maskRecording(agentId, callId, masked));
  }

  transfer(agentId: string, callId: string, to: TransferTarget, kind: 'blind' | 'consult'): Promise<void> {
    return this.route(callId, 'transfer', [agentId, callId, to, kind], () => this.d.calls.transfer(agentId, callId, to, kind));
  }

  completeTransfer(agentId: string, callId: string): Promise<void> {
    return this.route(callId, 'completeTransfer', [agentId, callId], () => this.d.calls.completeTransfer(agentId, callId));
  }

  /** Consult: all three talk (the customer joins the agent and the target). */
  joinTransfer(agentId: string, callId: string): Promise<void> {
    return this.route(callId, 'joinTransfer', [agentId, callId], () => this.d.calls.joinTransfer(agentId, callId));
  }

  cancelTransfer(agentId: string, callId: string): Promise<void> {
    return this.route(callId, 'cancelTransfer', [agentId, callId], () => this.d.calls.cancelTransfer(agentId, callId));
  }

  extendWrapUp(agentId: string, callId: string, ms: number): Promise<number> {
    return this.route(callId, 'extendWrapUp', [agentId, callId, ms], () => this.d.calls.extendWrapUp(agentId, callId, ms));
  }

  disposition(agentId: string, callId: string, code: string, notes: string, details: OutcomeDetails = {}): Promise<void> {
    return this.route(callId, 'disposition', [agentId, callId, code, notes, details], () => this.d.calls.disposition(agentId, callId, code, notes, details));
  }

  monitor(supervisorId: string, stores: readonly string[] | 'all', callId: string, mode: MonitorMode): Promise<void> {
    return this.route(callId, 'monitor', [supervisorId, stores, callId, mode], () => this.d.calls.monitor(supervisorId, stores, callId, mode));
  }

  stopMonitor(supervisorId: string, callId: string): Promise<void> {
    return this.route(callId, 'stopMonitor', [supervisorId, callId], () => this.d.calls.stopMonitor(supervisorId, callId));
  }

  /**
   * The agent asks to go ready. During a call's wrap-up, the instance running that call decides (a
   * required outcome must be saved first) and ends the wrap-up; otherwise the state machine does.
   * Either way, the queues the agent serves are matched again.
   */
  async agentReady(agentId: string, queueIds: readonly string[]): Promise<void> {
    const status = await this.d.agents.get(agentId);
    if (status.state === 'wrap_up' && status.callId) await this.route(status.callId, 'leaveWrapUp', [agentId, status.callId], () => this.d.calls.leaveWrapUp(agentId, status.callId));
    else {
      const r = await this.d.agents.apply(agentId, { type: 'ready' });
      if (!r.ok) throw new CallActionError('state_refused', r.error);
    }
    this.d.calls.agentAvailable(queueIds);
  }

  private async route<R>(callId: string, name: CommandName, args: unknown[], here: () => Promise<R>): Promise<R> {
    const bus = this.d.bus;
    if (!bus || this.d.calls.runsHere(callId)) return here();
    const owner = (await this.d.live.get(callId))?.owner;
    if (!owner || owner === this.d.self) return here();
    try {
      return await bus.request<R>(owner, `call.${name}`, args);
    } catch (err) {
      if (err instanceof InstanceUnreachable) throw new CallActionError('unavailable', 'the server running this call does not answer; try again in a moment');
      throw err;
    }
  }
}

type CommandName = 'accept' | 'decline' | 'hangup' | 'hold' | 'maskRecording' | 'transfer' | 'completeTransfer' | 'cancelTransfer' | 'joinTransfer' | 'extendWrapUp' | 'leaveWrapUp' | 'disposition' | 'monitor' | 'stopMonitor';
