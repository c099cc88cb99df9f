import type { Namespace, Server, Socket } from 'socket.io';
import type { AgentChannel, AppointmentNotice, CallEndedNotice, OutboundPop, TransferState } from '../agents/agent-channel';
import type { AgentService } from '../agents/agent-service';
import type { AgentStatus } from '../agents/agent-state';
import type { Leases } from '../agents/leases';
import type { Clock, TimerHandle } from '../clock/clock';
import type { TokenSigner } from '../auth/tokens';
import type { Role } from '../store/models';
import type { InCarPop } from '../shared/assist';
import type { CallCommands } from '../calls/call-commands';
import { CallActionError } from '../calls/inbound-call';
import type { CampaignRunner } from '../dialer/campaign-runner';
import type { CustomerCard, ScreenPop } from '../crm/screen-pop';
import type { Logger } from '../log';
import { bindCommands } from './socket-commands';
import { agentCommands } from '../shared/agent-events';
import { refusal } from './refusal';
import { detach } from '../util/detach';
import type { Models } from '../store/models';

/** Hooks for where the agent's phone lives (the simulated switch registers a softphone here). */
export interface AgentPresence {
  online(agentId: string): void;
  offline(agentId: string): void;
}


const CALL_TAKING_ROLES: ReadonlySet<Role> = new Set(['agent', 'sales_consultant', 'supervisor']);

interface SocketData {
  agentId: string;
  queueIds: string[];
  skills: { skill: string; level: number }[];
}

/** The agent desktop's live connection: socket.io namespace /agent, one room per agent. */
export interface PresenceOptions {
  /** How long an agent's desktop may be gone before the reconciler logs the agent out. */
  graceMs: number;
  heartbeatMs: number;
  /** Reasons an agent may give for not ready (configurable per deployment: NOT_READY_REASONS). */
  notReadyReasons: readonly string[];
}

export class AgentGateway implements AgentChannel {
  private campaigns: CampaignRunner | undefined;
  private readonly nsp: Namespace;
  /** Agents with a desktop connected to this instance, and how many sockets each. */
  private readonly here = new Map<string, number>();
  private heartbeat: TimerHandle | undefined;
  /** Desks are refused until the instance is activated (taking calls). */
  private active = false;

  constructor(
    io: Server,
    private readonly tokens: TokenSigner,
    private readonly models: Models,
    private readonly leases: Leases,
    private readonly clock: Clock,
    private readonly presenceOptions: PresenceOptions,
    private readonly log: Logger,
  ) {
    this.nsp = io.of('/agent');
  }

  /** Desks may connect from now on (this is the active instance). */
  activate(): void {
    this.active = true;
    this.beat();
  }

  stop(): void {
    this.active = false;
    this.clock.clearTimer(this.heartbeat);
    this.heartbeat = undefined;
  }

  /** Renews the presence leases of the desktops connected here. */
  private beat(): void {
    this.heartbeat = this.clock.setTimer('agent-gateway:presence', this.presenceOptions.heartbeatMs, async () => {
      try {
        await this.renewPresence([...this.here.keys()]);
      } catch (err) {
        this.log.warn({ err }, 'presence renewal failed');
      }
      this.beat();
    });
  }

  private renewPresence(agentIds: string[]): Promise<void> {
    return this.leases.renew('presence', agentIds, this.clock.now() + this.presenceOptions.graceMs);
  }

  /** Starts taking connections; separate from the constructor because the call logic needs the channel first. */
  bind(agents: AgentService, calls: CallCommands, presence: AgentPresence, campaigns: CampaignRunner): void {
    this.campaigns = campaigns;
    this.nsp.use((socket, next) => {
      if (!this.active) return next(refusal('instance_starting', 'this server is still starting; try again in a moment'));
      const token: unknown = socket.handshake.auth?.token;
      const claims = typeof token === 'string' ? this.tokens.verify(token) : undefined;
      if (!claims) return next(refusal('session_expired', 'your session has expired: log in again'));
      // roles and queues come from the user record, not the token
      this.models.User.findOne({ username: claims.sub }, { roles: 1, queueIds: 1, skills: 1, active: 1, tokenGeneration: 1 })
        .lean()
        .then((user) => {
          if (!user) return next(refusal('session_expired', 'this account no longer exists'));
          if (user.active === false) return next(refusal('account_disabled', 'this account is disabled'));
          if ((user.tokenGeneration ?? 0) !== claims.gen) return next(refusal('session_expired', 'this session was ended: log in again'));
          if (!user.roles.some((r) => CALL_TAKING_ROLES.has(r as Role))) return next(refusal('not_a_call_taker', 'this account does not take calls'));
          Object.assign(socket.data as SocketData, { agentId: claims.sub, queueIds: user.queueIds, skills: user.skills.map((k) => ({ skill: k.skill, level: k.level })) });
          next();
        })
        .catch((err: unknown) => {
          this.log.error({ err }, 'desk login check failed');
          next(refusal('unavailable', 'the server cannot check your account now; retrying'));
        });
    });
    this.nsp.on('connection', (socket) => this.onConnection(socket, agents, calls, presence));
  }

