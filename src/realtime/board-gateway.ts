import type { Namespace, Server, Socket } from 'socket.io';
import type { TokenSigner } from '../auth/tokens';
import type { CallCenter } from '../calls/call-center';
import type { CallCommands } from '../calls/call-commands';
import type { MonitorNotices } from '../calls/conversation-controls';
import { CallActionError } from '../calls/inbound-call';
import type { Clock, TimerHandle } from '../clock/clock';
import type { CampaignRunner } from '../dialer/campaign-runner';
import type { Logger } from '../log';
import type { Models } from '../store/models';
import type { MonitorMode } from '../telephony/switch';
import { bindCommands } from './socket-commands';
import { boardCommands, type AssistAlert } from '../shared/board-events';
import { refusal } from './refusal';
import { detach } from '../util/detach';
import type { ForceState } from '../supervisor/force-state';
import type { LiveCalls } from '../calls/live-calls';
import type { BoardCounters } from '../supervisor/board-counters';
import type { StoreBoard } from '../shared/board-events';

const BOARD_ROLES = new Set(['supervisor', 'manager', 'admin']);


/** Rings the supervisor's softphone in the simulation (the real stack rings their registered phone). */
export interface BoardPresence {
  online(username: string): void;
}

/**
 * Live boards for supervisors and managers: socket.io namespace /board. Every few seconds each
 * connected board receives `campaigns:live` with the live view of every campaign of its stores
 * (the same data as GET /api/campaigns/:id) and `calls:live` with its stores' connected calls
 * (agent, customer, since when, on hold, who monitors). From the board a supervisor listens to,
 * whispers in or barges into a call (`monitor:start` with a mode, again to change it; `monitor:stop`)
 * on their own phone, and is told `monitor:state`.
 */
export class BoardGateway implements MonitorNotices {
  private readonly nsp: Namespace;
  private timer: TimerHandle | undefined;

  constructor(
    io: Server,
    private readonly d: {
      tokens: TokenSigner;
      models: Models;
      campaigns: CampaignRunner;
      calls: CallCenter;
      commands: CallCommands;
      presence: BoardPresence;
      clock: Clock;
      everyMs: number;
      log: Logger;
      /** Supervisors' forced agent states (audited). */
      force: ForceState;
      /** The last board of each store (kept by the publisher, whichever instance runs it). */
      latest: (storeIds: readonly string[]) => Promise<StoreBoard[]>;
      live: LiveCalls;
      counters: BoardCounters;
    },
  ) {
    this.nsp = io.of('/board');
    this.bindNamespace();
  }

  /** The namespace refuses boards until start() (the instance takes calls). */
  private active = false;

  private bindNamespace(): void {
    this.nsp.use((socket, next) => {
      if (!this.active) return next(refusal('instance_starting', 'this server is still starting; try again in a moment'));
      const token: unknown = socket.handshake.auth?.token;
      const claims = typeof token === 'string' ? this.d.tokens.verify(token) : undefined;
      if (!claims) return next(refusal('session_expired', 'your session has expired: log in again'));
      // roles and state come from the user record, not the token
      this.d.models.User.findOne({ username: claims.sub }, { roles: 1, active: 1, tokenGeneration: 1 })
        .lean()
        .then((user) => {
          if (!user || (user.tokenGeneration ?? 0) !== claims.gen) return next(refusal('session_expired', 'your session has ended: log in again'));
          if (user.active === false) return next(refusal('account_disabled', 'this account is disabled'));
          if (!user.roles.some((r) => BOARD_ROLES.has(r))) return next(refusal('forbidden', 'boards are for supervisors, managers and admins'));
          socket.data = { username: claims.sub };
          next();
        })
        .catch((err: unknown) => {
          this.d.log.error({ err }, 'board login check failed');
          next(refusal('unavailable', 'the server cannot check your account now; retrying'));
        });
    });
    this.nsp.on('connection', (socket) => this.onConnection(socket));
  }

  start(): void {
    this.active = true;
    this.d.calls.setMonitorNotices(this);
    this.arm();
  }

  /** An in-car crash nobody answered in time: the store's supervisors see it on their board at once. */
  assistAlert(usernames: readonly string[], alert: AssistAlert): void {
    for (const u of usernames) this.nsp.to(userRoom(u)).emit('assist:alert', alert);
  }

