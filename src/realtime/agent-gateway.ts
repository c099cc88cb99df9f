import type { Namespace, Server, Socket } from 'socket.io';
import { z } from 'zod';
import type { AgentChannel, AppointmentNotice, CallEndedNotice, OutboundPop, TransferState } from '../agents/agent-channel';
import type { AgentService } from '../agents/agent-service';
import type { AgentStatus } from '../agents/agent-state';
import type { Leases } from '../agents/leases';
import type { Clock, TimerHandle } from '../clock/clock';
import type { TokenClaims, TokenSigner } from '../auth/tokens';
import type { CallCenter } from '../calls/call-center';
import { CallActionError } from '../calls/inbound-call';
import { DispositionError, outcomeDetailsSchema } from '../calls/dispositions';
import { CampaignError, type CampaignRunner } from '../dialer/campaign-runner';
import type { CustomerCard, ScreenPop } from '../crm/screen-pop';
import type { Logger } from '../log';
import { onCommand } from './socket-commands';
import type { Models } from '../store/models';

/** Hooks for where the agent's phone lives (the simulated switch registers a softphone here). */
export interface AgentPresence {
  online(agentId: string): void;
  offline(agentId: string): void;
}


const callRef = z.object({ callId: z.string().uuid() });
const schemas = {
  'agent:ready': z.object({}).optional(),
  'agent:not_ready': z.object({ reason: z.string().min(1).max(40) }),
  'agent:logout': z.object({}).optional(),
  'call:accept': callRef,
  'call:decline': callRef,
  'call:hangup': callRef,
  'call:disposition': callRef.extend({ code: z.string().min(1).max(60), notes: z.string().max(4000).default('') }).extend(outcomeDetailsSchema.shape).strict(),
  'call:extend_wrap_up': callRef.extend({ seconds: z.number().int().min(10).max(600) }),
  'call:pci_mask': callRef.extend({ masked: z.boolean() }),
  'call:hold': callRef,
  'call:unhold': callRef,
  'call:transfer': callRef.extend({
    to: z.union([z.object({ agent: z.string().min(1).max(60) }).strict(), z.object({ number: z.string().min(3).max(32) }).strict()]),
    mode: z.enum(['blind', 'consult']),
  }),
  'call:transfer_complete': callRef,
  'call:transfer_cancel': callRef,
  'preview:next': z.object({ campaignId: z.string().min(1).max(60) }),
  'preview:dial': z.object({ leadId: z.string().min(1).max(200) }),
  'preview:skip': z.object({ leadId: z.string().min(1).max(200) }),
} as const;
type ClientEvent = keyof typeof schemas;

const CALL_TAKING_ROLES: ReadonlySet<TokenClaims['roles'][number]> = new Set(['agent', 'sales_consultant', 'supervisor']);

interface SocketData {
  agentId: string;
  queueIds: string[];
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