  /**
   * Binds every command first, synchronously: a command sent right after connecting (or replayed by
   * the client after a reconnect) waits for the set-up below instead of being lost.
   */
  private onConnection(socket: Socket, agents: AgentService, calls: CallCommands, presence: AgentPresence): void {
    const data = socket.data as SocketData;
    const agentId = data.agentId;
    const log = this.log.child({ agentId, socket: socket.id });
    const ready = this.setUp(socket, agents, presence, log);
    ready.catch((err: unknown) => {
      log.error({ err }, 'agent connection setup failed');
      socket.emit('session:ended', { code: 'session_expired', error: 'the server could not set up your desk; log in again' });
      setImmediate(() => socket.disconnect(true)); // after the refused commands' answers
    });
    const applyOrThrow = async (event: Parameters<AgentService['apply']>[1]): Promise<void> => {
      const r = await agents.apply(agentId, event);
      if (!r.ok) throw new CallActionError('state_refused', r.error);
    };
    const runner = (): CampaignRunner => this.campaigns as CampaignRunner;
    bindCommands(
      socket,
      agentCommands,
      {
        'agent:ready': async () => calls.agentReady(agentId, data.queueIds),
        'agent:not_ready': async (p) => {
          const allowed = this.presenceOptions.notReadyReasons;
          if (!allowed.includes(p.reason)) throw new CallActionError('unknown_not_ready_reason', `unknown not-ready reason "${p.reason}"; use one of: ${allowed.join(', ')}`);
          await applyOrThrow({ type: 'not_ready', reason: p.reason });
        },
        'agent:logout': async () => applyOrThrow({ type: 'logout' }),
        'call:accept': async (p) => calls.accept(agentId, p.callId),
        'call:decline': async (p) => calls.decline(agentId, p.callId),
        'call:hangup': async (p) => calls.hangup(agentId, p.callId),
        'call:disposition': async ({ callId, code, notes, ...details }) => calls.disposition(agentId, callId, code, notes, details),
        'call:extend_wrap_up': async (p) => ({ wrapUpUntil: await calls.extendWrapUp(agentId, p.callId, p.seconds * 1000) }),
        'call:pci_mask': async (p) => calls.maskRecording(agentId, p.callId, p.masked),
        'call:hold': async (p) => calls.hold(agentId, p.callId, true),
        'call:unhold': async (p) => calls.hold(agentId, p.callId, false),
        'call:transfer': async (p) => calls.transfer(agentId, p.callId, p.to, p.mode),
        'call:transfer_complete': async (p) => calls.completeTransfer(agentId, p.callId),
        'call:transfer_cancel': async (p) => calls.cancelTransfer(agentId, p.callId),
        'call:transfer_join': async (p) => calls.joinTransfer(agentId, p.callId),
        'preview:next': async (p) => {
          const lead = await runner().previewNext(agentId, p.campaignId);
          socket.emit('preview:lead', lead);
          return lead;
        },
        'preview:dial': async (p) => {
          const outcome = await runner().previewDial(agentId, p.leadId);
          socket.emit('preview:result', { leadId: p.leadId, outcome });
          return { leadId: p.leadId, outcome };
        },
        'preview:skip': async (p) => runner().dialling.skip(agentId, p.leadId, p.reason),
        'call:dial': async (p) => ({ outcome: await runner().dialling.manual(agentId, p.campaignId, p.number) }),
        'callback:dial': async (p) => ({ leadId: p.leadId, outcome: await runner().dialling.callback(agentId, p.leadId) }),
      },
      { log, ready },
    );

    socket.on('disconnect', () => {
      const left = (this.here.get(agentId) ?? 1) - 1;
      if (left > 0) this.here.set(agentId, left);
      else this.here.delete(agentId); // the lease now runs out after the grace period unless they come back
      const gone = (async () => {
        await ready.catch(() => undefined);
        const remaining = await this.nsp.in(this.room(agentId)).fetchSockets();
        if (remaining.length > 0) return;
        presence.offline(agentId);
        // No desktop: stop offering calls. (A call in progress carries on; its phone leg is separate.)
        const s = await agents.get(agentId);
        if (s.state === 'ready') await agents.apply(agentId, { type: 'not_ready', reason: 'desktop_disconnected' });
        log.info('agent desktop disconnected');
      })();
      detach(gone, log, 'disconnect handling failed');
    });
  }