  monitorState(supervisorId: string, callId: string, state: { mode: MonitorMode } | { ended: string }): void {
    this.nsp.to(userRoom(supervisorId)).emit('monitor:state', { callId, ...state });
    // the live board shows who monitors which call (every instance's boards read it from Redis)
    const noted = 'mode' in state ? this.d.live.set(callId, { monitor: `${supervisorId}|${state.mode}` }) : this.d.live.unset(callId, 'monitor');
    detach(
      noted.then(() => this.d.counters.changed()),
      this.d.log,
      'monitoring not noted for the board',
      { callId },
    );
  }

  /** One store's board to every board of that store, on every instance (the publisher calls this). */
  publish(board: StoreBoard): void {
    this.nsp.to(storeRoom(board.storeId)).emit('board:store', board);
  }

  /** Commands are bound before anything is awaited; they wait for the set-up (room, first push). */
  private onConnection(socket: Socket): void {
    const username = (socket.data as { username: string }).username;
    const log = this.d.log.child({ username, socket: socket.id });
    const ready = (async () => {
      const stores = await this.storeIdsOf(username);
      await socket.join([userRoom(username), ...stores.map(storeRoom)]);
      this.d.presence.online(username);
      for (const b of await this.d.latest(stores)) socket.emit('board:store', b);
      await this.push(socket.id);
    })();
    detach(ready, log, 'board connection setup failed');
    bindCommands(
      socket,
      boardCommands,
      {
        'monitor:start': async (p) => this.d.commands.monitor(username, await this.storesOf(username), p.callId, p.mode),
        'monitor:stop': async (p) => this.d.commands.stopMonitor(username, p.callId),
        'agent:force': async (p) => this.d.force.force(username, await this.storesOf(username), p.agentId, p.action, p.reason),
      },
      { log, ready },
    );
  }

  /** The stores a user oversees ('all' for an admin). */
  private async storesOf(username: string): Promise<readonly string[] | 'all'> {
    const user = await this.d.models.User.findOne({ username }, { storeIds: 1, roles: 1 }).lean();
    if (!user) throw new CallActionError('unauthorized', 'this account no longer exists');
    return user.roles.includes('admin') ? 'all' : user.storeIds;
  }

  /** The stores whose boards a user sees: their own, or every store for an admin. */
  private async storeIdsOf(username: string): Promise<string[]> {
    const stores = await this.storesOf(username);
    if (stores !== 'all') return [...stores];
    const [docs, queueStores] = await Promise.all([this.d.models.Store.find({}, { _id: 1 }).lean(), this.d.models.Queue.distinct('storeId')]);
    return [...new Set([...docs.map((s) => String(s._id)), ...queueStores.filter((s): s is string => typeof s === 'string')])];
  }

  stop(): void {
    this.active = false;
    this.d.clock.clearTimer(this.timer);
  }

  private arm(): void {
    this.timer = this.d.clock.setTimer('board:push', this.d.everyMs, async () => {
      for (const socket of this.nsp.sockets.values()) await this.push(socket.id).catch((err: unknown) => this.d.log.warn({ err }, 'board push failed'));
      this.arm();
    });
  }

  private async push(socketId: string): Promise<void> {
    const socket = this.nsp.sockets.get(socketId);
    if (!socket) return;
    const username = (socket.data as { username: string }).username;
    const user = await this.d.models.User.findOne({ username }, { storeIds: 1, roles: 1, active: 1 }).lean();
    if (!user || user.active === false || !user.roles.some((r) => BOARD_ROLES.has(r))) {
      socket.disconnect(true); // deleted, disabled or no longer a supervisor: no more live data
      return;
    }
    const admin = user.roles.includes('admin');
    const campaigns = await this.d.models.Campaign.find({}, { _id: 1, storeIds: 1, name: 1 }).lean();
    const mine = campaigns.filter((c) => admin || c.storeIds.some((s) => user.storeIds.includes(s)));
    const views = [];
    for (const c of mine) views.push({ name: c.name, ...(await this.d.campaigns.live(c._id)) });
    socket.emit('campaigns:live', { at: this.d.clock.now(), campaigns: views });
    socket.emit('calls:live', { at: this.d.clock.now(), calls: this.d.calls.liveCalls(admin ? 'all' : user.storeIds).map(({ customerLeg: _c, agentLeg: _a, ...call }) => call) });
  }
}

function storeRoom(storeId: string): string {
  return `store:${storeId}`;
}

function userRoom(username: string): string {
  return `user:${username}`;
}
