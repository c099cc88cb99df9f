import type { Namespace, Server } from 'socket.io';
import type { TokenSigner } from '../auth/tokens';
import type { Clock, TimerHandle } from '../clock/clock';
import type { CampaignRunner } from '../dialer/campaign-runner';
import type { Logger } from '../log';
import type { Models } from '../store/models';

const BOARD_ROLES = new Set(['supervisor', 'manager', 'admin']);

/**
 * Live boards for supervisors and managers: socket.io namespace /board. Every few seconds each
 * connected board receives `campaigns:live` with the live view of every campaign of its stores
 * (the same data as GET /api/campaigns/:id).
 */
export class BoardGateway {
  private readonly nsp: Namespace;
  private timer: TimerHandle | undefined;

  constructor(
    io: Server,
    private readonly d: { tokens: TokenSigner; models: Models; campaigns: CampaignRunner; clock: Clock; everyMs: number; log: Logger },
  ) {
    this.nsp = io.of('/board');
  }

  start(): void {
    this.nsp.use((socket, next) => {
      const token: unknown = socket.handshake.auth?.token;
      const claims = typeof token === 'string' ? this.d.tokens.verify(token) : undefined;
      if (!claims) return next(new Error('unauthorized: log in again'));
      if (!claims.roles.some((r) => BOARD_ROLES.has(r))) return next(new Error('forbidden: boards are for supervisors, managers and admins'));
      socket.data = { username: claims.sub };
      next();
    });
    this.nsp.on('connection', (socket) => {
      void this.push(socket.id).catch((err: unknown) => this.d.log.warn({ err }, 'board push failed'));
    });
    this.arm();
  }

  stop(): void {
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
    const user = await this.d.models.User.findOne({ username }, { storeIds: 1, roles: 1 }).lean();
    if (!user) return;
    const admin = user.roles.includes('admin');
    const campaigns = await this.d.models.Campaign.find({}, { _id: 1, storeIds: 1, name: 1 }).lean();
    const mine = campaigns.filter((c) => admin || c.storeIds.some((s) => user.storeIds.includes(s)));
    const views = [];
    for (const c of mine) views.push({ name: c.name, ...(await this.d.campaigns.live(c._id)) });
    socket.emit('campaigns:live', { at: this.d.clock.now(), campaigns: views });
  }
}