  stop(): void {
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
  bind(agents: AgentService, calls: CallCenter, presence: AgentPresence, campaigns: CampaignRunner): void {
    this.campaigns = campaigns;
    this.beat();
    this.nsp.use((socket, next) => {
      const token: unknown = socket.handshake.auth?.token;
      const claims = typeof token === 'string' ? this.tokens.verify(token) : undefined;
      if (!claims) return next(new Error('unauthorized: log in again'));
      if (!claims.roles.some((r) => CALL_TAKING_ROLES.has(r))) return next(new Error('forbidden: this account does not take calls'));
      (socket.data as SocketData).agentId = claims.sub;
      next();
    });
    this.nsp.on('connection', (socket) => {
      void this.onConnection(socket, agents, calls, presence).catch((err: unknown) => {
        this.log.error({ err }, 'agent connection setup failed');
        socket.disconnect(true);
      });
    });
  }

  private async onConnection(socket: Socket, agents: AgentService, calls: CallCenter, presence: AgentPresence): Promise<void> {
    const data = socket.data as SocketData;
    const user = await this.models.User.findOne({ username: data.agentId }).lean();
    if (!user) {
      socket.emit('error', { message: 'unknown user' });
      socket.disconnect(true);
      return;
    }
    data.queueIds = user.queueIds;
    const agentId = data.agentId;
    const log = this.log.child({ agentId, socket: socket.id });
    await socket.join(this.room(agentId));
    this.here.set(agentId, (this.here.get(agentId) ?? 0) + 1);
    await this.renewPresence([agentId]);
    await agents.setProfile(agentId, user.queueIds, user.skills.map((k) => ({ skill: k.skill, level: k.level })));
    presence.online(agentId);
    const current = await agents.get(agentId);
    if (current.state === 'logged_out') await agents.apply(agentId, { type: 'login' });
    else socket.emit('agent:state', current);
    log.info('agent desktop connected');

    const isUserError = (err: unknown): err is Error => err instanceof CallActionError || err instanceof DispositionError;
    const handle = <E extends ClientEvent>(event: E, run: (payload: z.infer<(typeof schemas)[E]>) => Promise<void>): void => onCommand(socket, schemas, event, run, { log, isUserError });
    const applyOrThrow = async (event: Parameters<AgentService['apply']>[1]): Promise<void> => {
      const r = await agents.apply(agentId, event);
      if (!r.ok) throw new CallActionError(r.error);
    };

    handle('agent:ready', async () => {
      await applyOrThrow({ type: 'ready' });
      calls.agentAvailable(data.queueIds);
    });
    handle('agent:not_ready', async (p) => {
      const allowed = this.presenceOptions.notReadyReasons;
      if (!allowed.includes(p.reason)) throw new CallActionError(`unknown not-ready reason "${p.reason}"; use one of: ${allowed.join(', ')}`);
      await applyOrThrow({ type: 'not_ready', reason: p.reason });
    });
    handle('agent:logout', async () => applyOrThrow({ type: 'logout' }));
    handle('call:accept', async (p) => calls.accept(agentId, p.callId));
    handle('call:decline', async (p) => calls.decline(agentId, p.callId));
    handle('call:hangup', async (p) => calls.hangup(agentId, p.callId));
    handle('call:disposition', async ({ callId, code, notes, ...details }) => calls.disposition(agentId, callId, code, notes, details));
    const previewing = async (fn: () => Promise<void>): Promise<void> => {
      try {
        await fn();
      } catch (err) {
        if (err instanceof CampaignError) throw new CallActionError(err.message);
        throw err;
      }
    };
    handle('preview:next', (p) =>
      previewing(async () => {
        socket.emit('preview:lead', await (this.campaigns as CampaignRunner).previewNext(agentId, p.campaignId));
      }),
    );
    handle('preview:dial', (p) =>
      previewing(async () => {
        const outcome = await (this.campaigns as CampaignRunner).previewDial(agentId, p.leadId);
        socket.emit('preview:result', { leadId: p.leadId, outcome });
      }),
    );
    handle('preview:skip', (p) => previewing(() => (this.campaigns as CampaignRunner).previewSkip(agentId, p.leadId)));
    handle('call:extend_wrap_up', async (p) => {
      await calls.extendWrapUp(agentId, p.callId, p.seconds * 1000);
    });
    handle('call:pci_mask', async (p) => {
      await calls.maskRecording(agentId, p.callId, p.masked);
    });
    handle('call:hold', async (p) => calls.hold(agentId, p.callId, true));
    handle('call:unhold', async (p) => calls.hold(agentId, p.callId, false));
    handle('call:transfer', async (p) => calls.transfer(agentId, p.callId, p.to, p.mode));
    handle('call:transfer_complete', async (p) => calls.completeTransfer(agentId, p.callId));
    handle('call:transfer_cancel', async (p) => calls.cancelTransfer(agentId, p.callId));

    socket.on('disconnect', () => {
      const left = (this.here.get(agentId) ?? 1) - 1;
      if (left > 0) this.here.set(agentId, left);
      else this.here.delete(agentId); // the lease now runs out after the grace period unless they come back
      void (async () => {
        const remaining = await this.nsp.in(this.room(agentId)).fetchSockets();
        if (remaining.length > 0) return;
        presence.offline(agentId);
        // No desktop: stop offering calls. (A call in progress carries on; its phone leg is separate.)
        const s = await agents.get(agentId);
        if (s.state === 'ready') await agents.apply(agentId, { type: 'not_ready', reason: 'desktop_disconnected' });
        log.info('agent desktop disconnected');
      })().catch((err: unknown) => log.error({ err }, 'disconnect handling failed'));
    });
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