  /** The connection's set-up: the user's queues and skills, presence, login, the current state pushed. */
  private async setUp(socket: Socket, agents: AgentService, presence: AgentPresence, log: Logger): Promise<void> {
    const data = socket.data as SocketData;
    const agentId = data.agentId;
    await socket.join(this.room(agentId));
    this.here.set(agentId, (this.here.get(agentId) ?? 0) + 1);
    await this.renewPresence([agentId]);
    await agents.setProfile(agentId, data.queueIds, data.skills);
    presence.online(agentId);
    const current = await agents.get(agentId);
    if (current.state === 'logged_out') await agents.apply(agentId, { type: 'login' });
    else socket.emit('agent:state', current);
    log.info('agent desktop connected');
  }

  /**
   * Ends this user's desk sessions now (logged out elsewhere, account disabled, token revoked): each
   * desk is told why, then disconnected.
   */
  endSessions(username: string, code: 'session_expired' | 'account_disabled', error: string): void {
    this.to(username).emit('session:ended', { code, error });
    this.to(username).disconnectSockets(true);
  }

  // ---- AgentChannel ------------------------------------------------------------------------

  state(agentId: string, status: AgentStatus): void {
    this.to(agentId).emit('agent:state', status);
  }

  offer(agentId: string, pop: ScreenPop): void {
    this.to(agentId).emit('call:offer', pop);
  }

  offerWithdrawn(agentId: string, callId: string, reason: string): void {
    this.to(agentId).emit('call:offer_withdrawn', { callId, reason });
  }

  connected(agentId: string, callId: string, at: number): void {
    this.to(agentId).emit('call:connected', { callId, at });
  }

  ended(agentId: string, notice: CallEndedNotice): void {
    this.to(agentId).emit('call:ended', notice);
  }

  dispositionSaved(agentId: string, callId: string, code: string): void {
    this.to(agentId).emit('call:disposition_saved', { callId, code });
  }

  outbound(agentId: string, pop: OutboundPop): void {
    this.to(agentId).emit('call:outbound', pop);
  }

  offerUpdate(agentId: string, callId: string, customer: CustomerCard | null): void {
    this.to(agentId).emit('call:offer_update', { callId, customer });
  }

  inCarUpdate(agentId: string, callId: string, inCar: InCarPop): void {
    this.to(agentId).emit('assist:update', { callId, inCar });
  }

  appointment(username: string, booking: AppointmentNotice): void {
    this.to(username).emit('appointment:new', booking);
  }

  wrapUpExtended(agentId: string, callId: string, wrapUpUntil: number): void {
    this.to(agentId).emit('call:wrap_up_extended', { callId, wrapUpUntil });
  }

  holdState(agentId: string, callId: string, onHold: boolean): void {
    this.to(agentId).emit('call:hold_state', { callId, onHold });
  }

  transferState(agentId: string, callId: string, state: TransferState & { to: string; kind: 'blind' | 'consult' }): void {
    this.to(agentId).emit('call:transfer_state', { callId, ...state });
  }

  monitored(agentId: string, callId: string, mode: 'whisper' | 'barge' | null): void {
    this.to(agentId).emit('call:monitored', { callId, mode });
  }

  private room(agentId: string): string {
    return `agent:${agentId}`;
  }

  private to(agentId: string) {
    return this.nsp.to(this.room(agentId));
  }
}
